"""The executor: allowlist, validation, errors, timeouts, parallel calls and the audit log."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor, NotFound
from backend.db import session_scope
from backend.models.tools import ToolAudit
from backend.tools.audit import list_audit
from backend.tools.base import RunContext, Tool, ToolContext, ToolDenied, object_schema
from backend.tools.executor import ToolCall, approval_needed, execute_tool_call, execute_tool_calls
from backend.tools.registry import ToolRegistry, builtin_registry

calls: list[str] = []


async def _sleep(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
    calls.append(context.call_id)
    await asyncio.sleep(arguments.get("seconds", 0))
    return {"slept": arguments.get("seconds", 0)}


def _blocking_sleep(arguments: dict[str, Any], _context: ToolContext) -> dict[str, Any]:
    time.sleep(arguments["seconds"])
    return {"slept": arguments["seconds"]}


async def _boom(arguments: dict[str, Any], _context: ToolContext) -> None:
    raise RuntimeError("database password=hunter2hunter2 exploded with sk-proj-abcdefghijklmnopqrstuvwxyz123456")


async def _refuse(arguments: dict[str, Any], _context: ToolContext) -> None:
    raise ToolDenied("No, not that one.")


async def _missing(arguments: dict[str, Any], _context: ToolContext) -> None:
    raise NotFound("No task with id 'x'.")


async def _huge(arguments: dict[str, Any], _context: ToolContext) -> dict[str, Any]:
    return {"data": "x" * 100_000}


async def _echo(arguments: dict[str, Any], _context: ToolContext) -> dict[str, Any]:
    return {"received": arguments}


SECONDS = object_schema({"seconds": {"type": "number", "minimum": 0, "maximum": 60}})
ITEMS = object_schema(
    {
        "title": {"type": "string", "minLength": 1},
        "count": {"type": "integer"},
        "items": {"type": "array", "items": object_schema({"name": {"type": "string"}}, ["name"])},
        "api_key": {"type": "string"},
        "headers": {"type": "object"},
        "note": {"type": "string"},
    },
    ["title"],
)


def _registry() -> ToolRegistry:
    return ToolRegistry(
        [
            Tool(name="nap", description="Sleep.", parameters=SECONDS, handler=_sleep, timeout_s=0.3),
            Tool(name="long_nap", description="Sleep.", parameters=SECONDS, handler=_sleep, timeout_s=5),
            Tool(name="blocking_nap", description="Sleep.", parameters=SECONDS, handler=_blocking_sleep, timeout_s=0.3),
            Tool(name="boom", description="Fails.", parameters=object_schema({}), handler=_boom),
            Tool(name="refuse", description="Refuses.", parameters=object_schema({}), handler=_refuse),
            Tool(name="missing", description="Not found.", parameters=object_schema({}), handler=_missing),
            Tool(name="huge", description="Big output.", parameters=object_schema({}), handler=_huge),
            Tool(name="echo", description="Echo.", parameters=ITEMS, handler=_echo, risk="write"),
            Tool(
                name="guarded",
                description="Approve first.",
                parameters=object_schema({}),
                handler=_echo,
                needs_approval=True,
            ),
        ]
    )


REGISTRY = _registry()


def _audit_rows(actor: Actor) -> list[ToolAudit]:
    with session_scope() as s:
        return list(s.exec(select(ToolAudit).where(ToolAudit.workspace_id == actor.workspace_id)).all())


async def test_tool_outside_the_allowlist_is_never_run(call_tool, actor: Actor) -> None:  # type: ignore[no-untyped-def]
    calls.clear()
    result = await call_tool("nap", '{"seconds": 0}', allow=["echo"], registry=REGISTRY)
    assert result.status == "denied" and "not enabled for this agent" in result.error
    assert calls == []
    # Built-ins too: the model asking for http_request does not make it run.
    denied = await call_tool("http_request", '{"url": "https://example.com/"}', allow=["calculator"])
    assert denied.status == "denied" and denied.output is None
    rows = _audit_rows(actor)
    assert {(r.tool_name, r.status) for r in rows} == {("nap", "denied"), ("http_request", "denied")}


async def test_unknown_tool(call_tool) -> None:  # type: ignore[no-untyped-def]
    not_listed = await call_tool("rm_rf", "{}", allow=["calculator"])
    assert not_listed.status == "error" and "Unknown tool 'rm_rf'" in not_listed.error
    listed_but_gone = await call_tool("deleted_custom_tool", "{}")
    assert listed_but_gone.status == "error" and "no longer exists" in listed_but_gone.error


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ("{}", "arguments: 'title' is a required property"),
        ('{"title": 3}', "title: 3 is not of type 'string'"),
        ('{"title": "t", "count": "many"}', "count: 'many' is not of type 'integer'"),
        ('{"title": "t", "items": [{"name": "a"}, {}]}', "items[1]: 'name' is a required property"),
        ('{"title": "t", "items": [{"name": 1}]}', "items[0].name: 1 is not of type 'string'"),
        ('{"title": "t", "colour": "red"}', "('colour' was unexpected)"),
        ('{"title": ', "not valid JSON"),
        ("[1, 2]", "must be a JSON object, not list"),
    ],
)
async def test_argument_errors_go_back_to_the_model(call_tool, arguments: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    result = await call_tool("echo", arguments, registry=REGISTRY)
    assert result.status == "error" and expected in result.error, result.error
    assert json.loads(result.to_model_content()) == {"status": "error", "error": result.error}


async def test_tool_exception_is_an_error_result_without_secrets(call_tool, actor: Actor) -> None:  # type: ignore[no-untyped-def]
    result = await call_tool("boom", registry=REGISTRY)
    assert result.status == "error" and "RuntimeError" in result.error
    assert "hunter2" not in result.error and "sk-proj-abc" not in result.error
    row = next(r for r in _audit_rows(actor) if r.tool_name == "boom")
    assert "hunter2" not in row.error and "sk-proj-abc" not in row.error and row.status == "error"


async def test_tool_denial_and_not_found(call_tool) -> None:  # type: ignore[no-untyped-def]
    assert (await call_tool("refuse", registry=REGISTRY)).status == "denied"
    missing = await call_tool("missing", registry=REGISTRY)
    assert missing.status == "error" and missing.error == "No task with id 'x'."


@pytest.mark.parametrize("tool", ["nap", "blocking_nap"])
async def test_timeout(call_tool, tool: str) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    result = await call_tool(tool, '{"seconds": 1.2}', registry=REGISTRY)
    elapsed = time.monotonic() - started
    assert result.status == "timeout" and "did not finish within 0.3 s" in result.error
    assert elapsed < 1.0 and 250 <= result.duration_ms < 1000


async def test_parallel_calls_run_concurrently_each_with_its_own_timeout(actor: Actor) -> None:
    batch = [
        ToolCall("c1", "long_nap", '{"seconds": 0.6}'),
        ToolCall("c2", "long_nap", '{"seconds": 0.6}'),
        ToolCall("c3", "long_nap", '{"seconds": 0.6}'),
        ToolCall("c4", "nap", '{"seconds": 5}'),  # times out after 0.3 s, the others go on
        ToolCall("c5", "boom", "{}"),
        ToolCall("c6", "calculator", '{"expression": "6 * 7"}'),
    ]
    allow = ["long_nap", "nap", "boom"]
    registry = ToolRegistry([*REGISTRY, builtin_registry().get("calculator")])  # type: ignore[list-item]
    started = time.monotonic()
    results = await execute_tool_calls(
        batch, actor=actor, agent_id="agent-under-test", run_id="run-1", allowlist=allow, registry=registry
    )
    elapsed = time.monotonic() - started
    assert elapsed < 1.5, f"took {elapsed:.2f} s: calls ran one after another"
    assert [r.call_id for r in results] == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert [r.status for r in results] == ["ok", "ok", "ok", "timeout", "error", "denied"]
    assert all(r.audit_id for r in results)


async def test_approval(call_tool, actor: Actor) -> None:  # type: ignore[no-untyped-def]
    plain = RunContext()
    assert approval_needed("guarded", context=plain, workspace_id=actor.workspace_id, registry=REGISTRY)
    assert not approval_needed("echo", context=plain, workspace_id=actor.workspace_id, registry=REGISTRY)
    assert approval_needed("echo", context=RunContext(approval_tools=("echo",)), workspace_id="w", registry=REGISTRY)
    assert not approval_needed("nonexistent", context=plain, workspace_id=actor.workspace_id)
    waiting = await call_tool("guarded", registry=REGISTRY)
    assert waiting.status == "denied" and "approval" in waiting.error
    assert (await call_tool("guarded", registry=REGISTRY, approved=True)).status == "ok"
    marked = RunContext(approval_tools=("echo",))
    assert (await call_tool("echo", '{"title": "t"}', registry=REGISTRY, context=marked)).status == "denied"
    assert (await call_tool("echo", '{"title": "t"}', registry=REGISTRY, context=marked, approved=True)).ok


async def test_read_only_runs_refuse_other_risks(call_tool) -> None:  # type: ignore[no-untyped-def]
    read_only = RunContext(allowed_risks=("read",))
    result = await call_tool("echo", '{"title": "t"}', registry=REGISTRY, context=read_only)
    assert result.status == "denied" and "(write)" in result.error
    assert (await call_tool("nap", '{"seconds": 0}', registry=REGISTRY, context=read_only)).ok


async def test_output_is_size_capped(call_tool) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    result = await call_tool("huge", registry=REGISTRY)
    assert result.ok and result.output["truncated"] is True
    assert time.monotonic() - started < 1.0  # regression: redacting a 100 kB summary took seconds
    assert len(result.to_model_content()) < 17_000


async def test_audit_rows_redact_secrets(call_tool, actor: Actor, make_agent: Callable[..., str]) -> None:  # type: ignore[no-untyped-def]
    agent_id = make_agent(actor)
    arguments = {
        "title": "Deploy",
        "api_key": "plain-looking-but-secret",
        "headers": {"Authorization": "Bearer abcdefghijklmnop", "X-Api-Key": "k1", "Accept": "text/plain"},
        "note": "use sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345 to log in",
    }
    result = await call_tool("echo", json.dumps(arguments), registry=REGISTRY, agent_id=agent_id, run_id="run-9")
    assert result.ok
    rows = _audit_rows(actor)
    row = next(r for r in rows if r.run_id == "run-9")
    stored = json.dumps(row.arguments)
    for secret in ("plain-looking-but-secret", "abcdefghijklmnop", "k1", "sk-proj-ABC"):
        assert secret not in stored
    assert row.arguments["title"] == "Deploy" and row.arguments["headers"]["Accept"] == "text/plain"
    assert row.arguments["api_key"] == "[redacted]" and "[redacted]" in row.arguments["note"]
    assert (row.user_id, row.agent_id, row.tool_name, row.status) == (actor.user_id, agent_id, "echo", "ok")
    assert row.duration_ms >= 0 and row.created_at is not None and row.summary


async def test_list_audit_per_agent_and_isolated(
    call_tool,
    actor: Actor,
    make_actor: Callable[[], Actor],
    make_agent: Callable[..., str],  # type: ignore[no-untyped-def]
) -> None:
    agent_id, other_agent = make_agent(actor), make_agent(actor)
    for i in range(3):
        await call_tool("calculator", json.dumps({"expression": f"{i} + 1"}), agent_id=agent_id, run_id="r-a")
    await call_tool("calculator", '{"expression": "9"}', agent_id=other_agent)
    with session_scope() as s:
        rows = list_audit(actor=actor, agent_id=agent_id, session=s)
        in_run = list_audit(actor=actor, agent_id=agent_id, run_id="r-a", session=s)
    assert len(rows) == 3 and all(r.tool_name == "calculator" for r in rows)
    assert [r.summary for r in in_run] == ["0 + 1 = 1", "1 + 1 = 2", "2 + 1 = 3"]
    stranger = make_actor()
    with session_scope() as s, pytest.raises(NotFound):
        list_audit(actor=stranger, agent_id=agent_id, session=s)


async def test_cancelled_call_is_audited_and_cancellation_propagates(actor: Actor) -> None:
    task = asyncio.create_task(
        execute_tool_call(
            actor=actor,
            agent_id="agent-under-test",
            run_id="run-cancel",
            allowlist=["long_nap"],
            tool_name="long_nap",
            arguments_json='{"seconds": 5}',
            registry=REGISTRY,
        )
    )
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    row = next(r for r in _audit_rows(actor) if r.run_id == "run-cancel")
    assert row.status == "error" and "stopped" in row.error


async def test_cancelled_batch_audits_finished_and_stopped_calls(actor: Actor) -> None:
    batch = [ToolCall("quick", "long_nap", '{"seconds": 0}'), ToolCall("slow", "long_nap", '{"seconds": 5}')]
    task = asyncio.create_task(
        execute_tool_calls(
            batch,
            actor=actor,
            agent_id="agent-under-test",
            run_id="run-stop",
            allowlist=["long_nap"],
            registry=REGISTRY,
        )
    )
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    rows = {r.call_id: r.status for r in _audit_rows(actor) if r.run_id == "run-stop"}
    assert rows == {"quick": "ok", "slow": "error"}


async def test_an_empty_registry_is_not_the_builtins(call_tool) -> None:  # type: ignore[no-untyped-def]
    """Regression: ``registry or builtin_registry()`` treated an empty registry as "use built-ins"."""
    result = await call_tool("calculator", '{"expression": "1 + 1"}', registry=ToolRegistry())
    assert result.status == "error" and "no longer exists" in result.error
