"""An agent that acts, as a new user would set it up: ``create_task`` and ``http_request`` for
one domain. It files a task, calls the allowed API, is refused a forbidden address and a tool it
was not given; the task is on the Tasks list and every step is in the agent's audit log.
Real database (SQLite or PostgreSQL), real HTTP on 127.0.0.1 (the operator allows its port)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from backend.accounts.actor import Actor
from backend.agents.service import create_agent, get_blueprint
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.models import BlueprintFields
from backend.security.outbound import parse_allow_rules
from backend.tools.agent_settings import run_context_for, validate_tool_settings
from backend.tools.audit import list_audit
from backend.tools.executor import ToolCall, execute_tool_calls
from backend.tools.registry import openai_tool_specs
from backend.tools.tasks import list_tasks
from tests.support.echo_server import EchoServer


async def test_agent_files_a_task_calls_its_api_and_is_refused_the_rest(make_actor: Callable[[], Actor]) -> None:
    actor = make_actor()
    fields = BlueprintFields(
        name="Office helper", model="m", tools=["create_task", "http_request"], allowed_domains=["127.0.0.1"]
    )
    with session_scope() as s:
        conn = create_connection(
            actor=actor,
            name="L",
            provider="openai_compatible",
            api_key=None,
            base_url="http://127.0.0.1:9/v1",
            session=s,
        )
        fields.connection_id = conn.id
        assert validate_tool_settings(fields, actor=actor, session=s) == {}
        agent_id = create_agent(actor=actor, fields=fields, session=s)
    with session_scope() as s:
        blueprint = get_blueprint(actor=actor, agent_id=agent_id, session=s)
    specs = openai_tool_specs(blueprint.tools, workspace_id=actor.workspace_id)
    assert [spec["function"]["name"] for spec in specs] == ["create_task", "http_request"]

    with EchoServer({"/status": (200, "application/json", b'{"ok": true}')}) as api:
        context = replace(run_context_for(blueprint), net_allow=tuple(parse_allow_rules(f"127.0.0.1:{api.port}")))
        calls = [
            ToolCall(
                "call_1", "create_task", json.dumps({"title": "Renew the office lease", "due_date": "2026-06-30"})
            ),
            ToolCall("call_2", "http_request", json.dumps({"url": api.url("/status")})),
            ToolCall("call_3", "http_request", json.dumps({"url": "http://169.254.169.254/latest/meta-data/"})),
            ToolCall("call_4", "fetch_webpage", json.dumps({"url": api.url("/status")})),
        ]
        results = await execute_tool_calls(
            calls, actor=actor, agent_id=agent_id, run_id="run-1", allowlist=blueprint.tools, context=context
        )
        assert [r["path"] for r in api.requests] == ["/status"]

    assert [r.status for r in results] == ["ok", "ok", "denied", "denied"]
    assert results[1].output["json"] == {"ok": True}
    assert "169.254.169.254 is not on this agent's list" in results[2].error
    assert "not enabled for this agent" in results[3].error
    with session_scope() as s:
        tasks = list_tasks(actor=actor, session=s)
        audit = list_audit(actor=actor, agent_id=agent_id, run_id="run-1", session=s)
    assert [(t.title, t.due_date, t.agent_id) for t in tasks] == [("Renew the office lease", "2026-06-30", agent_id)]
    assert sorted((a.tool_name, a.status) for a in audit) == [
        ("create_task", "ok"),
        ("fetch_webpage", "denied"),
        ("http_request", "denied"),
        ("http_request", "ok"),
    ]
    assert all(a.user_id == actor.user_id and a.run_id == "run-1" for a in audit)
