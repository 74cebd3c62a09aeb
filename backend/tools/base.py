"""The shape of a tool: definition, the context a call runs in, and the errors a tool may raise.

A tool is a name, a description, a JSON-Schema for its arguments (draft 2020-12, the dialect
OpenAI function calling accepts: https://platform.openai.com/docs/guides/function-calling), a
version, a risk level and a handler. Handlers take the validated arguments and a
:class:`ToolContext`; they return JSON-serialisable data or raise :class:`ToolError` (a message
the model can read) or :class:`ToolDenied` (a refusal: permission, network guard, domain).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from backend.accounts.actor import Actor
from backend.errors import FieldErrors
from backend.security.outbound import AllowRule, fetch_policy

Risk = Literal["read", "write", "external"]
"""``read``: looks things up; ``write``: changes workspace data; ``external``: talks to the internet."""

RISKS: tuple[Risk, ...] = ("read", "write", "external")
DEFAULT_TIMEOUT_S = 10.0
TOOL_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
"""Tool names: lower-case letters, digits and ``_``, starting with a letter, <= 64 characters
(inside OpenAI's ``^[a-zA-Z0-9_-]{1,64}$``)."""


class ToolError(Exception):
    """The tool could not do what was asked; ``str(exc)`` is shown to the model and the user."""


class ToolDenied(ToolError):
    """The call was refused (not allowed, blocked address, domain not on the agent's list)."""


class InvalidInput(FieldErrors):
    """Invalid service input; ``errors`` maps a form field (``"parameters[1].name"``) to its message."""

    name_fields = True  # tool arguments: the model needs to know which one was wrong


@dataclass(frozen=True)
class RunContext:
    """What a run knows besides who runs which agent (from the pinned blueprint and the chat).

    Attributes:
        conversation_id: The chat the run belongs to (``summarize_conversation``), if any.
        allowed_domains: Hosts ``http_request`` may call (``example.com``; ``*.example.com``
            for its subdomains; IP literals allowed).
        approval_tools: Tool names the builder marked "needs approval" for this agent.
        net_allow: Operator network rules (see ``backend.security.outbound``); None reads the
            fetch policy (``Settings.fetch_allow``; never the model-endpoint allow-list). Tests
            inject ``parse_allow_rules("127.0.0.1/32")`` here.
        allowed_risks: Risk levels this run may use; a delegated executor run gets ``("read",)``.
    """

    conversation_id: str | None = None
    allowed_domains: tuple[str, ...] = ()
    approval_tools: tuple[str, ...] = ()
    net_allow: tuple[AllowRule, ...] | None = None
    allowed_risks: tuple[Risk, ...] = RISKS


@dataclass(frozen=True)
class ToolContext:
    """Everything a handler may use: the acting user, the agent, the run and the call id.

    The tenant always comes from here, never from the model's arguments.
    """

    actor: Actor
    agent_id: str
    run_id: str | None = None
    call_id: str = ""
    run: RunContext = field(default_factory=RunContext)

    def network_rules(self) -> list[AllowRule]:
        """Operator network exceptions for this call (``run.net_allow`` or the settings)."""
        if self.run.net_allow is not None:
            return list(self.run.net_allow)
        return list(fetch_policy().rules)


Handler = Callable[[dict[str, Any], ToolContext], Awaitable[Any] | Any]
"""``handler(arguments, context)``; sync handlers run in a worker thread, async ones on the loop."""


@dataclass(frozen=True, eq=False)
class Tool:
    """One tool the model can call.

    Attributes:
        name: Unique name (``TOOL_NAME_RE``); part of the contract with agents' allowlists.
        description: What it does, for the model and the builder's checkbox.
        parameters: JSON Schema (``type: object``) of the arguments.
        handler: See :data:`Handler`.
        risk: ``read``, ``write`` or ``external``.
        version: Bumped when behaviour or parameters change (recorded in the audit log).
        needs_approval: Always pause for the user's approval (agents can add more tools).
        timeout_s: Seconds before the call is abandoned with status ``timeout``.
        title: Short label for the builder ("Create task").
        source: ``builtin`` or ``custom`` (a workspace's HTTP tool).
        summarize: Optional ``output -> str`` for the audit summary.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    handler: Handler
    risk: Risk = "read"
    version: str = "1"
    needs_approval: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    title: str = ""
    source: Literal["builtin", "custom"] = "builtin"
    summarize: Callable[[Any], str] | None = None

    def __post_init__(self) -> None:
        if not TOOL_NAME_RE.match(self.name):
            raise ValueError(f"Invalid tool name {self.name!r}.")
        if self.risk not in RISKS:
            raise ValueError(f"Invalid risk level {self.risk!r}.")
        Draft202012Validator.check_schema(self.parameters)

    def openai_spec(self) -> dict[str, Any]:
        """``{"type": "function", "function": {"name", "description", "parameters"}}``."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    @cached_property
    def validator(self) -> Draft202012Validator:
        """The compiled argument validator (built once per tool object)."""
        return Draft202012Validator(self.parameters)

    def validate(self, arguments: Any) -> list[str]:
        """Check ``arguments`` against :attr:`parameters`.

        Returns:
            Messages like ``"location: 12 is not of type 'string'"`` (path, then problem), sorted
            by path; empty when valid. The root is called ``arguments``.
        """
        errors = sorted(self.validator.iter_errors(arguments), key=lambda e: [str(p) for p in e.absolute_path])
        return [f"{json_path(e.absolute_path) or 'arguments'}: {e.message}" for e in errors[:10]]


def json_path(parts: Sequence[Any]) -> str:
    """``["items", 0, "name"]`` -> ``"items[0].name"``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def schema_problem(schema: Any) -> str | None:
    """Why ``schema`` is not a valid JSON Schema (draft 2020-12), or None when it is."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = json_path(list(exc.absolute_path))
        return f"{where}: {exc.message}" if where else exc.message
    return None


def object_schema(properties: dict[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    """A closed ``type: object`` schema (``additionalProperties: false``)."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema
