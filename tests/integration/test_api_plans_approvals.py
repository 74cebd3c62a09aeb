"""The run API after the stream: a planner-mode run's plan is readable on the run and its
message; an ``approval_needed`` event is answered by ``POST /runs/{id}/approvals/{approval_id}``
(approve / deny, the key's scope and the run's ownership checked) and the run streams on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backend.accounts.actor import Actor
from backend.api.edge import set_listing_access
from backend.api.routes import api
from backend.db import session_scope
from backend.models import Run
from backend.tools.tasks import list_tasks
from marketplace.developer import ACCESS
from tests.support import agents as support
from tests.support.api import api_key, serve, sse_events
from tests.support.llm_server import LLMTestServer

PLAN = {
    "complex": True,
    "steps": [
        {"goal": "Compute 12*7", "agent": "self", "tools": ["calculator"]},
        {"goal": "Compute 12*2", "agent": "self", "tools": ["calculator"]},
    ],
}


@pytest.fixture
def api_url() -> Iterator[str]:
    set_listing_access(ACCESS)
    with serve(api) as url:
        yield url


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _stream(method: str, url: str, key: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    with httpx.stream(method, url, json=body, headers=_auth(key), timeout=30) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(sse_events(response.iter_lines()))


def test_a_planned_runs_plan_is_readable_on_the_run_and_its_message(
    api_url: str, actor: Actor, llm_server: LLMTestServer
) -> None:
    conn = support.connection(actor, llm_server)
    agent_id = support.agent(actor, conn, name="Planner", tools=["calculator"], plan_complex=True)
    key = api_key(actor)
    llm_server.script = [
        {"content": json.dumps(PLAN)},
        {"content": "12*7 is 84."},
        {"content": "12*2 is 24."},
        {"content": "Boxes 84, shipping 24."},
    ]
    events = _stream("POST", f"{api_url}/api/v1/agents/{agent_id}/runs", key, {"message": "Boxes and shipping?"})
    assert "plan" in [e["event"] for e in events] and events[-1]["event"] == "done"
    run_id, conv_id = events[0]["data"]["run_id"], events[0]["data"]["conversation_id"]

    run = httpx.get(f"{api_url}/api/v1/runs/{run_id}", headers=_auth(key), timeout=10).json()
    assert run["answer"] == "Boxes 84, shipping 24." and run["plan"]["status"] == "done"
    steps = run["plan"]["steps"]
    assert [(s["position"], s["goal"], s["agent"], s["tools"], s["status"]) for s in steps] == [
        (1, "Compute 12*7", "Planner", ["calculator"], "done"),
        (2, "Compute 12*2", "Planner", ["calculator"], "done"),
    ]
    assert [s["summary"] for s in steps] == ["12*7 is 84.", "12*2 is 24."]

    url = f"{api_url}/api/v1/agents/{agent_id}/conversations/{conv_id}/messages"
    user, answer = httpx.get(url, headers=_auth(key), timeout=10).json()
    assert user["plan"] is None and user["run_id"] is None
    assert answer["run_id"] == run_id and answer["plan"] == run["plan"]

    # a simple request of the same agent has no plan
    llm_server.script = [{"content": json.dumps({"complex": False})}, {"content": "Hi!"}]
    events = _stream("POST", f"{api_url}/api/v1/agents/{agent_id}/runs", key, {"message": "Hello"})
    simple = httpx.get(f"{api_url}/api/v1/runs/{events[0]['data']['run_id']}", headers=_auth(key), timeout=10).json()
    assert simple["plan"] is None and simple["status"] == "succeeded"


def _paused(api_url: str, actor: Actor, server: LLMTestServer, key: str) -> tuple[str, str, str]:
    """A run waiting for approval of a ``create_task`` call: (agent id, run id, approval id)."""
    conn = support.connection(actor, server)
    agent_id = support.agent(actor, conn, tools=["create_task"], approval_tools=["create_task"])
    server.script = [
        {"content": "Let me file that.", "tool_calls": [support.call("create_task", {"title": "Pay rent"})]},
        {"content": "All set."},
    ]
    events = _stream("POST", f"{api_url}/api/v1/agents/{agent_id}/runs", key, {"message": "File a task to pay rent"})
    [approval] = [e["data"] for e in events if e["event"] == "approval_needed"]
    assert events[-1]["data"]["status"] == "awaiting_approval"
    return agent_id, events[0]["data"]["run_id"], approval["step_id"]


def _run(run_id: str) -> Run:
    with session_scope() as s:
        run = s.get(Run, run_id)
        assert run is not None
        return run


def test_approving_over_the_api_runs_the_tool_and_streams_the_rest(
    api_url: str, actor: Actor, llm_server: LLMTestServer
) -> None:
    key = api_key(actor)
    _, run_id, approval_id = _paused(api_url, actor, llm_server, key)
    url = f"{api_url}/api/v1/runs/{run_id}/approvals/{approval_id}"
    events = _stream("POST", url, key, {"approve": True})
    assert [int(e["id"]) for e in events] == list(range(1, len(events) + 1))
    assert events[0]["event"] == "started" and events[0]["data"]["run_id"] == run_id
    finished = [e["data"] for e in events if e["event"] == "tool_step" and e["data"]["phase"] == "finished"]
    assert [(f["step_id"], f["status"]) for f in finished] == [(approval_id, "ok")]
    assert "".join(e["data"]["text"] for e in events if e["event"] == "token") == "All set."
    assert events[-1]["event"] == "done" and events[-1]["data"]["status"] == "succeeded"
    with session_scope() as s:
        assert [t.title for t in list_tasks(actor=actor, session=s)] == ["Pay rent"]
    run = httpx.get(f"{api_url}/api/v1/runs/{run_id}", headers=_auth(key), timeout=10).json()
    assert run["status"] == "succeeded" and run["answer"] == "Let me file that.All set."

    again = httpx.post(url, json={"approve": True}, headers=_auth(key), timeout=10)
    assert again.status_code == 409 and "not waiting for approval" in again.json()["error"]["message"]


def test_denying_over_the_api_runs_nothing_and_tells_the_model(
    api_url: str, actor: Actor, llm_server: LLMTestServer
) -> None:
    key = api_key(actor)
    _, run_id, approval_id = _paused(api_url, actor, llm_server, key)
    events = _stream("POST", f"{api_url}/api/v1/runs/{run_id}/approvals/{approval_id}", key, {"approve": False})
    finished = [e["data"] for e in events if e["event"] == "tool_step" and e["data"]["phase"] == "finished"]
    assert [f["status"] for f in finished] == ["rejected"]
    assert events[-1]["data"]["status"] == "succeeded"
    with session_scope() as s:
        assert list_tasks(actor=actor, session=s) == []
    assert "denied" in json.dumps([m for m in llm_server.received_messages[-1] if m["role"] == "tool"])


def test_approval_auth_matrix(api_url: str, make_actor, llm_server: LLMTestServer) -> None:  # type: ignore[no-untyped-def]
    owner, stranger = make_actor(), make_actor()
    key = api_key(owner)
    agent_id, run_id, approval_id = _paused(api_url, owner, llm_server, key)
    other_agent = support.agent(owner, support.connection(owner, llm_server), name="Other")
    url = f"{api_url}/api/v1/runs/{run_id}/approvals/{approval_id}"
    cases = [
        ({}, 401, "invalid_request_error"),
        (_auth("ah_sk_not_a_real_key_0000000000000000"), 401, "invalid_request_error"),
        (_auth(api_key(stranger)), 404, "invalid_request_error"),  # another workspace's key
        (_auth(api_key(owner, scope="agent", scope_id=other_agent)), 404, "invalid_request_error"),
        (
            _auth(
                api_key(
                    owner, kind="publishable", scope="agent", scope_id=agent_id, allowed_origins=["https://a.example"]
                )
            ),
            403,
            "permission_error",
        ),
    ]
    for headers, status, kind in cases:
        answer = httpx.post(url, json={"approve": True}, headers=headers, timeout=10)
        assert answer.status_code == status, (headers, answer.text)
        assert answer.json()["error"]["type"] == kind and answer.json()["error"]["message"]
    unknown = httpx.post(f"{api_url}/api/v1/runs/{run_id}/approvals/nope", json={"approve": True}, headers=_auth(key))
    assert unknown.status_code == 404 and "No approval" in unknown.json()["error"]["message"]
    bad = httpx.post(url, json={"approve": "maybe please"}, headers=_auth(key), timeout=10)
    assert bad.status_code == 422
    assert _run(run_id).status == "awaiting_approval"  # nothing above answered it
    with session_scope() as s:
        assert list_tasks(actor=owner, session=s) == []
