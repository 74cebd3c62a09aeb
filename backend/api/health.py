"""``GET /api/health``: the app's readiness, service by service (database, Redis, LanceDB, workers).

Used by load balancers and process supervisors in the scale-out profile (README, "Scale-out").
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from backend.config import get_settings
from backend.memory.heartbeat import live_workers
from backend.preflight import probe_database, probe_lancedb, probe_redis


def report() -> tuple[int, dict[str, Any]]:
    """Probe every service (blocking: run it in a thread).

    Returns:
        ``(HTTP status, body)``. The body is ``{"status": "ok" | "degraded", "database": ...,
        "redis": ..., "lancedb": ..., "workers": {"in_process": bool, "live": int | None}}`` where
        each service reads ``"ok"``, ``"unreachable"`` or ``"not configured"`` (Redis without
        ``REDIS_URL``; LanceDB in a local directory reads ``"ok"`` unprobed). The status is 503 when
        the database, a configured Redis or an object-store LanceDB is unreachable; no live worker
        (``AGENTHUB_INPROCESS_WORKER=0`` and no heartbeat) makes the status ``"degraded"`` but keeps
        200: chats still work, only background jobs wait.
    """
    settings = get_settings()
    body: dict[str, Any] = {
        "database": "unreachable" if probe_database(settings) else "ok",
        "redis": "not configured" if not settings.redis_url else ("unreachable" if probe_redis(settings) else "ok"),
        "lancedb": "unreachable" if probe_lancedb(settings) else "ok",
    }
    try:
        live = live_workers()
    except Exception:  # noqa: BLE001  (Redis is already reported unreachable)
        live = None
    body["workers"] = {"in_process": settings.inprocess_worker, "live": live}
    down = [name for name in ("database", "redis", "lancedb") if body[name] == "unreachable"]
    idle = not settings.inprocess_worker and not live
    body = {"status": "degraded" if down or idle else "ok", **body}
    return (503 if down else 200), body


async def health(_request: Request) -> JSONResponse:
    """``GET /api/health``; the probes run in a thread: the event loop serves every user."""
    status, body = await asyncio.to_thread(report)
    return JSONResponse(body, status_code=status)
