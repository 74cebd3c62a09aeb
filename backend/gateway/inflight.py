"""The gateway call a run has in flight, as its checkpoint stores it, and what a crash costs.

A run passes an :class:`InFlight` to ``router.stream_chat(progress=...)``; the router points it at
the current call. The run's checkpoint (``backend.runtime.checkpoint``) stores
:meth:`InFlight.snapshot` (tokens counted by :func:`with_tokens`) on the run row at intervals.
When the process dies mid-call, the stale-run sweep calls :func:`record_interrupted`: it writes
the usage record the call never wrote (tokens received so far, priced like any partial call by
``catalog.call_cost``) and settles the run's budget holds, in the sweep's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from backend.gateway import budgets
from backend.gateway.calls import Call, count_text
from backend.gateway.catalog import call_cost, load_overrides, model_info
from backend.gateway.usage import record_usage
from backend.models.gateway import BudgetReservation, UsageRecord, usd_to_nano

INTERRUPTED_NOTE = "tokens counted locally (the server stopped during the call)"


@dataclass
class InFlight:
    """Points at the run's current gateway call (set by the router; read on the event loop)."""

    call: Call | None = None

    def snapshot(self) -> dict[str, Any] | None:
        """JSON-able state of the call in flight, with its text so far under ``"text"``.

        Returns:
            None when no provider call is in flight (none yet, or it already wrote its record).
            Cheap (a join of the streamed parts): call it on the event loop, count tokens with
            :func:`with_tokens` in a thread.
        """
        call = self.call
        if call is None or call.recorded or call.current is None or not call.called:
            return None
        cand = call.current
        return {
            "record_id": call.record_id,
            "connection_id": cand.target.connection_id,
            "provider": cand.provider,
            "model": cand.target.model,
            "litellm_name": cand.info.litellm_name,
            "agent_id": call.agent_id,
            "end_user_id": call.end_user_id,
            "caller_kind": call.principal.caller.kind,
            "caller_id": call.principal.caller.id,
            "prompt_tokens": call.prompt_tokens,
            "hold_id": call.hold.id if call.hold else None,
            "attempts": [a.as_dict() for a in call.attempts],
            "elapsed_ms": call.ms(),
            "ttft_ms": call.ttft_ms,
            "streamed": call.streamed,
            "text": "".join(call.parts),
        }


def with_tokens(snapshot: dict[str, Any]) -> dict[str, Any]:
    """``snapshot`` with ``"text"`` replaced by ``"completion_tokens"`` (LiteLLM's tokenizer; blocking)."""
    out = {k: v for k, v in snapshot.items() if k != "text"}
    out["completion_tokens"] = count_text(str(snapshot.get("litellm_name", "")), str(snapshot.get("text", "")))
    return out


def _settle_run_holds(session: Session, run_id: str, charged_hold: str | None, nano_usd: int, tokens: int) -> int:
    """Settle every unsettled hold of ``run_id``: ``charged_hold`` at the actual cost, others at 0."""
    rows = session.exec(
        select(BudgetReservation).where(
            col(BudgetReservation.run_id) == run_id, col(BudgetReservation.settled).is_(False)
        )
    ).all()
    counters: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        counters[row.hold_id].append(row.counter_id)
    for hold_id, counter_ids in counters.items():
        charged = hold_id == charged_hold
        hold = budgets.Hold(hold_id, tuple(counter_ids), 0, 0)
        budgets.settle(session, hold, nano_usd=nano_usd if charged else 0, tokens=tokens if charged else 0)
    return len(counters)


def record_interrupted(
    session: Session, inflight: dict[str, Any] | None, *, workspace_id: str, run_id: str, error: str
) -> UsageRecord | None:
    """Record a call a crash cut short and settle the run's budget holds (the caller commits).

    Args:
        session: The sweep's open session.
        inflight: The run's stored :meth:`InFlight.snapshot` (after :func:`with_tokens`), or None.
        workspace_id, run_id: The run's.
        error: The text stored on the record (``status="error"``, ``error_class="interrupted"``).

    Returns:
        The new usage record (tokens received so far, cost by ``catalog.call_cost`` with the
        connection's override), or None when nothing was in flight or the call already wrote
        its own record (same ``record_id``). Holds of the run are settled either way: the one
        of the interrupted call at that cost, any other at 0.
    """
    record: UsageRecord | None = None
    usd, tokens = 0.0, 0
    if inflight and inflight.get("record_id") and session.get(UsageRecord, inflight["record_id"]) is None:
        connection_id, model = str(inflight.get("connection_id", "")), str(inflight.get("model", ""))
        prompt, output = int(inflight.get("prompt_tokens") or 0), int(inflight.get("completion_tokens") or 0)
        overrides = load_overrides(session, [connection_id])
        try:
            info = model_info(str(inflight.get("provider", "")), model, overrides.get((connection_id, model)))
            usd, price_note = call_cost(info, prompt, output)
        except ValueError:  # unknown provider: record the tokens, cost unknown
            usd, price_note = 0.0, f"price unknown for {model}: counted as $0"
        tokens = prompt + output
        attempt = {"connection_id": connection_id, "model": model, "outcome": "error", "error_kind": "interrupted"}
        record = record_usage(
            session,
            UsageRecord(
                id=str(inflight["record_id"]),
                workspace_id=workspace_id,
                agent_id=inflight.get("agent_id"),
                end_user_id=inflight.get("end_user_id"),
                caller_kind=str(inflight.get("caller_kind") or ""),
                caller_id=inflight.get("caller_id"),
                run_id=run_id,
                connection_id=connection_id or None,
                provider=str(inflight.get("provider", "")),
                model=model,
                prompt_tokens=prompt,
                completion_tokens=output,
                cost_nano_usd=usd_to_nano(usd),
                cost_note="; ".join(n for n in (price_note, INTERRUPTED_NOTE) if n),
                latency_ms=int(inflight.get("elapsed_ms") or 0),
                ttft_ms=inflight.get("ttft_ms"),
                status="error",
                error_class="interrupted",
                error=error,
                fallback_path=[*list(inflight.get("attempts") or []), attempt],
                streamed=bool(inflight.get("streamed", True)),
            ),
        )
    charged = inflight.get("hold_id") if inflight and record is not None else None
    _settle_run_holds(session, run_id, charged, usd_to_nano(usd), tokens)
    return record
