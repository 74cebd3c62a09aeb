""" "Continue with Google / GitHub / <provider>" links of the sign-in page and the Account page.

Each button is a full navigation (a GET form) to ``/api/auth/oidc/<provider>/start`` (``backend.api.oidc_routes``),
which sends the browser to the provider; the callback sets the session cookie itself. Only
configured providers are shown (``backend.accounts.oidc.providers``).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.accounts.oidc import SIGNIN_MESSAGES, providers
from dashboard.shell.auth import backend_get_form

START = "/api/auth/oidc/{key}/start"


def configured() -> dict[str, str]:
    """``{provider key: name}`` of the configured providers (settings only, no I/O)."""
    return {p.key: p.name for p in providers()}


def message(code: Any) -> str:
    """The fixed sentence for a ``?sso=<code>`` the callback redirected with ("" for none)."""
    if not isinstance(code, str) or not code:
        return ""
    return SIGNIN_MESSAGES.get(code, SIGNIN_MESSAGES["failed"])


def provider_links(
    names: Any, *, verb: str = "Continue with", next_path: Any = "/agents", link: bool = False
) -> rx.Component:
    """One button per configured provider; ``names`` is a state var ``{key: name}``.

    Args:
        next_path: where a sign-in ends (the sign-in page's ``?next=``).
        link: link the provider to the signed-in user (Account page) instead of signing in.
    """

    def one(key: str) -> rx.Component:
        fields: dict[str, Any] = {"link": "1"} if link else {"next": next_path}
        return rx.cond(
            names.contains(key),
            backend_get_form(
                rx.hstack(rx.icon("log-in", size=16), rx.text(f"{verb} ", names[key]), spacing="2", align="center"),
                START.format(key=key),
                f"agenthub-sso-{'link' if link else 'signin'}-{key}",
                fields,
                variant="outline",
                size="3" if not link else "2",
                width="100%" if not link else "auto",
            ),
            rx.fragment(),
        )

    return rx.vstack(one("google"), one("github"), one("oidc"), spacing="2", width="100%")
