"""The /api Starlette app: health, the session hand-over, and the v1 developer API (``/api/v1``,
a FastAPI app: :mod:`backend.api.v1`)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from backend.api import auth_routes, oidc_routes, v1
from backend.api.edge import BillingRefused, ListingAccess, TryRefused, set_listing_access
from backend.api.health import health


async def not_found(_request: Request, _exc: Exception) -> JSONResponse:
    """Any other path under /api (also ones the v1 mount cannot match, e.g. with a newline): a
    404 in the API's error shape."""
    return JSONResponse(
        {"error": {"message": "Not Found", "type": "invalid_request_error", "param": None, "code": "not_found"}},
        status_code=404,
    )


api = Starlette(
    routes=[
        Route("/api/health", health, methods=["GET"]),
        *auth_routes.routes,
        *oidc_routes.routes,
        Mount("/api/v1", app=v1.app),
    ],
    exception_handlers={404: not_found},
)

__all__ = ["BillingRefused", "ListingAccess", "TryRefused", "api", "health", "set_listing_access"]
