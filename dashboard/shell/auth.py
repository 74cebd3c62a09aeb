"""Auth state shared by every page: the signed-in user and the login guard.

The session token lives only in an HttpOnly cookie that the server sets
(``backend/api/auth_routes.py``): scripts cannot read it and it is never a state var. Every
event reads it from the ``Cookie`` header of the websocket handshake (``router.headers``,
which Reflex keeps server-side and never sends to the browser) and re-checks it against the
database, off the event loop. Mutating handlers call :func:`require_actor`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from backend.accounts.actor import Actor, PermissionDenied
from backend.accounts.permissions import actions_for
from backend.accounts.service import user_for_token
from backend.accounts.workspaces import list_workspaces, switch_workspace
from backend.db import session_scope
from backend.models import UserPublic
from backend.security.sessions import session_token_from_cookie_header

T = TypeVar("T")

# Argon2 (t=3, 64 MiB) is CPU-bound: its own small pool keeps a burst of sign-ups from taking
# every core from the event loop, and from filling the default pool every other handler's
# database work (``asyncio.to_thread``) waits on.
_PASSWORD_POOL = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="argon2")

_HANDOFF_ID = "agenthub-session-handoff"
_LOOPBACK_NAMES = ["localhost", "0.0.0.0", "::", "0:0:0:0:0:0:0:0"]  # noqa: S104  (names, not a bind)


def cookie_token(state: rx.State) -> str:
    """The session token from the websocket handshake's ``Cookie`` header, or ``""``."""
    return session_token_from_cookie_header(state.router.headers.cookie)


def _backend_url_js(path: str) -> str:
    """JS for the URL of a backend HTTP route (``/api/...``), to evaluate in the browser at use.

    It follows Reflex's own rule (``getBackendURL`` in ``state.js``): a loopback host in
    ``api_url`` means "the page's host", and https pages use the https port. Not usable as a
    rendered attribute: pages are prerendered without ``window`` and hydration keeps the
    server's value.
    """
    api, names = json.dumps(rx.config.get_config().api_url), json.dumps(_LOOPBACK_NAMES)
    return f"""(() => {{ const u = new URL({json.dumps(path)}, {api});
  if ({names}.includes(u.hostname)) {{
    u.hostname = window.location.hostname;
    if (window.location.protocol === "https:") {{ u.protocol = "https:"; u.port = ""; }}
  }}
  return u.toString(); }})()"""


def _submit_js(form_id: str, path: str) -> Any:
    """A compiled (no ``eval``) ``call_function`` that posts form ``form_id`` to ``path`` natively.

    ``form.submit()`` skips the ``onSubmit`` Reflex gives every form (it prevents navigation).
    """
    return rx.call_function(
        f"() => {{ const f = document.getElementById('{form_id}'); f.action = {_backend_url_js(path)}; f.submit(); }}"
    )


def backend_get_form(label: Any, path: str, form_id: str, fields: dict[str, Any], **button_props: Any) -> rx.Component:
    """A button that opens a backend HTTP route (``/api/...``) as a full navigation (a GET form).

    Args:
        path: the route, e.g. ``"/api/auth/oidc/google/start"``.
        form_id: a unique element id.
        fields: hidden query fields (values may be state vars), e.g. ``{"next": "/agents"}``.

    Before hydration the browser submits the form itself; after it, the handler submits it
    natively to the backend's URL (another port in development), as :func:`sign_out_form` does.
    """
    return rx.el.form(
        *[rx.el.input(type="hidden", name=name, value=value) for name, value in fields.items()],
        rx.button(label, type="submit", **button_props),
        id=form_id,
        method="get",
        action=path,
        on_submit=_submit_js(form_id, path),
        style={"width": "100%"},
    )


def sign_out_form(label: str = "Sign out", *, everywhere: bool = False, **button_props: Any) -> rx.Component:
    """A button that posts to ``/api/auth/signout`` (a full navigation, then ``/signin``).

    The server revokes the session (``everywhere``: every session of the user) and clears
    the HttpOnly cookie, which no script could do. Before hydration the browser posts the
    form itself; after it, Reflex's form ``onSubmit`` prevents that, so the handler posts it
    natively (``form.submit()``, compiled into the page, to the backend's URL).
    """
    scope = "everywhere" if everywhere else "this"
    form_id = f"agenthub-signout-{scope}"
    return rx.el.form(
        rx.el.input(type="hidden", name="scope", value=scope),
        rx.button(label, type="submit", **button_props),
        id=form_id,
        method="post",
        action="/api/auth/signout",  # used as is before the page hydrates (a native post)
        on_submit=_submit_js(form_id, "/api/auth/signout"),
        style={"width": "100%"},
    )


def session_handoff(ticket: Any, next_url: Any) -> rx.Component:
    """A hidden form that posts a fresh login ticket to ``/api/auth/session`` once it renders.

    The server answers with the HttpOnly session cookie and a 303 to ``next_url``.
    """
    # Only once the page's on_load ran (``is_hydrated``): the auth pages' on_load clears a
    # ticket left in state, which would otherwise be posted again on the next visit.
    return rx.cond(
        (ticket != "") & rx.State.is_hydrated,
        rx.el.form(
            rx.el.input(type="hidden", name="ticket", value=ticket),
            rx.el.input(type="hidden", name="next", value=next_url),
            id=_HANDOFF_ID,
            method="post",
            action="/api/auth/session",
            style={"display": "none"},
            on_mount=_submit_js(_HANDOFF_ID, "/api/auth/session"),
        ),
        rx.fragment(),
    )


async def run_password_work(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` (hashing or verifying a password, plus its DB work) off the event loop.

    Uses a dedicated pool of ``cpu_count // 2`` threads (at least 1).
    """
    return await asyncio.get_running_loop().run_in_executor(_PASSWORD_POOL, fn, *args)


def _lookup(token: str) -> UserPublic | None:
    with session_scope() as session:
        return user_for_token(token=token, session=session)


def actor_for_token(token: str, session: Session) -> Actor | None:
    """The member acting with a session token, re-validated in the caller's transaction (its idle
    clock renewed as on every event), or None when the session is gone; for handlers that do their
    own database work next and check the session in the same transaction."""
    user = user_for_token(token=token, session=session) if token else None
    return Actor(user_id=user.id, workspace_id=user.workspace_id) if user is not None else None


@dataclasses.dataclass
class WorkspaceOption:
    """One entry of the workspace switcher."""

    id: str = ""
    name: str = ""
    role: str = ""


def _options(user_id: str) -> list[WorkspaceOption]:
    with session_scope() as session:
        return [WorkspaceOption(w.id, w.name, w.role) for w in list_workspaces(user_id=user_id, session=session)]


def _switch(token: str, user_id: str, workspace_id: str) -> None:
    with session_scope() as session:
        switch_workspace(token=token, user_id=user_id, workspace_id=workspace_id, session=session)


class AuthState(rx.State):
    """The signed-in user's email, current workspace, role and what the role allows (display
    only: pages hide what a role cannot do, and the services refuse it anyway)."""

    user_email: str = ""
    workspace_name: str = ""
    workspace_id: str = ""
    role: str = ""
    actions: list[str] = []
    workspaces: list[WorkspaceOption] = []
    _user_id: str = ""
    _workspace_id: str = ""

    async def _load_actor(self) -> Actor | None:
        token = cookie_token(self)
        user = await asyncio.to_thread(_lookup, token) if token else None
        if user is None:
            self._user_id = self._workspace_id = ""
            return None
        self._user_id, self._workspace_id = user.id, user.workspace_id
        self.user_email, self.workspace_name = user.email, user.workspace_name
        if self.role != user.role or self.workspace_id != user.workspace_id:
            self.role, self.workspace_id = user.role, user.workspace_id
            self.actions = sorted(actions_for(user.role))
        return Actor(user_id=user.id, workspace_id=user.workspace_id)

    @rx.event
    async def require_login(self):  # type: ignore[no-untyped-def]
        """``on_load`` guard of every private page: redirect to sign-in when signed out."""
        if await self._load_actor() is None:
            self.user_email = self.workspace_name = self.role = self.workspace_id = ""
            self.actions, self.workspaces = [], []
            return rx.redirect(f"/signin?next={self.router.url.path}")
        self.workspaces = await asyncio.to_thread(_options, self._user_id)
        return None

    @rx.event
    async def switch_workspace(self, workspace_id: str):  # type: ignore[no-untyped-def]
        """The switcher: make ``workspace_id`` this browser's current workspace, then reload the agents page."""
        actor = await self._load_actor()
        if actor is None:
            return rx.redirect("/signin")
        if workspace_id == actor.workspace_id:
            return None
        try:
            await asyncio.to_thread(_switch, cookie_token(self), actor.user_id, workspace_id)
        except PermissionDenied:
            return rx.toast.error("You are no longer a member of that workspace.")
        # A new URL (also when already on /agents) so the page's on_load runs for the new workspace.
        return rx.redirect(f"/agents?workspace={workspace_id}")

    @rx.event
    async def redirect_if_signed_in(self):  # type: ignore[no-untyped-def]
        """``on_load`` of the sign-in/sign-up pages: a signed-in user goes to the dashboard."""
        if await self._load_actor() is not None:
            return rx.redirect("/agents")
        return None


def allowed(action: str) -> Any:
    """A var that is true when the signed-in member's role allows ``action`` (to hide controls;
    the service checks again)."""
    return AuthState.actions.contains(action)  # type: ignore[attr-defined]


async def require_actor(state: rx.State) -> Actor | None:
    """The acting user for an event handler of any page state, re-validated now.

    Returns ``None`` when the session is gone; the handler should then return
    ``rx.redirect("/signin")`` and change nothing.
    """
    auth = await state.get_state(AuthState)
    return await auth._load_actor()


class SignedOut(Exception):
    """The session ended (signed out elsewhere, expired, revoked) while a page was open.

    Raised by :func:`signed_in`; :func:`dashboard.shell.errors.on_backend_exception` (the app's
    backend exception handler) turns it into a redirect to the sign-in page, in one place.
    """


async def signed_in(state: rx.State) -> Actor:
    """The acting user for an event handler of any page state, re-validated now (off the loop).

    Raises:
        SignedOut: the session is gone; the handler stops and the browser goes to ``/signin``.
    """
    actor = await require_actor(state)
    if actor is None:
        raise SignedOut
    return actor
