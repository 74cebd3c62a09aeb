"""Typed events of a run, shared by the chat page and (later) the developer API's SSE stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
    """What the run consumed: the sum of its usage records. Units: tokens; ``cost_nano_usd``
    nano-USD; ``latency_ms``/``ttft_ms`` ms.

    ``model``, ``connection_id`` and ``provider`` are those of the model that answered;
    ``fallback_path`` lists every model tried, in order (see ``backend.gateway.candidates.Attempt``),
    so "answered by a fallback" is ``len(fallback_path) > 1``.
    """

    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_nano_usd: int
    cost_note: str
    latency_ms: int
    ttft_ms: int | None
    connection_id: str = ""
    provider: str = ""
    fallback_path: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class RunFailed:
    """The run failed; ``message`` is plain words for the user (no secrets). ``kind`` is the
    gateway's error kind (``rate_limit``, ``budget``, ``auth``, ...) or ``internal``;
    ``retry_after_s`` the seconds a rate limit asks to wait (None when not known)."""

    kind: str
    message: str
    retry_after_s: float | None = None


@dataclass(frozen=True)
class RunDone:
    """The run ended with ``status`` ``succeeded``, ``failed``, ``cancelled`` or
    ``awaiting_approval`` (paused: continue it with ``backend.runtime.resume.resume_run``)."""

    run_id: str
    status: str
    assistant_message_id: str | None


@dataclass(frozen=True)
class Citation:
    """A source the answer used, shown under it: a knowledge source (``kind="knowledge"``,
    ``source_id`` = knowledge source id, ``location`` e.g. ``"p. 3"``) or a memory
    (``kind="memory"``, ``source_id`` = the conversation it came from). ``snippet``: <= 300 chars.
    ``label``: the number(s) the answer cites it by, e.g. ``"2"`` or ``"1, 3"``.
    """

    source_id: str
    title: str
    snippet: str
    kind: str = "knowledge"
    location: str = ""
    label: str = ""


@dataclass(frozen=True)
class ToolCallStarted:
    """A tool call (a step) begins; shown live as a collapsible step in the chat.

    ``arguments`` is the JSON text of the arguments with secrets redacted; ``title`` the tool's
    human title ("Create task", "Ask Research bot"); ``depth`` 0 for the agent's own calls and
    1..3 inside delegated runs, whose steps nest under ``parent_step_id`` (the "ask" step).
    """

    step_id: str
    call_id: str
    tool_name: str
    title: str
    arguments: str
    parent_step_id: str | None
    depth: int


@dataclass(frozen=True)
class ToolCallFinished:
    """A step ended: ``status`` ``ok``, ``error``, ``denied``, ``timeout`` or ``rejected`` (the
    user denied it). ``summary`` <= 300 characters; ``output_preview`` <= 2,000; ``duration_ms`` ms.
    """

    step_id: str
    status: str
    summary: str
    output_preview: str
    duration_ms: int


@dataclass(frozen=True)
class ApprovalRequired:
    """A started step waits for the user's Approve/Deny; the run then ends with
    ``RunDone(status="awaiting_approval")`` and continues with ``resume_run``."""

    step_id: str
    tool_name: str
    title: str
    arguments: str


@dataclass(frozen=True)
class PlanStepInfo:
    """One step of a plan as announced: ``position`` 1-based; ``agent`` the executor's name
    (the planner's own name for "self"); ``tools`` the read-only tools it may use; ``status``
    ``pending``, ``running``, ``done`` or ``failed``."""

    step_id: str
    position: int
    goal: str
    agent: str
    tools: tuple[str, ...]
    status: str = "pending"


@dataclass(frozen=True)
class PlanCreated:
    """Planner mode: the agent judged the request complex and wrote a plan (stored before this
    event). Its steps then run in order (``PlanStepUpdated``), their executors' tool calls nest
    under the step (``ToolCallStarted.parent_step_id`` = the plan step's id, ``depth`` 1), and
    the final answer streams as ``TextDelta`` s."""

    plan_id: str
    run_id: str
    steps: tuple[PlanStepInfo, ...]


@dataclass(frozen=True)
class PlanStepUpdated:
    """A plan step changed status: ``running``, then ``done`` (``summary``: the executor's
    answer, <= 2,000 characters) or ``failed`` (``summary``: why). ``duration_ms`` ms."""

    plan_id: str
    step_id: str
    position: int
    status: str
    summary: str = ""
    duration_ms: int = 0


RunEvent = (
    RunStarted
    | TextDelta
    | Citation
    | UsageReport
    | RunFailed
    | RunDone
    | ToolCallStarted
    | ToolCallFinished
    | ApprovalRequired
    | PlanCreated
    | PlanStepUpdated
)
