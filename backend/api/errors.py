"""Errors of the developer API in OpenAI's shape, ``{"error": {"message", "type", "param",
"code"}}``, with the HTTP status a client library maps to its exception (401, 402, 403, 404,
422, 429 with ``Retry-After``, 502 when the model provider failed)."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from backend.accounts.actor import NotFound, PermissionDenied
from backend.api.edge import BillingRefused, ScopeDenied, TryRefused
from backend.api.keys import KeyRejected
from backend.runtime.events import RunFailed
from backend.runtime.run import RunRejected

_TYPES = {
    400: ("invalid_request_error", "invalid_json"),
    401: ("invalid_request_error", "invalid_api_key"),
    402: ("billing_error", "billing_refused"),
    403: ("permission_error", "permission_denied"),
    404: ("invalid_request_error", "not_found"),
    405: ("invalid_request_error", "method_not_allowed"),
    409: ("invalid_request_error", "conflict"),
    413: ("invalid_request_error", "too_large"),
    422: ("invalid_request_error", "invalid_value"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    502: ("api_error", "upstream_error"),
}


class ApiError(Exception):
    """An error response: ``status``, a sentence for the developer, and optionally the OpenAI
    ``code``, the offending ``param`` and ``retry_after_s`` (sent as ``Retry-After``)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param
        self.retry_after_s = retry_after_s

    def body(self) -> dict[str, Any]:
        """The JSON body (also sent as an SSE ``error`` event mid-stream)."""
        kind, code = _TYPES.get(self.status, ("api_error", None))
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code or code}}

    def response(self) -> JSONResponse:
        """The JSON response, with ``Retry-After`` (whole seconds, at least 1) on 429."""
        headers = {}
        if self.status == 429:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after_s or 1)))
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def from_exception(exc: Exception) -> ApiError | None:
    """The API error of a service exception raised at the edge, or None if it is unexpected."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, KeyRejected):
        return ApiError(exc.status, str(exc))
    if isinstance(exc, NotFound):
        code = "model_not_found" if "model" in str(exc) else None
        return ApiError(404, str(exc), code=code)
    if isinstance(exc, ScopeDenied | PermissionDenied):
        return ApiError(403, str(exc))
    if isinstance(exc, BillingRefused):
        return ApiError(402, str(exc))
    if isinstance(exc, TryRefused):
        return ApiError(429, str(exc), code="trial_used_up", retry_after_s=exc.retry_after_s)
    if isinstance(exc, RunRejected | ValueError):
        return ApiError(422, str(exc))
    return None


def from_failure(event: RunFailed) -> ApiError:
    """The API error of a run that failed before answering (gateway refusals and provider errors)."""
    if event.kind == "rate_limit":
        return ApiError(429, event.message, retry_after_s=event.retry_after_s)
    if event.kind == "budget":
        return ApiError(429, event.message, code="insufficient_quota")
    return ApiError(502, event.message, code=event.kind)


def _allowed(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into OpenAI's shape."""

    async def api_error(_request: Request, exc: Exception) -> JSONResponse:
        found = from_exception(exc)
        assert found is not None  # noqa: S101  (registered only for mapped types)
        return found.response()

    async def validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
        message = (
            f"{where}: {first.get('msg', 'invalid value')}" if where else str(first.get("msg", "Invalid request."))
        )
        return ApiError(422, message, param=where).response()

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101
        response = ApiError(exc.status_code, str(exc.detail)).response()
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:  # Allow lists every method of the path (RFC 9110), over all its routes
            response.headers["Allow"] = ", ".join(_allowed(request))
        return response

    for kind in (
        ApiError,
        KeyRejected,
        NotFound,
        ScopeDenied,
        PermissionDenied,
        BillingRefused,
        TryRefused,
        RunRejected,
    ):
        app.add_exception_handler(kind, api_error)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
