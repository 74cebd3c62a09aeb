"""The native run API over real HTTP: typed SSE events with ids, resumption, disconnect = Stop,
runs, conversations, messages, knowledge, publishable keys and their origins."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import select

from backend.accounts.actor import Actor
from backend.api.edge import set_listing_access
from backend.api.routes import api
from backend.config import get_settings
from backend.db import session_scope
from backend.models import Agent, Run, UsageRecord
from marketplace.developer import ACCESS
from marketplace.trial import get_try_limiter
from tests.support import agents as support
from tests.support.api import api_key, serve, sse_events
from tests.support.llm_server import DEFAULT_REPLY, LLMTestServer
from tests.support.marketplace import listing as make_listing

LONG_REPLY = " ".join(f"word{i}" for i in range(40))


@pytest.fixture
def api_url() -> Iterator[str]:
    set_listing_access(ACCESS)
    get_try_limiter.cache_clear()  # visitors and tries counted from 127.0.0.1 start afresh
    with serve(api) as url:
        yield url


def _auth(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **extra}


def _agent(actor: Actor, server: LLMTestServer) -> str:
    return support.agent(actor, support.connection(actor, server), name="Runner")


def _status(run_id: str) -> Run:
    with session_scope() as s:
        run = s.get(Run, run_id)
        assert run is not None
        return run


def test_a_run_streams_typed_events_with_ids_and_is_readable_after(
    api_url: str, actor: Actor, llm_server: LLMTestServer
) -> None:
    agent_id, key = _agent(actor, llm_server), api_key(actor)
    with httpx.stream(
        "POST", f"{api_url}/api/v1/agents/{agent_id}/runs", json={"message": "Hello"}, headers=_auth(key), timeout=30
    ) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(response.iter_lines()))
    assert [int(e["id"]) for e in events] == list(range(1, len(events) + 1))
    kinds = [e["event"] for e in events]
    assert kinds[0] == "started" and kinds[-2:] == ["usage", "done"] and "token" in kinds
    assert "".join(e["data"]["text"] for e in events if e["event"] == "token") == DEFAULT_REPLY
    run_id, conv_id = events[0]["data"]["run_id"], events[0]["data"]["conversation_id"]
    usage = next(e["data"] for e in events if e["event"] == "usage")

    run = httpx.get(f"{api_url}/api/v1/runs/{run_id}", headers=_auth(key), timeout=10).json()
    assert run["status"] == "succeeded" and run["answer"] == DEFAULT_REPLY
    assert (run["prompt_tokens"], run["completion_tokens"]) == (usage["prompt_tokens"], usage["completion_tokens"])
    convs = httpx.get(f"{api_url}/api/v1/agents/{agent_id}/conversations", headers=_auth(key), timeout=10).json()
    assert [c["id"] for c in convs] == [conv_id]
    msgs = httpx.get(
        f"{api_url}/api/v1/agents/{agent_id}/conversations/{conv_id}/messages", headers=_auth(key), timeout=10
    ).json()
    assert [(m["role"], m["content"]) for m in msgs] == [("user", "Hello"), ("assistant", DEFAULT_REPLY)]

    # a second message continues the same conversation
    with httpx.stream(
        "POST", f"{api_url}/api/v1/agents/{agent_id}/runs",
        json={"message": "Again", "conversation_id": conv_id}, headers=_auth(key), timeout=30,
    ) as response:  # fmt: skip
        again = list(sse_events(response.iter_lines()))
    assert again[0]["data"]["conversation_id"] == conv_id
    # runs of another member's key are not visible
    other = api_key(Actor(actor.user_id, actor.workspace_id), scope="agent", scope_id=agent_id)
    assert httpx.get(f"{api_url}/api/v1/runs/{run_id}", headers=_auth(other), timeout=10).status_code == 200
    assert httpx.get(f"{api_url}/api/v1/runs/nope", headers=_auth(key), timeout=10).status_code == 404


def test_resuming_with_last_event_id_replays_what_followed(api_url: str, actor: Actor) -> None:
    with LLMTestServer(reply=LONG_REPLY, chunk_delay_ms=40) as server:
        agent_id, key = _agent(actor, server), api_key(actor)
        with httpx.stream(
            "POST", f"{api_url}/api/v1/agents/{agent_id}/runs", json={"message": "Go"}, headers=_auth(key), timeout=30
        ) as response:
            first = []
            for event in sse_events(response.iter_lines()):
                first.append(event)
                if len(first) == 4:
                    break  # the connection drops mid-run
        run_id = first[0]["data"]["run_id"]
        with httpx.stream(
            "GET", f"{api_url}/api/v1/runs/{run_id}/events", headers=_auth(key, **{"Last-Event-ID": "4"}), timeout=30
        ) as response:
            rest = list(sse_events(response.iter_lines()))
    assert int(rest[0]["id"]) == 5 and rest[-1]["event"] == "done" and rest[-1]["data"]["status"] == "succeeded"
    text = "".join(e["data"]["text"] for e in [*first, *rest] if e["event"] == "token")
    assert text == LONG_REPLY  # nothing lost, nothing twice
    assert _status(run_id).status == "succeeded"
    # after the end, a replay from any point still works, and another key cannot resume it
    replay = httpx.get(
        f"{api_url}/api/v1/runs/{run_id}/events", headers=_auth(key, **{"Last-Event-ID": "1"}), timeout=10
    )
    assert [e["id"] for e in sse_events(iter(replay.text.splitlines()))][0] == "2"
    stranger = httpx.get(f"{api_url}/api/v1/runs/{run_id}/events", headers=_auth(api_key(actor)), timeout=10)
    assert stranger.status_code == 404


def test_a_client_disconnect_cancels_the_run_and_records_its_usage(
    api_url: str, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTHUB_API_RESUME_GRACE_S", "0.2")
    get_settings.cache_clear()
    with LLMTestServer(reply=LONG_REPLY, chunk_delay_ms=150) as server:
        agent_id, key = _agent(actor, server), api_key(actor)
        with httpx.stream(
            "POST", f"{api_url}/api/v1/agents/{agent_id}/runs", json={"message": "Go"}, headers=_auth(key), timeout=30
        ) as response:
            tokens, run_id = 0, ""
            for event in sse_events(response.iter_lines()):
                run_id = event["data"]["run_id"] if event["event"] == "started" else run_id
                tokens += event["event"] == "token"
                if tokens == 3:
                    break
        deadline = time.monotonic() + 15
        while _status(run_id).status == "running" and time.monotonic() < deadline:
            time.sleep(0.1)
    get_settings.cache_clear()
    run = _status(run_id)
    assert run.status == "cancelled"
    with session_scope() as s:
        records = s.exec(select(UsageRecord).where(UsageRecord.run_id == run_id)).all()
    assert records and sum(r.completion_tokens for r in records) >= 3
    assert run.completion_tokens == sum(r.completion_tokens for r in records)
    assert len(LONG_REPLY.split()) > run.completion_tokens  # stopped early


def test_knowledge_upload_and_its_status(api_url: str, actor: Actor, llm_server: LLMTestServer) -> None:
    agent_id, key = _agent(actor, llm_server), api_key(actor)
    files = [
        ("files", ("handbook.txt", b"Refunds take 14 days.", "text/plain")),
        ("files", ("x.exe", b"MZ", "application/octet-stream")),
    ]
    response = httpx.post(f"{api_url}/api/v1/agents/{agent_id}/knowledge", files=files, headers=_auth(key), timeout=30)
    assert response.status_code == 202
    added = {s["name"]: s for s in response.json()}
    assert added["handbook.txt"]["status"] != "failed" and added["x.exe"]["status"] == "failed"
    assert added["x.exe"]["error"]
    listed = httpx.get(f"{api_url}/api/v1/agents/{agent_id}/knowledge", headers=_auth(key), timeout=10).json()
    assert {s["name"] for s in listed} == {"handbook.txt", "x.exe"}
    # a text field named "files" is not a file: refused, nothing stored (found by schemathesis)
    text_part = httpx.post(
        f"{api_url}/api/v1/agents/{agent_id}/knowledge", data={"files": "not a file"}, headers=_auth(key), timeout=10
    )
    assert text_part.status_code == 422, text_part.text
    again = httpx.get(f"{api_url}/api/v1/agents/{agent_id}/knowledge", headers=_auth(key), timeout=10).json()
    assert len(again) == 2


def test_publishable_keys_work_only_from_their_origins(api_url: str, actor: Actor, llm_server: LLMTestServer) -> None:
    agent_id = _agent(actor, llm_server)
    key = api_key(actor, kind="publishable", scope="agent", scope_id=agent_id, allowed_origins=["https://shop.example"])
    body = {"message": "Hi", "browser_id": "b" * 24}
    url = f"{api_url}/api/v1/agents/{agent_id}/runs"
    assert httpx.post(url, json=body, headers=_auth(key), timeout=10).status_code == 403  # no Origin
    evil = httpx.post(url, json=body, headers=_auth(key, Origin="https://evil.example"), timeout=10)
    assert evil.status_code == 403 and evil.json()["error"]["type"] == "permission_error"
    preflight = httpx.options(
        url, headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}, timeout=10
    )
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "https://shop.example"
    with httpx.stream(
        "POST", url, json=body, headers=_auth(key, Origin="https://shop.example"), timeout=30
    ) as response:
        assert response.headers["access-control-allow-origin"] == "https://shop.example"
        events = list(sse_events(response.iter_lines()))
    assert events[-1]["data"]["status"] == "succeeded"
    run = _status(events[0]["data"]["run_id"])
    assert run.user_id != actor.user_id  # a visitor of the website, not the publisher
    # a publishable key may only chat
    read = httpx.get(f"{api_url}/api/v1/runs/{run.id}", headers=_auth(key, Origin="https://shop.example"), timeout=10)
    assert read.status_code == 403


def test_errors_have_openais_shape(api_url: str, actor: Actor) -> None:
    key = api_key(actor)
    bad = httpx.post(f"{api_url}/api/v1/chat/completions", json={"model": "x"}, headers=_auth(key), timeout=10)
    assert bad.status_code == 422 and bad.json()["error"]["param"] == "messages"
    assert set(bad.json()["error"]) == {"message", "type", "param", "code"}
    missing = httpx.get(f"{api_url}/api/v1/agents/nope/conversations", headers=_auth(key), timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["message"]
    with session_scope() as s:
        assert s.exec(select(Agent).where(Agent.workspace_id == actor.workspace_id)).first() is None


def test_a_listings_publishable_key_applies_its_trial_rules(
    api_url: str, actor: Actor, llm_server: LLMTestServer
) -> None:
    row = make_listing(actor, support.connection(actor, llm_server), title="Try me", slug="try-me")
    key = api_key(actor, kind="publishable", scope="listing", scope_id=row.id, allowed_origins=["https://blog.example"])
    headers = _auth(key, Origin="https://blog.example")
    body = {"message": "Hi", "browser_id": "visitor-" + "x" * 20}
    url = f"{api_url}/api/v1/agents/try-me/runs"
    for _ in range(3):  # AGENTHUB_MARKETPLACE_TRY_RUNS_PER_VISITOR (default 3 a day)
        with httpx.stream("POST", url, json=body, headers=headers, timeout=30) as response:
            events = list(sse_events(response.iter_lines()))
        assert events[-1]["data"]["status"] == "succeeded"
        usage = next(e["data"] for e in events if e["event"] == "usage")
        assert "cost_nano_usd" not in usage and "model" not in usage  # the publisher's business
    refused = httpx.post(url, json=body, headers=headers, timeout=30)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "free tries" in refused.json()["error"]["message"]
