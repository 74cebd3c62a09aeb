"""SSE resumption works within one app process: a resume that reaches another process (another
instance or backend worker of the scale-out profile, sharing the database) gets a clear 404."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from backend.accounts.actor import Actor
from backend.api.routes import api
from backend.config import get_settings
from tests.support import agents as support
from tests.support.api import api_key, serve, sse_events
from tests.support.llm_server import LLMTestServer

REPLY = " ".join(f"word{i}" for i in range(40))


@pytest.fixture
def other_process() -> Iterator[str]:
    """The same API app served by a second process on the same database and data dir."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [sys.executable, "-m", "uvicorn", "backend.api.routes:api", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # importing the app takes ~30 s on the loaded 2-core machine
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                httpx.get(f"{url}/api/v1/models", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail(f"the second API process did not start (exit code {proc.poll()})")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_resume_on_another_process_is_a_clear_404_and_the_first_process_still_resumes(
    actor: Actor, other_process: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the detour to the other process takes seconds on a loaded machine: keep the run alive meanwhile
    monkeypatch.setenv("AGENTHUB_API_RESUME_GRACE_S", "120")
    get_settings.cache_clear()
    with serve(api) as first, LLMTestServer(reply=REPLY, chunk_delay_ms=40) as server:
        agent_id, key = support.agent(actor, support.connection(actor, server)), api_key(actor)
        auth = {"Authorization": f"Bearer {key}"}
        with httpx.stream(
            "POST", f"{first}/api/v1/agents/{agent_id}/runs", json={"message": "Go"}, headers=auth, timeout=30
        ) as response:
            head = []
            for event in sse_events(response.iter_lines()):
                head.append(event)
                if len(head) == 3:
                    break  # the connection drops mid-run
        run_id = head[0]["data"]["run_id"]
        resume = {**auth, "Last-Event-ID": "3"}
        elsewhere = httpx.get(f"{other_process}/api/v1/runs/{run_id}/events", headers=resume, timeout=10)
        assert elsewhere.status_code == 404
        error = elsewhere.json()["error"]
        assert error["code"] == "stream_not_found" and "another app process" in error["message"]
        # the run itself is readable on any process
        assert httpx.get(f"{other_process}/api/v1/runs/{run_id}", headers=auth, timeout=10).status_code == 200
        with httpx.stream("GET", f"{first}/api/v1/runs/{run_id}/events", headers=resume, timeout=30) as response:
            rest = list(sse_events(response.iter_lines()))
    assert int(rest[0]["id"]) == 4 and rest[-1]["data"]["status"] == "succeeded"
    assert "".join(e["data"]["text"] for e in [*head, *rest] if e["event"] == "token") == REPLY
    monkeypatch.undo()
    get_settings.cache_clear()
