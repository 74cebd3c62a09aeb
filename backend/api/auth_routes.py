"""``/api/auth``: the only place the session cookie is set or cleared (HttpOnly, by the server).

The sign-in and sign-up forms run over the websocket, where no ``Set-Cookie`` is possible;
they hand the browser a single-use 60-second login ticket instead, and the browser posts it
here (a plain form POST, a full navigation). This route rotates the session token, sets it
as an ``HttpOnly; SameSite=Lax`` cookie (plus ``Secure`` behind TLS) and redirects with 303
to the page asked for. Scripts in the page never see the token (OWASP Session Management
Cheat Sheet; RFC 6265bis for ``SameSite``).

Both routes refuse cross-site requests (``Sec-Fetch-Site: cross-site`` or a foreign
``Origin``), so another site can neither sign a visitor in to its own account (login CSRF)
nor sign them out.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from backend.accounts.oidc_flows import PENDING_COOKIE
from backend.accounts.service import redeem_login_ticket, sign_out, sign_out_everywhere, user_for_token
from backend.config import get_settings
from backend.db import session_scope
from backend.security.redirects import local_path
from backend.security.sessions import SESSION_COOKIE, session_token_from_cookie_header

MAX_FORM_BYTES = 4096


def _same_site(request: Request) -> bool:
    if request.headers.get("sec-fetch-site", "same-origin") == "cross-site":
        return False
    origin = request.headers.get("origin")
    return not origin or origin == "null" or _own_origin(request, origin)


def _own_origin(request: Request, origin: str) -> bool:
    public = get_settings().public_url.rstrip("/")
    if public and origin.rstrip("/") == public:
        return True
    return urlsplit(origin).hostname == request.url.hostname  # the same host (dev: another port)


def _redirect(request: Request, path: str) -> RedirectResponse:
    """303 to ``path`` on the page's origin (in development the pages are on another port)."""
    origin = request.headers.get("origin")
    base = origin.rstrip("/") if origin and origin != "null" and _own_origin(request, origin) else ""
    return RedirectResponse(base + path, status_code=303)


def _secure(request: Request) -> bool:
    return get_settings().public_url.startswith("https://") or request.url.scheme == "https"


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items() if v}


def _redeem(ticket: str) -> str | None:
    with session_scope() as session:
        return redeem_login_ticket(ticket=ticket, session=session)


def _revoke(token: str, everywhere: bool) -> None:
    with session_scope() as session:
        user = user_for_token(token=token, session=session) if everywhere else None
        if user is not None:
            sign_out_everywhere(user_id=user.id, session=session)
        else:
            sign_out(token=token, session=session)


async def start_session(request: Request) -> Response:
    """``POST /api/auth/session`` (form: ``ticket``, ``next``): set the cookie, 303 to ``next``.

    An unknown, used or expired ticket redirects to ``/signin``; a cross-site post gets 403.
    """
    if not _same_site(request):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    form = await _form(request)
    token = await asyncio.to_thread(_redeem, form.get("ticket", ""))
    if token is None:
        return _redirect(request, "/signin")
    response = _redirect(request, local_path(form.get("next")))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=get_settings().session_ttl_hours * 3600,
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="lax",
    )
    # A provider sign-in that waited for its two-factor code is over (its row was taken already).
    response.delete_cookie(PENDING_COOKIE, path="/", secure=_secure(request), httponly=True, samesite="lax")
    return response


async def end_session(request: Request) -> Response:
    """``POST /api/auth/signout``: end the session, clear the cookie, 303 to ``/signin``.

    Form field ``scope=everywhere`` ends every session of the user ("sign out everywhere").
    """
    if not _same_site(request):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    token = session_token_from_cookie_header(request.headers.get("cookie", ""))
    everywhere = (await _form(request)).get("scope") == "everywhere"
    if token:
        await asyncio.to_thread(_revoke, token, everywhere)
    response = _redirect(request, "/signin")
    response.delete_cookie(SESSION_COOKIE, path="/", secure=_secure(request), httponly=True, samesite="lax")
    return response


routes = [
    Route("/api/auth/session", start_session, methods=["POST"]),
    Route("/api/auth/signout", end_session, methods=["POST"]),
]
