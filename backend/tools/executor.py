"""Execute the tool calls a model asked for: permission, validation, timeout, audit. Never raises.

The runtime loop hands each model tool call to :func:`execute_tool_call` (or several at once to
:func:`execute_tool_calls`) and feeds ``ToolResult.to_model_content()`` back as the ``tool``
message. Whatever the model asks, a tool outside the agent's allowlist is never run (status
``denied``); unknown tools, malformed or schema-violating arguments, tool exceptions and
timeouts come back as ``error``/``timeout`` results with a message the model can read. Every
call, refused or not, writes one ``tool_audit`` row.

Approval: :func:`approval_needed` tells the loop to pause and ask the user; only a call made
with ``approved=True`` runs such a tool (otherwise it is ``denied``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from backend.accounts.actor import Actor
from backend.tools.audit import AuditEntry, redact_arguments, write_audits
from backend.tools.base import RunContext, ToolContext
from backend.tools.dispatch import SUMMARY_CHARS, ToolStatus, dispatch, requires_approval, summarize
from backend.tools.registry import ToolRegistry, resolve_tools

log = logging.getLogger(__name__)
__all__ = [
    "ToolCall",
    "ToolResult",
    "approval_needed",
    "execute_tool_call",
    "execute_tool_calls",
    "requires_approval",
]


@dataclass(frozen=True)
class ToolCall:
    """One call as the model made it (``call_id`` is the model's ``tool_call.id``)."""

    call_id: str
    name: str
    arguments_json: str
    approved: bool = False


@dataclass(frozen=True)
class ToolResult:
    """What happened to one call.

    Attributes:
        status: ``ok``, ``error``, ``denied`` or ``timeout``.
        output: The tool's JSON-serialisable result (``ok`` only; <= 16,000 characters as JSON,
            else ``{"truncated": true, "preview": ...}``); None otherwise.
        summary: One line for the chat step and the audit log (<= 300 characters).
        duration_ms: Milliseconds from dispatch to result.
        error: The message for the model and the user (not ``ok``).
        audit_id: The ``tool_audit`` row ("" if writing it failed).
    """

    call_id: str
    tool_name: str
    status: ToolStatus
    output: Any
    summary: str
    duration_ms: int
    error: str = ""
    audit_id: str = ""

    @property
    def ok(self) -> bool:
        """True when the tool ran and returned."""
        return self.status == "ok"

    def to_model_content(self) -> str:
        """The ``content`` of the ``role: tool`` message sent back to the model (JSON text)."""
        if self.ok:
            return json.dumps(self.output, ensure_ascii=False, default=str)
        return json.dumps({"status": self.status, "error": self.error}, ensure_ascii=False)


def approval_needed(
    tool_name: str, *, context: RunContext, workspace_id: str, registry: ToolRegistry | None = None
) -> bool:
    """True when a call of ``tool_name`` must pause for the user's Approve/Deny before it runs
    (the tool's own flag, or the agent's ``approval_tools``). Unknown tools: False (they fail).

    May query the database (custom tools): call it off the event loop in hot paths.
    """
    tool = resolve_tools([tool_name], workspace_id=workspace_id, registry=registry).get(tool_name)
    return tool is not None and requires_approval(tool, context)


async def _execute(
    *,
    actor: Actor,
    agent_id: str,
    run_id: str | None,
    allowlist: Sequence[str],
    call: ToolCall,
    context: RunContext | None,
    registry: ToolRegistry | None,
) -> tuple[ToolResult, AuditEntry]:
    """Dispatch one call and build its audit entry (not written). A cancelled call is audited
    here (as stopped) before ``CancelledError`` propagates."""
    tool_context = ToolContext(
        actor=actor, agent_id=agent_id, run_id=run_id, call_id=call.call_id, run=context or RunContext()
    )
    started = time.perf_counter()
    cancelled = False
    try:
        tool, status, output, error = await dispatch(
            tool_name=call.name,
            arguments_json=call.arguments_json,
            allowlist=allowlist,
            context=tool_context,
            approved=call.approved,
            registry=registry,
        )
    except asyncio.CancelledError:
        cancelled = True
        tool, status, output, error = None, "error", None, "The run was stopped before the tool finished."
    duration_ms = int((time.perf_counter() - started) * 1000)
    name = tool.name if tool else str(call.name)[:64]
    summary = summarize(tool, output) if tool and status == "ok" else (error[:SUMMARY_CHARS] or status)
    entry = AuditEntry(
        workspace_id=actor.workspace_id,
        agent_id=agent_id,
        run_id=run_id,
        user_id=actor.user_id,
        call_id=call.call_id,
        tool_name=name,
        tool_version=tool.version if tool else "",
        arguments=redact_arguments(call.arguments_json),
        status=status,
        summary=summary,
        error=error,
        duration_ms=duration_ms,
    )
    if cancelled:
        _write_now([entry])
        raise asyncio.CancelledError
    return ToolResult(call.call_id, name, status, output, summary, duration_ms, error), entry


def _write_now(entries: list[AuditEntry]) -> list[str]:
    """Write audit rows; on a database error log it and return empty ids (the calls happened)."""
    try:
        return write_audits(entries)
    except Exception:
        log.exception("Could not write the audit rows of %d tool call(s)", len(entries))
        return [""] * len(entries)


async def _write(entries: list[AuditEntry]) -> list[str]:
    return await asyncio.to_thread(_write_now, entries)


async def execute_tool_call(
    *,
    actor: Actor,
    agent_id: str,
    run_id: str | None,
    allowlist: Sequence[str],
    tool_name: str,
    arguments_json: str,
    context: RunContext | None = None,
    call_id: str = "",
    approved: bool = False,
    registry: ToolRegistry | None = None,
) -> ToolResult:
    """Run one tool call the model asked for, and audit it.

    Args:
        actor: The user the run acts for (tenant of every tool).
        agent_id, run_id: Recorded in the audit log and given to tools.
        allowlist: The agent's enabled tool names (``BlueprintVersion.tools``).
        tool_name, arguments_json: As the model sent them (arguments: a JSON object as text).
        context: Conversation, domain list, approval tools, network rules, allowed risks
            (see :func:`backend.tools.agent_settings.run_context_for`).
        call_id: The model's tool-call id (echoed in the result and the audit row).
        approved: The user approved this call (needed for tools that require approval).
        registry: Tools to use instead of the built-ins (per-run tools, tests); custom tools of
            the actor's workspace are always looked up too.

    Returns:
        A :class:`ToolResult`; this function does not raise (except ``asyncio.CancelledError``,
        after auditing the call as stopped).
    """
    call = ToolCall(call_id, tool_name, arguments_json, approved)
    result, entry = await _execute(
        actor=actor,
        agent_id=agent_id,
        run_id=run_id,
        allowlist=allowlist,
        call=call,
        context=context,
        registry=registry,
    )
    [audit_id] = await _write([entry])
    return replace(result, audit_id=audit_id)


async def execute_tool_calls(
    calls: Sequence[ToolCall],
    *,
    actor: Actor,
    agent_id: str,
    run_id: str | None,
    allowlist: Sequence[str],
    context: RunContext | None = None,
    registry: ToolRegistry | None = None,
) -> list[ToolResult]:
    """Run several tool calls concurrently (``asyncio.gather``), each with its own timeout, and
    audit them in one transaction.

    Returns:
        One :class:`ToolResult` per call, in the order of ``calls``; total time is about the
        slowest call's, not the sum. If the batch is cancelled, the calls that had finished and
        the stopped ones are audited before ``CancelledError`` propagates.
    """
    finished: dict[int, tuple[ToolResult, AuditEntry]] = {}

    async def one(index: int, call: ToolCall) -> None:
        finished[index] = await _execute(
            actor=actor,
            agent_id=agent_id,
            run_id=run_id,
            allowlist=allowlist,
            call=call,
            context=context,
            registry=registry,
        )

    try:
        await asyncio.gather(*(one(i, c) for i, c in enumerate(calls)))
    except asyncio.CancelledError:
        _write_now([finished[i][1] for i in sorted(finished)])
        raise
    ordered = [finished[i] for i in range(len(calls))]
    ids = await _write([entry for _, entry in ordered])
    return [replace(result, audit_id=audit_id) for (result, _), audit_id in zip(ordered, ids, strict=True)]
