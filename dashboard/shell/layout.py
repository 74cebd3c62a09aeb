"""The page frame: a sidebar with navigation and the user menu, and the page body."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import VarData

from dashboard.shell.auth import AuthState, allowed, sign_out_form

# False on a page's first render, true from its first effect on. A client-side navigation first
# renders the new page with the state the browser still holds from an earlier visit, before the
# router marks the state unhydrated (in an effect): this hides that first render.
_MOUNTED: Any = rx.Var(
    "page_mounted",
    _var_data=VarData(
        imports={"react": ["useState", "useEffect"]},
        hooks={
            "const [page_mounted, set_page_mounted] = useState(false);": None,
            "useEffect(() => set_page_mounted(true), []);": None,
        },
    ),
).to(bool)


def loaded_for_this_visit(loaded: Any) -> Any:
    """A condition that is true only once this visit's ``on_load`` handlers have all run.

    ``loaded`` is the page state's own flag (set by its load handler). The state a browser
    holds from an earlier visit (or from another page) is never shown: the condition is false on
    the first render after a navigation, and while ``on_load`` runs (``is_hydrated``).
    """
    return _MOUNTED & rx.State.is_hydrated & loaded


NAV = [
    ("Agents", "/agents", "bot", ""),
    ("Chat", "/chat", "message_square", ""),
    ("Marketplace", "/marketplace", "store", ""),
    ("Connections", "/connections", "plug", "connections.view"),
    ("Tasks", "/tasks", "list_checks", ""),
    ("Analytics", "/analytics", "chart_line", "analytics.view"),
    ("Developers", "/developers", "code", "api_keys.manage"),
    ("Billing", "/billing", "credit_card", ""),
    ("Earnings", "/earnings", "wallet", "billing.view"),
    ("Inbox", "/notifications", "bell", ""),
    ("Team", "/team", "users", ""),
    ("Audit log", "/audit", "scroll_text", "audit.view"),
    ("Settings", "/settings", "settings", ""),
    ("Account", "/account", "user_round", ""),
]
"""(label, path, icon, the action a role needs to see the link: ``backend.accounts.permissions``)."""


def _nav_link(label: str, href: str, icon: str, action: str = "") -> rx.Component:
    link = _link(label, href, icon)
    return rx.cond(allowed(action), link, rx.fragment()) if action else link


def workspace_switcher() -> rx.Component:
    """The current workspace, with a labelled select to switch to another one the user belongs to."""
    return rx.vstack(
        rx.el.label("Workspace", html_for="workspace-switcher", style={"fontSize": "12px", "color": "var(--gray-11)"}),
        rx.select.root(
            rx.select.trigger(id="workspace-switcher", width="100%", aria_label="Switch workspace"),
            rx.select.content(
                rx.foreach(
                    AuthState.workspaces,
                    lambda w: rx.select.item(w.name, value=w.id),
                )
            ),
            value=AuthState.workspace_id,
            on_change=AuthState.switch_workspace,
            size="2",
        ),
        rx.text(AuthState.role, size="1", color="var(--gray-11)", aria_label="Your role"),
        spacing="1",
        width="100%",
        padding_bottom="8px",
    )


def _link(label: str, href: str, icon: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(label, size="3"), spacing="2", align="center"),
        href=href,
        underline="none",
        color="var(--gray-12)",
        padding="8px 10px",
        border_radius="6px",
        width="100%",
        _hover={"background": "var(--accent-3)"},
    )


def sidebar() -> rx.Component:
    """Brand, navigation links and the signed-in user with a Sign out button."""
    return rx.vstack(
        rx.hstack(
            rx.icon("blocks", size=22, color="var(--accent-9)"),
            rx.heading("Agent Hub", size="5"),
            spacing="2",
            padding_bottom="12px",
        ),
        workspace_switcher(),
        rx.el.nav(
            rx.vstack(*[_nav_link(*item) for item in NAV], spacing="1", width="100%"),
            aria_label="Main",
            style={"width": "100%"},
        ),
        rx.spacer(),
        rx.vstack(
            rx.text(AuthState.user_email, size="2", color="var(--gray-11)", trim="both"),
            sign_out_form("Sign out", variant="soft", size="2", width="100%"),
            width="100%",
            spacing="2",
        ),
        width="220px",
        min_width="220px",
        height="100vh",
        padding="16px",
        border_right="1px solid var(--gray-5)",
        position="sticky",
        top="0",
        background="var(--gray-2)",
    )


def page(title: str, *children: rx.Component, actions: rx.Component | None = None) -> rx.Component:
    """A signed-in page: sidebar + a main area with an ``<h1>`` title, optional actions, content."""
    return rx.hstack(
        sidebar(),
        rx.el.main(
            rx.vstack(
                rx.hstack(
                    rx.heading(title, size="7", as_="h1"),
                    rx.spacer(),
                    actions or rx.fragment(),
                    width="100%",
                    align="center",
                ),
                *children,
                spacing="4",
                width="100%",
                max_width="1100px",
                padding="24px 32px",
            ),
            style={"flex": "1", "minWidth": "0"},
        ),
        spacing="0",
        align="start",
        width="100%",
        min_height="100vh",
    )
