"""What a run's model calls looked like (not what they cost: that is the usage records').

Tokens and cost of a run are never counted in memory: :func:`backend.gateway.usage.run_totals`
sums the run's usage records in the transaction that finishes the run. :class:`RunTrace` only
keeps what the records do not say about the run as a whole: the model, connection, provider,
fallback path and first-token time of the agent's own last call, and the overall latency.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from backend.gateway.router import ChatUsage
from backend.gateway.usage import run_totals
from backend.models import Run
from backend.runtime.events import UsageReport


@dataclass
class RunTrace:
    """The model, connection, provider and fallback path of the agent's own last call,
    ``ttft_ms`` of its first call and the run's latency (ms)."""

    ttft_ms: int | None = None
    model: str = ""
    connection_id: str = ""
    provider: str = ""
    fallback_path: tuple[dict[str, Any], ...] = ()
    calls: int = 0
    latency_ms: int = 0
    began: float = field(default_factory=time.perf_counter)

    def add(self, usage: ChatUsage, *, main: bool) -> None:
        """Note one finished gateway call (``main``: the agent's own, not a delegate's)."""
        self.calls += 1
        self.latency_ms = usage.latency_ms if self.calls == 1 else int((time.perf_counter() - self.began) * 1000)
        if main:
            if self.ttft_ms is None:
                self.ttft_ms = usage.ttft_ms
            self.model, self.connection_id, self.provider = usage.model, usage.connection_id, usage.provider
            self.fallback_path = usage.fallback_path

    @classmethod
    def from_run(cls, run: Run) -> RunTrace:
        """Continue a paused run (its stored model and timing)."""
        return cls(
            ttft_ms=run.ttft_ms,
            model=run.model,
            connection_id=run.connection_id or "",
            provider=run.provider,
            fallback_path=tuple(run.fallback_path),
            calls=1 if run.prompt_tokens + run.completion_tokens > 0 else 0,
        )

    def report(self, run: Run) -> UsageReport:
        """The run's ``UsageReport``: tokens and cost as stored on ``run`` (the sum of its
        usage records), the rest from this trace."""
        return UsageReport(
            model=run.model,
            prompt_tokens=run.prompt_tokens,
            completion_tokens=run.completion_tokens,
            cost_nano_usd=run.cost_nano_usd,
            cost_note=run.cost_note,
            latency_ms=run.latency_ms or 0,
            ttft_ms=run.ttft_ms,
            connection_id=run.connection_id or "",
            provider=run.provider,
            fallback_path=tuple(run.fallback_path or ()),
        )


def apply_totals(session: Session, run: Run) -> None:
    """Set ``run``'s tokens, cost (nano-USD) and cost note to the sum of its usage records.

    The one way a run's figures are written: by every transaction that finishes a run (normal
    end, pause, Stop, failure, and the stale-run sweep). The caller adds ``run`` and commits.
    """
    session.flush()  # records added in this very transaction (the sweep's) count too
    totals = run_totals(session, run.id)
    run.prompt_tokens, run.completion_tokens = totals.prompt_tokens, totals.completion_tokens
    run.cost_nano_usd, run.cost_note = totals.cost_nano_usd, totals.cost_note
