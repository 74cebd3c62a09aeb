"""Tool calls in model replies: the ``ToolCalls`` event and the joining of streamed fragments.

OpenAI streams a tool call as ``delta.tool_calls[i]`` fragments sharing an ``index``: the first
carries ``id`` and ``function.name``, later ones pieces of ``function.arguments``
(https://platform.openai.com/docs/api-reference/chat-streaming). LiteLLM passes them through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ToolCalls:
    """The tool calls the model asked for in this reply (yielded once, before ``Usage``).

    Attributes:
        calls: ``(call_id, name, arguments_json)`` in the model's order; ``arguments_json`` is
            the raw text the model produced (it may be invalid JSON: the executor reports that).
    """

    calls: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class ToolCallProgress:
    """Internal (completion -> router, never yielded by the router): the first tool-call fragment
    arrived, so the reply has begun; from here on the router neither retries nor falls back."""


class ToolCallAccumulator:
    """Joins streamed ``delta.tool_calls`` fragments (by ``index``) into complete calls."""

    def __init__(self) -> None:
        self._calls: dict[int, list[str]] = {}

    def add(self, fragments: Any) -> bool:
        """Add one chunk's ``delta.tool_calls``; True if it held any fragment."""
        seen = False
        for position, frag in enumerate(fragments or []):
            index = getattr(frag, "index", None)
            index = position if index is None else int(index)
            slot = self._calls.setdefault(index, ["", "", ""])
            fn = getattr(frag, "function", None)
            if getattr(frag, "id", None):
                slot[0] = str(frag.id)
            if fn is not None and getattr(fn, "name", None):
                slot[1] = str(fn.name)
            if fn is not None and getattr(fn, "arguments", None):
                slot[2] += str(fn.arguments)
            seen = True
        return seen

    def calls(self) -> tuple[tuple[str, str, str], ...]:
        """``(call_id, name, arguments_json)`` in index order (ids made up when missing)."""
        return tuple(
            (cid or f"call_{index}", name, args) for index, (cid, name, args) in sorted(self._calls.items()) if name
        )


def message_tool_calls(message: Any) -> tuple[tuple[str, str, str], ...]:
    """The complete tool calls of a non-streamed ``message`` (``(call_id, name, arguments_json)``)."""
    acc = ToolCallAccumulator()
    acc.add(getattr(message, "tool_calls", None))
    return acc.calls()


def tool_text(calls: tuple[tuple[str, str, str], ...]) -> str:
    """Text the tool calls stand for (for local token counting)."""
    return " ".join(f"{name} {args}" for _, name, args in calls)
