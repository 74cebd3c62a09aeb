"""The /api Starlette app: health now; the v1 developer API mounts here later."""

from __future__ import annotations

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.api import auth_routes
from backend.db import get_engine


async def health(_request: Request) -> JSONResponse:
    """``GET /api/health`` -> ``{"status": "ok", "database": "ok"}`` (503 if the DB is down)."""
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001  (report, do not crash)
        return JSONResponse({"status": "degraded", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


api = Starlette(routes=[Route("/api/health", health, methods=["GET"]), *auth_routes.routes])
