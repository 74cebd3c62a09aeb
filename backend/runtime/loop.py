"""The agent loop: model -> tool calls -> results -> model ... -> final answer, as run events.

One :class:`AgentLoop` per (possibly delegated) run. Each turn the model gets the permitted
tools (the blueprint's allowlist, plus "ask <agent>" tools for its delegates below depth 3);
several calls in one turn run concurrently through ``executor.execute_tool_calls`` (each under
its tool's timeout, default 10 s) and every result goes back as a ``tool`` message. Unknown
tools, bad arguments, exceptions, timeouts and refusals come back to the model as tool errors
and appear as steps; after ``max_steps`` tool turns the model must answer without tools.
Calls of tools that need approval pause the loop (``pending``); ``resume`` continues it.
Delegated runs are executors limited to read-risk tools; their steps nest under the ask step.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, replace
from typing import Any

from backend.accounts.actor import Actor
from backend.accounts.principal import RunPrincipal
from backend.gateway import router
from backend.gateway.candidates import targets_for
from backend.gateway.llm import GatewayError
from backend.models import BlueprintVersion
from backend.models.common import new_id
from backend.runtime.checkpoint import Checkpoint
from backend.runtime.delegation import MAX_DEPTH, Delegate, load_delegates
from backend.runtime.events import ApprovalRequired, RunEvent, TextDelta, ToolCallFinished, ToolCallStarted
from backend.runtime.steps import NewStep, StepLog
from backend.runtime.usage import RunTrace
from backend.security.outbound import AllowRule
from backend.security.redact import redact_secrets
from backend.tools.agent_settings import run_context_for
from backend.tools.audit import redact_arguments
from backend.tools.base import RISKS, RunContext
from backend.tools.dispatch import requires_approval
from backend.tools.executor import ToolCall, ToolResult, execute_tool_calls
from backend.tools.registry import ToolRegistry, resolve_tools

DEFAULT_MAX_STEPS = 8
USER_DENIED = "The user denied this action."
FINAL_NOTE = (
    "You have used all {n} tool steps this run allows. Answer the user now with what you have "
    "learned; do not call tools."
)
STEP_LIMIT_TEXT = "I stopped after {n} tool steps without reaching an answer."


@dataclass(frozen=True)
class RunOptions:
    """Run settings injected by callers (tests, benchmarks): the tool ``registry`` (None: the
    built-ins), the tool-turn limit and operator network rules (None: ``Settings.fetch_allow``)."""

    registry: ToolRegistry | None = None
    max_steps: int = DEFAULT_MAX_STEPS
    net_allow: tuple[AllowRule, ...] | None = None


@dataclass(frozen=True)
class Pending:
    """A call waiting for the user's decision (stored in the run's ``resume_state``)."""

    step_id: str
    call_id: str
    name: str
    arguments_json: str

    def as_dict(self) -> dict[str, str]:
        return {"step_id": self.step_id, "call_id": self.call_id, "name": self.name, "arguments": self.arguments_json}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pending:
        return cls(str(data["step_id"]), str(data["call_id"]), str(data["name"]), str(data["arguments"]))


def shown_arguments(arguments_json: str) -> str:
    """The arguments as the chat shows them: JSON text with secrets redacted."""
    return json.dumps(redact_arguments(arguments_json), ensure_ascii=False)


def _preview(text: str) -> str:
    return redact_secrets(text[:2200])[:2000]


class AgentLoop:
    """The loop of one run of ``blueprint`` (``depth`` 0) or of a delegate (1..3)."""

    def __init__(
        self,
        *,
        principal: RunPrincipal,
        blueprint: BlueprintVersion,
        run_id: str,
        root_agent_id: str,
        log: StepLog,
        trace: RunTrace,
        options: RunOptions,
        depth: int = 0,
        parent_step_id: str | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        self.principal, self.blueprint, self.run_id, self.root_agent_id = principal, blueprint, run_id, root_agent_id
        self.checkpoint = checkpoint  # heartbeat + partial answer at intervals (crash safety)
        self.log, self.trace, self.options = log, trace, options
        self.depth, self.parent_step_id = depth, parent_step_id
        self.context: RunContext = replace(
            run_context_for(blueprint, conversation_id=log.conversation_id),
            net_allow=options.net_allow,
            allowed_risks=("read",) if depth else RISKS,
        )
        self.messages: list[dict[str, Any]] = []
        self.parts: list[str] = []
        self.pending: list[Pending] = []
        self.steps_used = 0
        self._calls: tuple[tuple[str, str, str], ...] = ()
        self._turn: list[str] = []
        self.titles: dict[str, str] = {}
        self.delegates: dict[str, Delegate] = {}

    @property
    def actor(self) -> Actor:
        """Whom tools act as (``RunPrincipal.tool_actor``: the end user in the owner workspace)."""
        return self.principal.tool_actor

    # ------------------------------------------------------------------ the loop
    async def run(self, messages: list[dict[str, Any]]) -> AsyncGenerator[RunEvent, None]:
        """Run until a final answer (``parts``) or a pause (``pending``). Raises ``GatewayError``."""
        self.messages = messages
        if self.blueprint.tools or self.blueprint.delegates:  # custom tools and agents are rows: a thread
            specs, self.titles, self.delegates = await asyncio.to_thread(self._specs)
        else:  # nothing to resolve: no thread hop before the first model call
            specs, self.titles, self.delegates = [], {}, {}
        while True:
            if self.checkpoint is not None:
                self.checkpoint.tick()
            final = self.steps_used >= self.options.max_steps
            if final:
                self.messages.append({"role": "system", "content": FINAL_NOTE.format(n=self.steps_used)})
            async with aclosing(self._model(None if final or not specs else specs)) as stream:
                async for event in stream:
                    yield event
            if final and not "".join(self._turn).strip():
                note = STEP_LIMIT_TEXT.format(n=self.steps_used)
                self.parts.append(note)
                if self.depth == 0:
                    yield TextDelta(note)
            if final or not self._calls:
                return
            self.steps_used += 1
            self.messages.append(
                {
                    "role": "assistant",
                    "content": "".join(self._turn) or None,
                    "tool_calls": [
                        {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
                        for cid, name, args in self._calls
                    ],
                }
            )
            async with aclosing(self._tool_turn(self._calls)) as stream:
                async for event in stream:
                    yield event
            if self.pending:
                return

    def _specs(self) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, Delegate]]:
        """Tools offered to the model and step titles (blocking: custom tools and agents are rows)."""
        found = resolve_tools(
            self.blueprint.tools, workspace_id=self.principal.owner_workspace_id, registry=self.options.registry
        )
        names = [n for n in dict.fromkeys(self.blueprint.tools) if n in found]
        specs = [found[n].openai_spec() for n in names if found[n].risk in self.context.allowed_risks]
        delegates = (
            load_delegates(
                self.blueprint.delegates,
                workspace_id=self.principal.owner_workspace_id,
                self_id=self.blueprint.agent_id,
            )
            if self.depth < MAX_DEPTH
            else {}
        )
        specs += [d.openai_spec() for d in delegates.values()]
        titles = {n: found[n].title or n for n in names}
        titles.update({d.tool_name: d.title for d in delegates.values()})
        return specs, titles, delegates

    async def _model(self, tools: list[dict[str, Any]] | None) -> AsyncGenerator[RunEvent, None]:
        bp = self.blueprint
        connection_id = self.principal.main_connection(bp.agent_id, bp.connection_id)
        if not connection_id:
            raise GatewayError("bad_request", f"{bp.name} has no connection. Pick a model in the builder.", None)
        self._calls, self._turn = (), []
        stream = router.stream_chat(  # routing, fallbacks, limits, budgets (the root agent's), usage record
            principal=self.principal,
            targets=targets_for(connection_id, bp.model, bp.fallbacks),
            messages=self.messages,
            temperature=bp.temperature,
            max_tokens=bp.max_tokens,
            run_id=self.run_id,
            tools=tools,
            progress=self.checkpoint.inflight if self.checkpoint else None,
        )
        async with aclosing(stream):  # a Stop closes the gateway call now (settles its budget hold)
            async for event in stream:
                if self.checkpoint is not None:
                    self.checkpoint.tick()
                if isinstance(event, router.TextDelta):
                    self._turn.append(event.text)
                    self.parts.append(event.text)
                    if self.depth == 0:
                        yield TextDelta(event.text)
                elif isinstance(event, router.ToolCalls):
                    self._calls = event.calls
                else:
                    self.trace.add(event, main=self.depth == 0)

    # ------------------------------------------------------------- tool turns
    def _needs_approval(self, names: Sequence[str]) -> set[str]:
        if self.depth:  # delegated executors never pause: such tools are refused by the executor
            return set()
        allowed = [n for n in names if n in self.blueprint.tools]
        found = resolve_tools(allowed, workspace_id=self.principal.owner_workspace_id, registry=self.options.registry)
        return {n for n, tool in found.items() if requires_approval(tool, self.context)}

    async def _tool_turn(self, calls: Sequence[tuple[str, str, str]]) -> AsyncGenerator[RunEvent, None]:
        needs = await asyncio.to_thread(self._needs_approval, [name for _, name, _ in calls])
        steps: list[tuple[NewStep, str]] = []
        for call_id, name, args in calls:
            waiting = name in needs and name not in self.delegates
            step = NewStep(
                new_id(),
                call_id,
                name,
                self.titles.get(name, name),
                shown_arguments(args),
                self.parent_step_id,
                self.depth,
                "awaiting_approval" if waiting else "running",
            )
            steps.append((step, args))
        await asyncio.to_thread(self.log.start, [s for s, _ in steps])
        for step, _ in steps:
            yield ToolCallStarted(
                step.step_id, step.call_id, step.tool_name, step.title, step.arguments, step.parent_step_id, step.depth
            )
        plain = [(s, a) for s, a in steps if s.status == "running" and s.tool_name not in self.delegates]
        if plain:
            results = await self._execute([ToolCall(s.call_id, s.tool_name, a) for s, a in plain])
            for finished in await self._record([(s.step_id, r, "") for (s, _), r in zip(plain, results, strict=True)]):
                yield finished
        for step, args in steps:
            if step.tool_name in self.delegates:
                async with aclosing(self._ask(step, args)) as stream:
                    async for event in stream:
                        yield event
        self.pending = [Pending(s.step_id, s.call_id, s.tool_name, a) for s, a in steps if s.status != "running"]
        for step, _ in steps:
            if step.status != "running":
                yield ApprovalRequired(step.step_id, step.tool_name, step.title, step.arguments)

    async def _execute(self, calls: list[ToolCall]) -> list[ToolResult]:
        return await execute_tool_calls(
            calls,
            actor=self.actor,
            agent_id=self.blueprint.agent_id,
            run_id=self.run_id,
            allowlist=self.blueprint.tools,
            context=self.context,
            registry=self.options.registry,
        )

    async def _record(self, done: list[tuple[str, ToolResult, str]]) -> list[ToolCallFinished]:
        """Feed results back as ``tool`` messages and finish their steps. ``done`` holds
        ``(step_id, result, error override)``; an override replaces the model-visible error."""
        events: list[ToolCallFinished] = []
        rows: list[tuple[str, str, str, str, int]] = []
        for step_id, result, override in done:
            content = result.to_model_content()
            status: str = result.status
            summary, preview = result.summary, result.error
            if override:
                content = json.dumps({"status": "denied", "error": override})
                status, summary, preview = "rejected", override, override
            elif result.ok:
                preview = content
            self.messages.append({"role": "tool", "tool_call_id": result.call_id, "content": content})
            preview = _preview(preview)
            rows.append((step_id, status, summary, preview, result.duration_ms))
            events.append(ToolCallFinished(step_id, status, summary[:300], preview, result.duration_ms))
        await asyncio.to_thread(self.log.finish, rows)
        return events

    async def resume(self, decisions: Sequence[tuple[Pending, bool]]) -> AsyncGenerator[RunEvent, None]:
        """Run the approved calls (denied ones go back as "The user denied this action.")."""
        approved = [p.step_id for p, ok in decisions if ok]
        if approved:
            await asyncio.to_thread(self.log.set_status, approved, "approved")
        calls = [ToolCall(p.call_id, p.name, p.arguments_json, approved=ok) for p, ok in decisions]
        results = await self._execute(calls)
        done = [(p.step_id, r, "" if ok else USER_DENIED) for (p, ok), r in zip(decisions, results, strict=True)]
        for event in await self._record(done):
            yield event

    async def _ask(self, step: NewStep, args: str) -> AsyncGenerator[RunEvent, None]:
        """Run a delegate as a read-only executor; its answer is the tool result."""
        from backend.runtime.delegated import ask_delegate  # a delegated run is an AgentLoop

        started = time.perf_counter()
        outcome: list[tuple[str, str]] = []
        async with aclosing(ask_delegate(self, step, args, outcome)) as stream:
            async for event in stream:
                yield event
        status, text = outcome[0]
        result = ToolResult(
            step.call_id,
            step.tool_name,
            "ok" if status == "ok" else "error",
            {"answer": text} if status == "ok" else None,
            " ".join(text.split())[:300],
            int((time.perf_counter() - started) * 1000),
            "" if status == "ok" else text,
        )
        for event in await self._record([(step.step_id, result, "")]):
            yield event
