"""The developer API's key check, as a FastAPI dependency (``Authorization: Bearer <key>``)."""

from __future__ import annotations

import asyncio

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend.api.keys import KeyIdentity, authenticate
from backend.db import session_scope

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from the Developers page: `Authorization: Bearer ahk_...` (publishable `ahp_...` "
    "keys only from their allowed origins).",
)


def _check(secret: str | None, origin: str | None) -> KeyIdentity:
    with session_scope() as session:
        return authenticate(secret, origin, session)


async def api_key(request: Request, credentials: HTTPAuthorizationCredentials | None = Security(bearer)) -> KeyIdentity:
    """The presented key, checked in a thread (a database read; the event loop serves everyone).

    Raises:
        KeyRejected: 401 / 403 (mapped to OpenAI's error shape by ``backend.api.errors``).
    """
    secret = credentials.credentials if credentials is not None else None
    return await asyncio.to_thread(_check, secret, request.headers.get("origin"))


def client_ip(request: Request) -> str | None:
    """The client's address as the server saw it (None when unknown)."""
    return request.client.host if request.client is not None else None
