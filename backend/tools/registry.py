"""The tool registry: built-in tools plus each workspace's custom HTTP tools.

Built-in names are a contract with stored agent allowlists: ``http_request``, ``fetch_webpage``,
``create_task``, ``list_tasks``, ``complete_task``, ``create_note``, ``search_notes``,
``send_notification``, ``current_datetime``, ``calculator``, ``summarize_conversation`` and
``knowledge_search``. A custom tool's name is unique in its workspace and never shadows a
built-in. :func:`openai_tool_specs` turns an agent's allowlist into the ``tools=`` list of an
OpenAI/LiteLLM chat completion request.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from backend.accounts.actor import Actor, require_member
from backend.tools.base import Risk, Tool, ToolContext

BUILTIN_NAMES = (
    "http_request",
    "fetch_webpage",
    "create_task",
    "list_tasks",
    "complete_task",
    "create_note",
    "search_notes",
    "send_notification",
    "current_datetime",
    "calculator",
    "summarize_conversation",
    "knowledge_search",
)


class ToolRegistry:
    """Tools by name. The process-wide built-ins come from :func:`builtin_registry`; tests build
    their own registries (dependency injection, no monkeypatching)."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        """Add ``tool``.

        Raises:
            ValueError: a tool with the same name is already registered.
        """
        if tool.name in self._tools:
            raise ValueError(f"A tool named {tool.name!r} is already registered.")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        """The tool called ``name``, or None."""
        return self._tools.get(name)

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)


def _knowledge_search_tool() -> Tool:
    """Adapter for the memory issue's ``knowledge_search`` (its schema, our handler signature)."""
    from backend.tools import knowledge_search as ks

    async def handler(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
        scope = ks.ToolContext(actor=context.actor, agent_id=context.agent_id)
        return await ks.knowledge_search(arguments["query"], arguments.get("k", 5), context=scope)

    fn = ks.KNOWLEDGE_SEARCH_SCHEMA["function"]
    return Tool(
        name=fn["name"],
        title="Search knowledge",
        description=fn["description"],
        parameters=fn["parameters"],
        handler=handler,
        risk="read",
        summarize=lambda out: f"{len(out['passages'])} passage(s)",
    )


@lru_cache(maxsize=1)
def builtin_registry() -> ToolRegistry:
    """The built-in tools (built once per process, in :data:`BUILTIN_NAMES` order)."""
    from backend.tools import (
        calculator,
        conversation,
        current_datetime,
        fetch_webpage,
        http_request,
        notes,
        notifications,
        tasks,
    )

    tools = [
        http_request.TOOL,
        fetch_webpage.TOOL,
        *tasks.TOOLS,
        *notes.TOOLS,
        notifications.TOOL,
        current_datetime.TOOL,
        calculator.TOOL,
        conversation.TOOL,
        _knowledge_search_tool(),
    ]
    registry = ToolRegistry(tools)
    assert registry.names() == list(BUILTIN_NAMES), registry.names()  # noqa: S101  (the contract)
    return registry


def resolve_tools(
    names: Iterable[str], *, workspace_id: str | None, registry: ToolRegistry | None = None
) -> dict[str, Tool]:
    """Look up tools by name: in ``registry`` (default: built-ins), then the workspace's custom tools.

    Args:
        names: Tool names; unknown ones are left out of the result.
        workspace_id: Whose custom tools to search; None searches built-ins only.

    Returns:
        ``{name: Tool}`` for the names found.
    """
    registry = builtin_registry() if registry is None else registry
    found: dict[str, Tool] = {}
    missing: list[str] = []
    for name in dict.fromkeys(names):
        tool = registry.get(name)
        if tool is not None:
            found[name] = tool
        elif isinstance(name, str):
            missing.append(name)
    if missing and workspace_id:
        from backend.tools.custom_http import load_custom_tools

        for tool in load_custom_tools(workspace_id, missing):
            found[tool.name] = tool
    return found


def openai_tool_specs(
    tool_names: Sequence[str], *, workspace_id: str | None = None, registry: ToolRegistry | None = None
) -> list[dict[str, Any]]:
    """The ``tools=`` list for an OpenAI/LiteLLM chat completion, for an agent's allowlist.

    Args:
        tool_names: The allowlist, in the order the builder shows it; duplicates and names that
            no longer exist (a deleted custom tool) are skipped.
        workspace_id: The agent's workspace, to include its custom tools.

    Returns:
        ``[{"type": "function", "function": {"name", "description", "parameters"}}, ...]``
        (https://platform.openai.com/docs/api-reference/chat/create#chat-create-tools).
    """
    found = resolve_tools(tool_names, workspace_id=workspace_id, registry=registry)
    return [found[name].openai_spec() for name in dict.fromkeys(tool_names) if name in found]


@dataclass(frozen=True)
class ToolInfo:
    """A tool as the builder's checkbox list shows it."""

    name: str
    title: str
    description: str
    risk: Risk
    source: str
    needs_approval: bool
    version: str


def available_tools(*, actor: Actor, session: Session, registry: ToolRegistry | None = None) -> list[ToolInfo]:
    """Every tool an agent of the actor's workspace can be given: built-ins, then custom tools.

    Raises:
        PermissionDenied: the actor is not a member of the workspace.
    """
    from backend.tools.custom_http import load_custom_tools

    require_member(actor, session)
    tools = [
        *(builtin_registry() if registry is None else registry),
        *load_custom_tools(actor.workspace_id, session=session),
    ]
    return [
        ToolInfo(t.name, t.title or t.name, t.description, t.risk, t.source, t.needs_approval, t.version) for t in tools
    ]
