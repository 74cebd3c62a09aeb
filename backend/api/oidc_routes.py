"""``/api/auth/oidc/<provider>/{start,callback}``: sign in with (or link) an outside provider.

``start`` (a plain link, a full navigation) sends the browser to the provider and keeps the
flow (``state``, ``nonce``, PKCE verifier, where to return) server-side for 10 minutes
(``backend.accounts.oidc_flows``); the browser holds only a random handle in an HttpOnly cookie
scoped to ``/api/auth/oidc``, taken once by the callback. ``callback`` finishes the flow
(``backend.accounts.oidc.finish``), then, like ``POST /api/auth/session``, creates the session
and sets the HttpOnly session cookie itself and redirects with 303 to the page: no token ever
reaches the page's scripts or Reflex state. An account with two-factor sign-in on is asked for
its code first (``/signin?step=code``; no session until the code is right). ``next`` is a local
path only (``backend.security.redirects``). Failures redirect to ``/signin?sso=<code>`` (or
``/account?sso=<code>`` when linking); the pages show fixed sentences for the codes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from backend.accounts import identities, oidc, oidc_flows, twofactor
from backend.accounts.actor import Actor
from backend.accounts.service import AuthError, open_session, user_for_token
from backend.config import get_settings
from backend.db import session_scope
from backend.security.redirects import local_path
from backend.security.sessions import SESSION_COOKIE, session_token_from_cookie_header

FLOW_COOKIE = "agenthub_oidc"
FLOW_PATH = "/api/auth/oidc"


def _own_origin(request: Request, origin: str) -> bool:
    public = get_settings().public_url.rstrip("/")
    if public and origin.rstrip("/") == public:
        return True
    return urlsplit(origin).hostname == request.url.hostname


def _page_base(request: Request) -> str:
    """The origin of the page that sent the browser here (development: the pages' port)."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""
    return origin if origin and _own_origin(request, origin) else ""


def _api_base(request: Request) -> str:
    public = get_settings().public_url.rstrip("/")
    return public or f"{request.url.scheme}://{request.url.netloc}"


def _secure(request: Request) -> bool:
    return get_settings().public_url.startswith("https://") or request.url.scheme == "https"


def _actor_for(token: str) -> Actor | None:
    with session_scope() as session:
        user = user_for_token(token=token, session=session)
    return Actor(user_id=user.id, workspace_id=user.workspace_id) if user else None


async def start(request: Request) -> Response:
    """``GET /api/auth/oidc/<provider>/start?next=/path[&link=1]``: 303 to the provider.

    ``link=1`` (from the Account page) links the provider to the signed-in user instead of
    signing in. Unknown providers redirect to ``/signin?sso=unknown``; cross-site requests get 403.
    """
    if request.headers.get("sec-fetch-site") == "cross-site":
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    base = _page_base(request)
    p = oidc.provider(request.path_params["provider"])
    if p is None:
        return RedirectResponse(base + "/signin?sso=unknown", status_code=303)
    link = ("", "")
    if request.query_params.get("link") == "1":
        actor = await asyncio.to_thread(_actor_for, session_token_from_cookie_header(request.headers.get("cookie", "")))
        if actor is None:
            return RedirectResponse(base + "/signin", status_code=303)
        link = (actor.user_id, actor.workspace_id)
    redirect_uri = f"{_api_base(request)}{FLOW_PATH}/{p.key}/callback"
    try:
        url, flow = await oidc.begin(
            p,
            redirect_uri=redirect_uri,
            next_path=local_path(request.query_params.get("next")),
            page_base=base,
            link=link,
        )
    except oidc.OIDCError as exc:
        return RedirectResponse(base + f"/signin?sso={exc.code}", status_code=303)
    handle = await asyncio.to_thread(_save, flow)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        handle,
        max_age=oidc.FLOW_TTL_S,
        path=FLOW_PATH,
        secure=_secure(request),
        httponly=True,
        samesite="lax",
    )
    return response


def _save(flow: oidc.Flow) -> str:
    with session_scope() as session:
        return oidc_flows.save(flow, session=session)


def _take(handle: str) -> oidc.Flow | None:
    with session_scope() as session:
        return oidc_flows.take(handle, session=session)


@dataclass(frozen=True)
class _Outcome:
    """How a verified callback ends: ``token`` (signed in; ``setup``: the workspace requires
    two-factor sign-in the user has not set up), ``pending`` (the handle of a sign-in waiting for
    the account's two-factor code: no session yet), or neither (a provider was linked)."""

    token: str = ""
    setup: bool = False
    pending: str = ""


def _complete(p: oidc.Provider, flow: oidc.Flow, who: oidc.ProviderUser) -> _Outcome:
    """Link, or sign in (or wait for the two-factor code), in one transaction."""
    with session_scope() as session:
        if flow.link_user_id:
            actor = Actor(user_id=flow.link_user_id, workspace_id=flow.link_workspace_id)
            identities.link(who, actor=actor, provider_name=p.name, session=session)
            return _Outcome()
        user = identities.account_for(who, provider_name=p.name, session=session)
        if twofactor.is_enabled(user_id=user.id, session=session):
            return _Outcome(
                pending=oidc_flows.save_pending_code(user_id=user.id, next_path=flow.next_path, session=session)
            )
        public, token = open_session(user=user, session=session)
        setup = twofactor.needs_setup(user_id=user.id, workspace_id=public.workspace_id, session=session)
        return _Outcome(token=token, setup=setup)


async def callback(request: Request) -> Response:
    """``GET /api/auth/oidc/<provider>/callback?code=&state=``: finish, set the cookie, 303 on.

    An account with two-factor sign-in on gets no session here: the browser gets the waiting
    sign-in's handle (HttpOnly cookie :data:`oidc_flows.PENDING_COOKIE`, 5 minutes) and goes to
    ``/signin?step=code``, where the page asks for the code as after a password.
    """
    flow = await asyncio.to_thread(_take, request.cookies.get(FLOW_COOKIE, ""))
    p = oidc.provider(request.path_params["provider"])
    base = flow.page_base if flow else ""
    failed = "/account?sso=" if flow and flow.link_user_id else "/signin?sso="
    if p is None or flow is None:
        return _done(
            request, RedirectResponse(base + failed + ("unknown" if p is None else "expired"), status_code=303)
        )
    try:
        who = await oidc.finish(
            p, flow, code=request.query_params.get("code", ""), state=request.query_params.get("state", "")
        )
        outcome = await asyncio.to_thread(_complete, p, flow, who)
    except oidc.OIDCError as exc:
        return _done(request, RedirectResponse(base + failed + exc.code, status_code=303))
    except identities.IdentityError as exc:
        return _done(request, RedirectResponse(base + failed + exc.code, status_code=303))
    except AuthError:
        return _done(request, RedirectResponse(base + failed + "failed", status_code=303))
    if outcome.pending:
        response = RedirectResponse(base + "/signin?step=code", status_code=303)
        _set_cookie(request, response, oidc_flows.PENDING_COOKIE, outcome.pending, oidc_flows.PENDING_CODE_TTL_S)
        return _done(request, response)
    if not outcome.token:
        return _done(request, RedirectResponse(base + f"/account?linked={p.key}", status_code=303))
    target = "/account?two_factor=required" if outcome.setup else flow.next_path
    response = RedirectResponse(base + local_path(target), status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, outcome.token, get_settings().session_ttl_hours * 3600)
    return _done(request, response)


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """An HttpOnly, ``SameSite=Lax`` cookie for the whole site (``Secure`` behind TLS)."""
    response.set_cookie(name, value, max_age=max_age, path="/", secure=_secure(request), httponly=True, samesite="lax")


def _done(request: Request, response: Response) -> Response:
    """The flow cookie is single-use: clear it on every callback answer."""
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, secure=_secure(request), httponly=True, samesite="lax")
    return response


routes = [
    Route(FLOW_PATH + "/{provider}/start", start, methods=["GET"]),
    Route(FLOW_PATH + "/{provider}/callback", callback, methods=["GET"]),
]
