"""Request and response bodies of the developer API (``/api/v1``), with the examples shown in
its OpenAPI document. The chat completion shapes follow OpenAI's Chat Completions API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    """OpenAI's error object."""

    message: str = Field(examples=["Incorrect API key provided."])
    type: str = Field(examples=["invalid_request_error"])
    param: str | None = None
    code: str | None = Field(default=None, examples=["invalid_api_key"])


class ErrorBody(BaseModel):
    """Every error response: ``{"error": {...}}`` (OpenAI's shape)."""

    error: ErrorDetail


class ContentPart(BaseModel):
    """A part of a message's content; only ``text`` parts are read."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(max_length=40, examples=["text"])
    text: str | None = Field(default=None, max_length=32000)


class ChatMessageIn(BaseModel):
    """One message of the request. ``system``/``developer`` messages are ignored: the agent's
    own instructions apply."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = Field(default=None)

    def text(self) -> str:
        """The message's text (text parts joined by blank lines)."""
        if isinstance(self.content, list):
            return "\n\n".join(p.text for p in self.content if p.text)
        return self.content or ""


class StreamOptions(BaseModel):
    """``include_usage``: send a last chunk with the run's usage (empty ``choices``)."""

    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """``model`` is an agent's model id (``GET /api/v1/models``). The last message must be the
    user's; earlier user/assistant messages become the history of a new conversation. Other
    OpenAI parameters (temperature, ...) are accepted and ignored: the agent's settings apply.
    ``conversation_id`` (Agent Hub extension) continues a stored conversation instead."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [{"model": "support-bot-3f9a1c2e", "messages": [{"role": "user", "content": "Hello!"}]}]
        },
    )
    model: str = Field(min_length=1, max_length=200)
    messages: list[ChatMessageIn] = Field(min_length=1, max_length=500)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(default=None, max_length=200)
    conversation_id: str | None = Field(default=None, max_length=64)


class Usage(BaseModel):
    """Tokens of the run: the sum of its usage records (every model call, delegated ones too)."""

    prompt_tokens: int = Field(examples=[42])
    completion_tokens: int = Field(examples=[7])
    total_tokens: int = Field(examples=[49])


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None = Field(examples=["Hello! How can I help?"])


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: str = Field(examples=["stop"])


class ChatCompletion(BaseModel):
    """A finished run as an OpenAI chat completion; ``id`` is ``chatcmpl-<run id>``."""

    id: str = Field(examples=["chatcmpl-5e0c3b1e9a8d4c7f8e2d1a0b9c8d7e6f"])
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(examples=[1764680000])
    model: str = Field(examples=["support-bot-3f9a1c2e"])
    choices: list[Choice]
    usage: Usage
    conversation_id: str = Field(examples=["0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"])


class ModelCard(BaseModel):
    id: str = Field(examples=["support-bot-3f9a1c2e"])
    object: Literal["model"] = "model"
    created: int = Field(examples=[1764680000])
    owned_by: str = Field(examples=["workspace"])
    title: str = Field(examples=["Support bot"])


class ModelList(BaseModel):
    """What the key may call (its own agents, or its subscription's listing)."""

    object: Literal["list"] = "list"
    data: list[ModelCard]


class RunRequest(BaseModel):
    """Start a run: ``message`` in a new conversation, or in ``conversation_id``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"message": "Summarise our refund policy."}]})
    message: str = Field(min_length=1, max_length=32000)
    conversation_id: str | None = Field(default=None, max_length=64)
    browser_id: str | None = Field(default=None, max_length=100, description="The embed widget's visitor id.")


class PlanStepView(BaseModel):
    """One step of a planner-mode plan: its goal, the executor (``self`` or another agent's name)
    and its read-only tools, its status (``pending``, ``running``, ``done``, ``failed``) and the
    executor's result or why it failed (<= 2,000 characters); ``duration_ms`` ms."""

    step_id: str
    position: int = Field(examples=[1], description="1-based order of the step.")
    goal: str = Field(examples=["Compute the cost of 12 boxes at 7 dollars"])
    agent: str = Field(examples=["self"])
    tools: list[str] = Field(examples=[["calculator"]])
    status: str = Field(examples=["done"])
    summary: str = Field(examples=["12 boxes cost 84 dollars."])
    duration_ms: int = Field(examples=[1840])


class PlanView(BaseModel):
    """The plan a planner-mode run wrote (``status``: ``running``, ``done``, ``failed`` when a
    step failed, ``stopped`` when the run ended first), steps in order."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "plan_id": "7a0c3b1e9a8d4c7f8e2d1a0b9c8d7e6f",
                    "status": "done",
                    "steps": [
                        {
                            "step_id": "9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e",
                            "position": 1,
                            "goal": "Compute the cost of 12 boxes at 7 dollars",
                            "agent": "self",
                            "tools": ["calculator"],
                            "status": "done",
                            "summary": "12 boxes cost 84 dollars.",
                            "duration_ms": 1840,
                        }
                    ],
                }
            ]
        }
    )
    plan_id: str
    status: str = Field(examples=["done"])
    steps: list[PlanStepView]


class RunView(BaseModel):
    """A run's state and totals. Units: tokens; ``cost_nano_usd`` nano-USD (None for a
    marketplace agent: the price is the plan's); ``latency_ms`` ms."""

    id: str
    conversation_id: str | None
    status: str = Field(examples=["succeeded"])
    error: str
    prompt_tokens: int
    completion_tokens: int
    cost_nano_usd: int | None
    latency_ms: int | None
    created_at: datetime
    finished_at: datetime | None
    answer: str = Field(description="The assistant message of the run ('' if none).")
    plan: PlanView | None = Field(
        default=None, description="Planner mode: the plan the run wrote and each step's status (null: no plan)."
    )


class ConversationView(BaseModel):
    id: str
    title: str = Field(examples=["Refund policy"])
    updated_at: datetime


class ConversationCreate(BaseModel):
    """No fields needed; a new conversation with the agent's current version (a listing's
    published version)."""

    model_config = ConfigDict(extra="forbid")


class MessageView(BaseModel):
    id: str
    role: str = Field(examples=["assistant"])
    content: str
    run_status: str = Field(description="The run's status for assistant messages, else ''.")
    error: str
    run_id: str | None = Field(default=None, description="The run that wrote an assistant message, else null.")
    plan: PlanView | None = Field(
        default=None, description="Planner mode: the plan of the assistant message's run (null: no plan)."
    )


class KnowledgeView(BaseModel):
    """A knowledge source and its ingestion status (``queued``, ``parsing``, ..., ``indexed``,
    ``failed``); ``progress`` 0.0-1.0; ``size_bytes`` bytes."""

    id: str
    name: str
    status: str = Field(examples=["indexed"])
    error: str
    size_bytes: int
    chunk_count: int
    progress: float
    created_at: datetime
    indexed_at: datetime | None


EVENT_TYPES = (
    "started",
    "token",
    "tool_step",
    "approval_needed",
    "citation",
    "plan",
    "plan_step",
    "usage",
    "done",
    "failed",
)

SSE_DOC: dict[str, Any] = {
    "description": (
        "Server-sent events. Each event has an `id` (its number, from 1), an `event` type ("
        + ", ".join(EVENT_TYPES)
        + ") and JSON `data`. Reconnect to `GET /api/v1/runs/{run_id}/events` with `Last-Event-ID` to resume."
    ),
    "content": {
        "text/event-stream": {
            "schema": {
                "type": "object",
                "description": "One server-sent event; `data` is JSON text.",
                "properties": {
                    "id": {"type": "string", "pattern": "^[0-9]+$"},
                    "event": {"type": "string", "enum": list(EVENT_TYPES)},
                    "data": {"type": "string", "contentMediaType": "application/json"},
                },
                "required": ["data"],
            },
            "example": 'id: 1\nevent: started\ndata: {"run_id": "5e0c...", "conversation_id": "0b1c..."}\n\n'
            'id: 2\nevent: token\ndata: {"text": "Hello"}\n\n',
        }
    },
}


CHUNK_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": 'One server-sent event: a `chat.completion.chunk` as JSON text, an `{"error": ...}` '
    "object, or `[DONE]`.",
    "properties": {"data": {"type": "string"}},
    "required": ["data"],
}
