"""``/api/auth/oidc/<provider>/{start,callback}``: sign in with (or link) an outside provider.

``start`` (a plain link, a full navigation) sends the browser to the provider and keeps the
flow (``state``, ``nonce``, PKCE verifier, where to return) server-side for 10 minutes
(``backend.accounts.oidc_flows``); the browser holds only a random handle in an HttpOnly cookie
scoped to ``/api/auth/oidc``, taken once by the callback. ``callback`` finishes the flow
(``backend.accounts.oidc.finish``), then, like ``POST /api/auth/session``, creates the session
and sets the HttpOnly session cookie itself and redirects with 303 to the page: no token ever
reaches the page's scripts or Reflex state. Failures redirect to ``/signin?sso=<code>`` (or
``/account?sso=<code>`` when linking); the pages show fixed sentences for the codes.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from backend.accounts import identities, oidc, oidc_flows, twofactor
from backend.accounts.actor import Actor
from backend.accounts.service import AuthError, sign_out, user_for_token
from backend.config import get_settings
from backend.db import session_scope
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


def _safe_path(value: str | None, default: str) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


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
            next_path=_safe_path(request.query_params.get("next"), "/agents"),
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


def _complete(p: oidc.Provider, flow: oidc.Flow, who: oidc.ProviderUser) -> tuple[str | None, bool]:
    """Sign in (returns ``(session token, needs_setup)``; ``needs_setup``: the workspace requires
    two-factor sign-in the user has not set up) or link (returns ``(None, False)``), in one transaction."""
    with session_scope() as session:
        if flow.link_user_id:
            actor = Actor(user_id=flow.link_user_id, workspace_id=flow.link_workspace_id)
            identities.link(who, actor=actor, provider_name=p.name, session=session)
            return None, False
        user, token = identities.sign_in_with(who, provider_name=p.name, session=session)
        if twofactor.is_enabled(user_id=user.id, session=session):  # no way to ask for the code here yet
            sign_out(token=token, session=session)
            raise identities.IdentityError("Sign in with your password and two-factor code.", None, "two_factor")
        return token, twofactor.needs_setup(user_id=user.id, workspace_id=user.workspace_id, session=session)


async def callback(request: Request) -> Response:
    """``GET /api/auth/oidc/<provider>/callback?code=&state=``: finish, set the cookie, 303 on."""
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
        token, setup = await asyncio.to_thread(_complete, p, flow, who)
    except oidc.OIDCError as exc:
        return _done(request, RedirectResponse(base + failed + exc.code, status_code=303))
    except identities.IdentityError as exc:
        return _done(request, RedirectResponse(base + failed + exc.code, status_code=303))
    except AuthError:
        return _done(request, RedirectResponse(base + failed + "failed", status_code=303))
    if token is None:
        return _done(request, RedirectResponse(base + f"/account?linked={p.key}", status_code=303))
    target = "/account?two_factor=required" if setup else flow.next_path
    response = RedirectResponse(base + target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=get_settings().session_ttl_hours * 3600,
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="lax",
    )
    return _done(request, response)


def _done(request: Request, response: Response) -> Response:
    """The flow cookie is single-use: clear it on every callback answer."""
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, secure=_secure(request), httponly=True, samesite="lax")
    return response


routes = [
    Route(FLOW_PATH + "/{provider}/start", start, methods=["GET"]),
    Route(FLOW_PATH + "/{provider}/callback", callback, methods=["GET"]),
]
