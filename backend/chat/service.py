"""Conversation service: list, open, read and delete a user's conversations with an agent.

Conversations belong to one user in one workspace; nobody else reads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, func, select

from backend.accounts.actor import Actor, NotFound, require_member
from backend.blueprints import DRAFT_VERSION, get_blueprint
from backend.models import BlueprintVersion, Connection, Conversation, Message, Run


class ConversationPublic(SQLModel):
    """A row of the conversation list."""

    id: str
    agent_id: str
    title: str
    model: str
    blueprint_version: int
    updated_at: datetime


class MessagePublic(SQLModel):
    """A chat message with the figures of the run that produced it (assistant messages).

    Units: tokens; ``cost_nano_usd`` in nano-USD (the UI formats dollars); ``latency_ms``/``ttft_ms`` in milliseconds.
    ``fallback_note`` says which model answered when the agent's main model did not (see
    :func:`fallback_note`), else ``""``.
    """

    id: str
    role: str
    content: str
    run_status: str = ""
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_nano_usd: int = 0
    cost_note: str = ""
    latency_ms: int | None = None
    ttft_ms: int | None = None
    error: str = ""
    fallback_note: str = ""
    run_id: str | None = None


_SKIP_REASONS = {"context_window": "context window too small", "missing": "connection deleted"}


def _why(attempt: Mapping[str, Any]) -> str:
    if attempt.get("outcome") == "skipped":
        return "skipped (" + _SKIP_REASONS.get(str(attempt.get("error_kind", "")), "skipped") + ")"
    status, kind, tries = attempt.get("status_code"), str(attempt.get("error_kind") or "error"), attempt.get("tries")
    reason = f"HTTP {status}" if status else kind.replace("_", " ")
    if isinstance(tries, int) and tries > 1:
        reason += f", {tries} tries"
    return f"failed ({reason})"


def fallback_note(path: Sequence[Mapping[str, Any]], connection_names: Mapping[str, str]) -> str:
    """A sentence saying which fallback answered and why the models before it did not.

    Args:
        path: A run's ``fallback_path`` (``[{"connection_id", "model", "outcome", ...}]``).
        connection_names: Connection id -> name.

    Returns:
        E.g. ``"Answered by test-model on Backup (fallback 1) after gpt-4o-mini on Primary
        failed (HTTP 500, 3 tries)."``; ``""`` when the main model answered or none did.
    """

    def name(attempt: Mapping[str, Any]) -> str:
        conn = connection_names.get(str(attempt.get("connection_id", "")), "")
        return f"{attempt.get('model', '?')} on {conn}" if conn else str(attempt.get("model", "?"))

    answered = next((i for i, a in enumerate(path) if a.get("outcome") == "ok"), None)
    if not answered:  # None (no answer) or 0 (the main model answered)
        return ""
    before = "; ".join(f"{name(a)} {_why(a)}" for a in path[:answered])
    return f"Answered by {name(path[answered])} (fallback {answered}) after {before}."


def get_conversation(*, actor: Actor, conversation_id: str, session: Session) -> Conversation:
    """The actor's own conversation. Raises NotFound (also for another user's), PermissionDenied."""
    require_member(actor, session)
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.workspace_id != actor.workspace_id or conv.user_id != actor.user_id:
        raise NotFound("Conversation not found.")
    return conv


def to_public(conv: Conversation, session: Session) -> ConversationPublic:
    """The list row of a conversation."""
    version = session.get(BlueprintVersion, conv.blueprint_version_id)
    return ConversationPublic(
        id=conv.id,
        agent_id=conv.agent_id,
        title=conv.title,
        model=conv.model,
        blueprint_version=version.version if version else 0,
        updated_at=conv.updated_at,
    )


def create_conversation(*, actor: Actor, agent_id: str, session: Session) -> ConversationPublic:
    """Open a new conversation pinned to the agent's current blueprint version."""
    blueprint = get_blueprint(actor=actor, agent_id=agent_id, session=session)
    conv = Conversation(
        workspace_id=actor.workspace_id,
        agent_id=agent_id,
        user_id=actor.user_id,
        blueprint_version_id=blueprint.id,
        model=blueprint.model,
    )
    session.add(conv)
    session.flush()
    return to_public(conv, session)


def list_conversations(*, actor: Actor, agent_id: str | None = None, session: Session) -> list[ConversationPublic]:
    """The actor's conversations (optionally with one agent), most recent first, at most 100;
    not the builder's preview conversations (pinned to an agent's draft, version 0)."""
    require_member(actor, session)
    drafts = select(BlueprintVersion.id).where(BlueprintVersion.version == DRAFT_VERSION)
    query = select(Conversation).where(
        Conversation.workspace_id == actor.workspace_id,
        Conversation.user_id == actor.user_id,
        col(Conversation.blueprint_version_id).not_in(drafts),
    )
    if agent_id:
        query = query.where(Conversation.agent_id == agent_id)
    rows = session.exec(query.order_by(col(Conversation.updated_at).desc()).limit(100)).all()
    return [to_public(c, session) for c in rows]


def get_messages(*, actor: Actor, conversation_id: str, session: Session) -> list[MessagePublic]:
    """The conversation's messages in order, each assistant message with its run's figures."""
    return messages_of(get_conversation(actor=actor, conversation_id=conversation_id, session=session), session)


def messages_of(conv: Conversation, session: Session) -> list[MessagePublic]:
    """Messages of a conversation already checked to be the asker's (see :func:`get_messages`)."""
    rows = session.exec(
        select(Message, Run)
        .join(Run, col(Run.id) == col(Message.run_id), isouter=True)
        .where(Message.conversation_id == conv.id)
        .order_by(col(Message.position))
    ).all()
    conn_ids = {str(a.get("connection_id")) for _, run in rows if run is not None for a in run.fallback_path or []}
    names = (
        {c.id: c.name for c in session.exec(select(Connection).where(col(Connection.id).in_(conn_ids))).all()}
        if conn_ids
        else {}
    )
    out = []
    for msg, run in rows:
        item = MessagePublic(id=msg.id, role=msg.role, content=msg.content)
        if run is not None:
            item.run_id, item.run_status, item.model, item.error = run.id, run.status, run.model, run.error
            item.prompt_tokens, item.completion_tokens = run.prompt_tokens, run.completion_tokens
            item.cost_nano_usd, item.cost_note = run.cost_nano_usd, run.cost_note
            item.latency_ms, item.ttft_ms = run.latency_ms, run.ttft_ms
            item.fallback_note = fallback_note(run.fallback_path or [], names)
        out.append(item)
    return out


def delete_conversation(*, actor: Actor, conversation_id: str, session: Session) -> None:
    """Delete a conversation and its messages (runs stay for analytics, detached)."""
    conv = get_conversation(actor=actor, conversation_id=conversation_id, session=session)
    for msg in session.exec(select(Message).where(Message.conversation_id == conv.id)).all():
        session.delete(msg)
    for run in session.exec(select(Run).where(Run.conversation_id == conv.id)).all():
        run.conversation_id = None
        session.add(run)
    session.flush()
    session.delete(conv)
    session.flush()


def append_message(
    *, conversation: Conversation, role: str, content: str, run_id: str | None, session: Session
) -> Message:
    """Append a message at the next position and touch the conversation's ``updated_at``."""
    last = session.exec(select(func.max(Message.position)).where(Message.conversation_id == conversation.id)).one()
    msg = Message(conversation_id=conversation.id, position=(last or 0) + 1, role=role, content=content, run_id=run_id)
    session.add(msg)
    session.flush()
    return msg
