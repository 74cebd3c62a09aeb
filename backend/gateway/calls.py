"""State of one gateway call and its usage record (settled with the budget hold in one transaction).

Used by :mod:`backend.gateway.router`; the record rules are documented on
:class:`~backend.models.gateway.UsageRecord`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from backend.accounts.principal import RunPrincipal
from backend.db import core_transaction
from backend.gateway import budgets, completion
from backend.gateway.candidates import Attempt, Candidate, Target
from backend.gateway.catalog import call_cost
from backend.gateway.completion import TextDelta
from backend.gateway.llm import GatewayError, litellm
from backend.gateway.toolcalls import ToolCalls
from backend.gateway.usage import insert_usage
from backend.models.common import new_id, utcnow
from backend.models.gateway import usd_to_nano

__all__ = ["Call", "ChatEvent", "ChatUsage", "Recorded", "count_prompt", "count_text", "finish"]


@dataclass(frozen=True)
class ChatUsage:
    """The last event of a successful call: who answered, tokens, cost and timing.

    Units: tokens; ``cost_nano_usd`` nano-USD (the usage record's); ``latency_ms``/``ttft_ms`` ms
    from the start of the call (retries and fallbacks included). ``fallback_path`` holds one dict per target tried
    (:class:`~backend.gateway.candidates.Attempt`); the last one answered.
    """

    model: str
    connection_id: str
    provider: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_nano_usd: int
    cost_note: str
    latency_ms: int
    ttft_ms: int | None
    fallback_path: tuple[dict[str, Any], ...]
    usage_id: str

    @property
    def fell_back(self) -> bool:
        """True when a model other than the first target answered."""
        return len(self.fallback_path) > 1


ChatEvent = TextDelta | ToolCalls | ChatUsage


@dataclass
class Call:
    """Mutable state of one call: what was tried and streamed, the hold, for the usage record."""

    principal: RunPrincipal
    run_id: str | None
    streamed: bool
    started: float = field(default_factory=time.perf_counter)
    messages: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    ttft_ms: int | None = None
    current: Candidate | None = None
    first: Target | None = None
    hold: budgets.Hold | None = None
    called: bool = False
    recorded: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    record_id: str = field(default_factory=new_id)  # the usage record's id, known before it is written
    prompt_tokens: int = 0  # counted prompt of the current candidate (for a crashed call's record)

    @property
    def agent_id(self) -> str | None:
        """The agent the call is for (None outside an agent)."""
        return self.principal.agent_id or None

    @property
    def end_user_id(self) -> str | None:
        """Whom the call serves."""
        return self.principal.end_user_id or None

    def ms(self) -> int:
        """Milliseconds since the call started."""
        return int((time.perf_counter() - self.started) * 1000)


def count_prompt(name: str, messages: list[dict[str, Any]]) -> int:
    """Prompt tokens of ``messages`` by LiteLLM's tokenizer for ``name`` (fallback ~4 chars/token)."""
    try:
        return int(litellm.token_counter(model=name, messages=messages))
    except Exception:  # a tokenizer problem must not block the call: ~4 characters per token
        return sum(len(str(m.get("content", ""))) for m in messages) // 4 + 4 * len(messages)


def count_text(name: str, text: str) -> int:
    """Completion tokens of ``text`` by LiteLLM's tokenizer for ``name`` (fallback ~4 chars/token)."""
    if not text:
        return 0
    try:
        return int(litellm.token_counter(model=name, text=text, count_response_tokens=True))
    except Exception:
        return len(text) // 4 + 1


def finish(
    call: Call, *, status: str, usage: completion.Usage | None = None, error: GatewayError | None = None
) -> Recorded | None:
    """Settle the hold and write the usage record, in one transaction (blocking).

    Idempotent: only the first call per ``Call`` writes (returns None afterwards), so a
    cancellation racing a normal finish cannot record the call twice.
    """
    with call.lock:
        if call.recorded:
            return None
        record = _write(call, status=status, usage=usage, error=error)
        call.recorded = True
        return record


@dataclass(frozen=True)
class Recorded:
    """What :func:`finish` wrote to the call's usage record (units as on ``UsageRecord``)."""

    id: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_nano_usd: int
    cost_note: str
    latency_ms: int
    ttft_ms: int | None
    fallback_path: tuple[dict[str, Any], ...]


def _write(call: Call, *, status: str, usage: completion.Usage | None, error: GatewayError | None) -> Recorded:
    cand = call.current
    prompt = completion_tokens = cached = 0
    cost, note = 0.0, ""
    if cand is not None and usage is not None:
        prompt, completion_tokens, cached = usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens
    elif cand is not None and (call.parts or status == "cancelled") and call.called:
        prompt = count_prompt(cand.info.litellm_name, call.messages)
        completion_tokens = count_text(cand.info.litellm_name, "".join(call.parts))
        note = "tokens counted locally (the call did not finish)"
    if cand is not None and usage is not None and cand.info.price_source != "override":
        # completion priced these very tokens with the same LiteLLM call (call_cost would repeat it)
        cost, note = usage.cost_usd, usage.cost_note or ""
    elif cand is not None and prompt + completion_tokens > 0:
        cost, price_note = call_cost(cand.info, prompt, completion_tokens, cached)
        if usage is not None and usage.cost_note and "counted locally" in usage.cost_note:
            note = "tokens counted locally (the provider reported no usage)"
        note = "; ".join(n for n in (price_note, note) if n)
    target = cand.target if cand is not None else call.first
    values: dict[str, Any] = dict(  # every column: one Core INSERT, no ORM object (usage.insert_usage)
        id=call.record_id,
        workspace_id=call.principal.owner_workspace_id,
        agent_id=call.agent_id,
        end_user_id=call.end_user_id,
        caller_kind=call.principal.caller.kind,
        caller_id=call.principal.caller.id,
        run_id=call.run_id,
        connection_id=target.connection_id if target else None,
        provider=cand.provider if cand else "",
        model=target.model if target else "",
        prompt_tokens=prompt,
        completion_tokens=completion_tokens,
        cached_tokens=cached,
        cost_nano_usd=usd_to_nano(cost),  # LiteLLM prices in float USD: converted once, here
        cost_note=note,
        latency_ms=call.ms(),
        ttft_ms=call.ttft_ms,
        status=status,
        error_class=error.kind if error else "",
        error=error.message if error else "",
        fallback_path=[a.as_dict() for a in call.attempts],
        streamed=call.streamed,
        created_at=utcnow(),
    )
    with core_transaction() as conn:  # prebuilt Core statements only: no ORM session (CPU per call)
        budgets.settle(conn, call.hold, nano_usd=values["cost_nano_usd"], tokens=prompt + completion_tokens)
        insert_usage(conn, values, secret=cand.api_key if cand else None)
    call.hold = None
    return Recorded(
        id=call.record_id,
        model=values["model"],
        prompt_tokens=prompt,
        completion_tokens=completion_tokens,
        cached_tokens=cached,
        cost_nano_usd=values["cost_nano_usd"],
        cost_note=values["cost_note"],
        latency_ms=values["latency_ms"],
        ttft_ms=call.ttft_ms,
        fallback_path=tuple(values["fallback_path"]),
    )
