"""The /api Starlette app: health now; the v1 developer API mounts here later."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from backend.api import auth_routes
from backend.api.health import health

api = Starlette(routes=[Route("/api/health", health, methods=["GET"]), *auth_routes.routes])
