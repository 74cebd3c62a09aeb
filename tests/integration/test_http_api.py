"""The /api routes over real HTTP (uvicorn on a free local port)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from backend.api.routes import api


@pytest.fixture
def api_url() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


def test_health_reports_the_database(api_url: str) -> None:
    response = httpx.get(f"{api_url}/api/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "not configured",
        "lancedb": "ok",
        "workers": {"in_process": True, "live": None},
    }


def test_unknown_route_is_404(api_url: str) -> None:
    assert httpx.get(f"{api_url}/api/nope", timeout=5).status_code == 404
