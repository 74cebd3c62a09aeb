"""Plain data shown by the chat page, and how run figures are written under a reply."""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.chat.service import ConversationPublic, MessagePublic
from backend.gateway.admin import REFUSAL_PHRASES
from backend.models.gateway import nano_to_usd


@dataclass
class AgentOption:
    """An entry of the agent picker."""

    id: str = ""
    name: str = ""
    avatar: str = ""


@dataclass
class ConversationItem:
    """A row of the past-conversations list (``date`` is already formatted, UTC)."""

    id: str = ""
    title: str = ""
    date: str = ""
    model: str = ""
    version: int = 0


@dataclass
class CitationItem:
    """A source cited under an answer: ``kind`` ``knowledge`` or ``memory``; ``label`` e.g.
    ``"[1] handbook.pdf · p. 2"`` (the number the answer cites it by); ``snippet`` the passage's
    start (shown when expanded)."""

    kind: str = "knowledge"
    source_id: str = ""
    label: str = ""
    snippet: str = ""


@dataclass
class ChatMessage:
    """A message as shown.

    ``status`` is the run's (``succeeded``, ``failed``, ``cancelled``) or ``""`` for user
    messages; ``meta`` is the figures line under a reply, ``note`` the cost note, ``fallback``
    which fallback model answered (if not the main one), ``error`` the reason a run failed and
    ``error_kind`` ``"rate_limit"``, ``"budget"`` or ``""`` (another failure); ``citations`` the
    sources cited under an answer.
    """

    id: str = ""
    role: str = ""
    content: str = ""
    status: str = ""
    meta: str = ""
    note: str = ""
    fallback: str = ""
    error: str = ""
    error_kind: str = ""
    citations: list[CitationItem] = field(default_factory=list)


def error_kind(error: str) -> str:
    """``"rate_limit"`` or ``"budget"`` for the gateway's refusals (by their message), else ``""``."""
    if error.startswith("rate limited"):
        return "rate_limit"
    if any(phrase in error for phrase in REFUSAL_PHRASES):
        return "budget"
    return ""


def format_usd(amount: float) -> str:
    """A cost in USD for the figures line, e.g. ``$0``, ``$0.000123``, ``$0.0421``, ``$1.25``."""
    if amount <= 0:
        return "$0"
    if amount < 0.000001:
        return "<$0.000001"
    if amount < 0.01:
        return "$" + f"{amount:.6f}".rstrip("0")
    if amount < 1:
        return "$" + f"{amount:.4f}".rstrip("0").rstrip(".")
    return f"${amount:,.2f}"


def figures_line(msg: MessagePublic) -> str:
    """``"12 + 34 tokens · $0.000123 · 850 ms · first token 120 ms · model test-model"``.

    Empty for user messages. Tokens and cost are left out of a failed run that used none.
    """
    if msg.role != "assistant" or not msg.run_status:
        return ""
    parts: list[str] = []
    if msg.prompt_tokens or msg.completion_tokens or msg.run_status == "succeeded":
        parts.append(f"{msg.prompt_tokens:,} + {msg.completion_tokens:,} tokens")
        parts.append(format_usd(nano_to_usd(msg.cost_nano_usd)))
    if msg.latency_ms is not None:
        parts.append(f"{msg.latency_ms:,} ms")
    if msg.ttft_ms is not None:
        parts.append(f"first token {msg.ttft_ms:,} ms")
    if msg.model:
        parts.append(f"model {msg.model}")
    return " · ".join(parts)


def message_item(msg: MessagePublic) -> ChatMessage:
    """The page's view of a stored message."""
    error = ""
    if msg.run_status == "failed":
        error = msg.error or "The reply failed for an unknown reason."
    return ChatMessage(
        id=msg.id,
        role=msg.role,
        content=msg.content,
        status=msg.run_status,
        meta=figures_line(msg),
        note=msg.cost_note if msg.run_status else "",
        fallback=msg.fallback_note,
        error=error,
        error_kind=error_kind(error),
    )


def conversation_item(conv: ConversationPublic) -> ConversationItem:
    """A row of the conversation list."""
    return ConversationItem(
        id=conv.id,
        title=conv.title,
        date=conv.updated_at.strftime("%d %b %Y, %H:%M"),
        model=conv.model,
        version=conv.blueprint_version,
    )
