"""The developer API, a FastAPI app mounted at ``/api/v1`` by :mod:`backend.api.routes`.

* ``GET /openapi.json``: the OpenAPI 3.1 document generated from the routes and schemas;
  ``GET /docs``: the same as a browsable page (:mod:`backend.api.docs_page`).
* OpenAI-compatible chat completions and models (:mod:`backend.api.openai_routes`).
* Native runs with resumable SSE, conversations, knowledge (:mod:`backend.api.run_routes`).
* The embed widget's script (:mod:`backend.api.widget`).

CORS: every response to a request with an ``Origin`` echoes it (no credentials: keys travel in
``Authorization``, and a publishable key is refused from origins it does not list), and
preflights are answered here, so the embed widget works from any site its key allows.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api import approval_routes, docs_page, errors, openai_routes, run_routes, widget

DESCRIPTION = (
    "Run Agent Hub agents from your own code. Authenticate with an API key from the Developers page "
    "(`Authorization: Bearer ahk_...`). `model` / `{agent}` is a model id from `GET /api/v1/models`. "
    'Errors use OpenAI\'s shape `{"error": {"message", "type", "param", "code"}}`.'
)
CORS_HEADERS = "Authorization, Content-Type, Last-Event-ID, X-AgentHub-Browser-Id"


def create_app() -> FastAPI:
    """A new v1 app (the module-level :data:`app` is the one the server mounts)."""
    api = FastAPI(
        title="Agent Hub API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        servers=[{"url": "/api/v1"}],
    )
    errors.install(api)
    api.include_router(openai_routes.router)
    api.include_router(run_routes.router)
    api.include_router(approval_routes.router)
    api.include_router(widget.router)

    @lru_cache(maxsize=1)
    def spec() -> dict[str, Any]:
        return api.openapi()

    @api.get("/openapi.json", include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(spec())

    @api.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(docs_page.render(spec()))

    return api


class Cors:
    """Echo the request's ``Origin`` on every response and answer preflights (see module doc)."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        headers = dict(scope["headers"])
        origin = headers.get(b"origin")
        if origin is None:
            await self.inner(scope, receive, send)
            return
        allow = [(b"access-control-allow-origin", origin), (b"vary", b"Origin")]
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            allow += [
                (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
                (b"access-control-allow-headers", CORS_HEADERS.encode()),
                (b"access-control-max-age", b"600"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": allow})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *allow]
            await send(message)

        await self.inner(scope, receive, with_cors)


app = Cors(create_app())
