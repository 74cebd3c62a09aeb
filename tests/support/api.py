"""Developer-API test helpers: the /api app on a real local HTTP port, and API keys."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from backend.accounts.actor import Actor
from backend.api.keys import KeyInput, create_key
from backend.db import session_scope


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve an ASGI ``app`` with uvicorn on a free loopback port; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def api_key(actor: Actor, **fields: Any) -> str:
    """A new key of ``actor`` (defaults: secret, whole workspace); returns the key itself."""
    data = KeyInput(**{"name": "Test key", **fields})
    with session_scope() as s:
        return create_key(actor=actor, data=data, session=s).secret


def sse_events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Server-sent events of a response's text lines: ``{"id", "event", "data"}`` (data parsed
    as JSON); comments (keep-alives) are skipped."""
    import json

    current: dict[str, Any] = {}
    for line in lines:
        if not line:
            if "data" in current:
                yield current
            current = {}
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            current[name] = json.loads(value) if name == "data" and value != "[DONE]" else value
    if "data" in current:
        yield current
