"""Typed events of a run, shared by the chat page and (later) the developer API's SSE stream."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunStarted:
    """The user's message is stored and a run row exists (status ``running``)."""

    run_id: str
    conversation_id: str
    user_message_id: str


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer, in arrival order."""

    text: str


@dataclass(frozen=True)
class UsageReport:
    """What the run consumed. Units: tokens; ``cost_usd`` USD; ``latency_ms``/``ttft_ms`` ms."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    cost_note: str
    latency_ms: int
    ttft_ms: int | None


@dataclass(frozen=True)
class RunFailed:
    """The run failed; ``message`` is plain words for the user (no secrets)."""

    kind: str
    message: str


@dataclass(frozen=True)
class RunDone:
    """The run ended with ``status`` ``succeeded``, ``failed`` or ``cancelled``."""

    run_id: str
    status: str
    assistant_message_id: str | None


RunEvent = RunStarted | TextDelta | UsageReport | RunFailed | RunDone
