"""What a whole run consumed: every gateway call of the run, delegated runs' calls included."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from backend.gateway.router import ChatUsage
from backend.models import Run
from backend.runtime.events import UsageReport


@dataclass
class Totals:
    """Summed tokens (input, output) and cost (USD) of a run's model calls; the model, connection,
    provider and fallback path of the agent's own last call; ``ttft_ms`` of its first call."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    notes: list[str] = field(default_factory=list)
    ttft_ms: int | None = None
    model: str = ""
    connection_id: str = ""
    provider: str = ""
    fallback_path: tuple[dict[str, Any], ...] = ()
    calls: int = 0
    latency_ms: int = 0
    began: float = field(default_factory=time.perf_counter)

    def add(self, usage: ChatUsage, *, main: bool) -> None:
        """Count one gateway call (``main``: the agent's own, not a delegate's)."""
        self.calls += 1
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        self.cost_usd += usage.cost_usd
        self.latency_ms = usage.latency_ms if self.calls == 1 else int((time.perf_counter() - self.began) * 1000)
        if usage.cost_note and usage.cost_note not in self.notes:
            self.notes.append(usage.cost_note)
        if main:
            if self.ttft_ms is None:
                self.ttft_ms = usage.ttft_ms
            self.model, self.connection_id, self.provider = usage.model, usage.connection_id, usage.provider
            self.fallback_path = usage.fallback_path

    @classmethod
    def from_run(cls, run: Run) -> Totals:
        """Continue counting a paused run (its stored figures)."""
        notes = [n for n in run.cost_note.split("; ") if n]
        return cls(
            prompt_tokens=run.prompt_tokens,
            completion_tokens=run.completion_tokens,
            cost_usd=run.cost_usd,
            notes=notes,
            ttft_ms=run.ttft_ms,
            model=run.model,
            connection_id=run.connection_id or "",
            provider=run.provider,
            fallback_path=tuple(run.fallback_path),
            calls=1 if run.prompt_tokens + run.completion_tokens > 0 else 0,
        )

    def report(self) -> UsageReport | None:
        """The run's ``UsageReport`` (None before any model call finished)."""
        if self.calls == 0:
            return None
        return UsageReport(
            model=self.model,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost_usd=self.cost_usd,
            cost_note="; ".join(self.notes)[:300],
            latency_ms=self.latency_ms,
            ttft_ms=self.ttft_ms,
            connection_id=self.connection_id,
            provider=self.provider,
            fallback_path=self.fallback_path,
        )
