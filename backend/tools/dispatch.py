"""Dispatch one tool call, without auditing it: lookup, allowlist, risk, arguments, approval,
the handler under its timeout, and the mapping of every failure to a status and a message.

Used by :mod:`backend.tools.executor`, which adds the audit row and the public result type.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Sequence
from typing import Any, Literal

from backend.accounts.actor import NotFound, PermissionDenied
from backend.security.redact import redact_secrets
from backend.security.vault import VaultError
from backend.tools.base import InvalidInput, RunContext, Tool, ToolContext, ToolDenied, ToolError
from backend.tools.registry import ToolRegistry, builtin_registry, resolve_tools

log = logging.getLogger(__name__)
ToolStatus = Literal["ok", "error", "denied", "timeout"]
MAX_OUTPUT_CHARS = 16000
MAX_ARGUMENT_CHARS = 200_000
SUMMARY_CHARS = 300


def requires_approval(tool: Tool, context: RunContext) -> bool:
    """True if ``tool`` must wait for the user's approval (its own flag or the agent's setting)."""
    return tool.needs_approval or tool.name in context.approval_tools


def _parse_arguments(tool_name: str, arguments_json: str | None) -> dict[str, Any]:
    text = (arguments_json or "").strip() or "{}"
    if len(text) > MAX_ARGUMENT_CHARS:
        raise ToolError(f"The arguments for {tool_name} are too long ({len(text):,} characters).")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ToolError(f"The arguments for {tool_name} are not valid JSON: {exc}. Send a JSON object.") from None
    if not isinstance(value, dict):
        raise ToolError(f"The arguments for {tool_name} must be a JSON object, not {type(value).__name__}.")
    return value


def _cap_output(output: Any) -> Any:
    text = json.dumps(output, ensure_ascii=False, default=str)
    if len(text) <= MAX_OUTPUT_CHARS:
        return json.loads(text)  # normalised: plain JSON types only
    return {"truncated": True, "preview": text[:MAX_OUTPUT_CHARS]}


def summarize(tool: Tool, output: Any) -> str:
    """One line (<= 300 characters, secrets redacted) describing a successful call's output."""
    try:
        text = tool.summarize(output) if tool.summarize else json.dumps(output, ensure_ascii=False, default=str)
    except Exception:  # a summary must never fail the call
        text = json.dumps(output, ensure_ascii=False, default=str)
    text = redact_secrets(" ".join(str(text)[: SUMMARY_CHARS * 4].split()))  # cut first: redaction is O(n²)
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


async def _invoke(tool: Tool, arguments: dict[str, Any], context: ToolContext) -> Any:
    if inspect.iscoroutinefunction(tool.handler):
        return await tool.handler(arguments, context)
    result = await asyncio.to_thread(tool.handler, arguments, context)
    return await result if inspect.isawaitable(result) else result


async def dispatch(
    *,
    tool_name: str,
    arguments_json: str,
    allowlist: Sequence[str],
    context: ToolContext,
    approved: bool,
    registry: ToolRegistry | None,
) -> tuple[Tool | None, ToolStatus, Any, str]:
    """Run one call: ``(tool or None if unknown, status, output, error message)``.

    ``output`` is the capped JSON-safe result for ``ok``, else None. Raises nothing but
    ``asyncio.CancelledError``.
    """
    name = tool_name if isinstance(tool_name, str) else ""
    tool = (builtin_registry() if registry is None else registry).get(name)
    if tool is None:  # a custom tool of the workspace? (a DB query: off the event loop)
        found = await asyncio.to_thread(
            resolve_tools, [name], workspace_id=context.actor.workspace_id, registry=registry
        )
        tool = found.get(name)
    if name not in allowlist:
        if tool is None:
            return None, "error", None, f"Unknown tool {name[:64]!r}. Use only the tools you were given."
        return tool, "denied", None, f"The tool {name} is not enabled for this agent; do not call it again."
    if tool is None:
        return None, "error", None, f"Unknown tool {name[:64]!r}: it no longer exists."
    if tool.risk not in context.run.allowed_risks:
        return tool, "denied", None, f"The tool {name} ({tool.risk}) is not allowed in this run."
    try:
        arguments = _parse_arguments(name, arguments_json)
    except ToolError as exc:
        return tool, "error", None, str(exc)
    problems = tool.validate(arguments)
    if problems:
        return tool, "error", None, f"Invalid arguments for {name}: " + "; ".join(problems)
    if requires_approval(tool, context.run) and not approved:
        return tool, "denied", None, f"The tool {name} needs the user's approval, which was not given."
    try:
        async with asyncio.timeout(tool.timeout_s):
            output = await _invoke(tool, arguments, context)
        return tool, "ok", _cap_output(output), ""
    except TimeoutError:
        return tool, "timeout", None, f"The tool {name} did not finish within {tool.timeout_s:g} s."
    except (ToolDenied, PermissionDenied) as exc:
        return tool, "denied", None, str(exc)
    except (ToolError, InvalidInput, NotFound) as exc:
        return tool, "error", None, str(exc)
    except VaultError:
        return tool, "error", None, f"The stored secret of {name} could not be decrypted; re-enter it in the builder."
    except Exception as exc:  # a tool's bug must not crash the run
        log.exception("Tool %s failed", name)
        return (
            tool,
            "error",
            None,
            f"The tool {name} failed: {type(exc).__name__}: {redact_secrets(str(exc)[:600])[:300]}",
        )
