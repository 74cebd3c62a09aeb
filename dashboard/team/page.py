"""``/team``: members and roles, invitations, and the workspace (rename, create, delete)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.accounts.permissions import ROLES
from dashboard.shell.auth import AuthState, allowed
from dashboard.shell.forms import banner, confirm_delete, field_error, labelled, text_field
from dashboard.shell.layout import loaded_for_this_visit, page
from dashboard.team.state import TeamState

__all__ = ["TeamState", "team_page"]

CAN_MANAGE = allowed("members.manage")
ROLE_HELP = {
    "owner": "everything, including billing and deleting the workspace",
    "admin": "members, connections, limits and publishing",
    "builder": "builds and edits agents, knowledge and tools",
    "viewer": "chats with agents; cannot edit them or see connections",
}


def _role_select(control_id: str, name: str, **props: Any) -> rx.Component:
    return rx.el.select(
        *[rx.el.option(f"{r} — {ROLE_HELP[r]}", value=r) for r in ROLES],
        id=control_id,
        name=name,
        style={"padding": "6px", "borderRadius": "6px", "border": "1px solid var(--gray-7)", "width": "100%"},
        **props,
    )


def _member_row(m: Any) -> rx.Component:
    role_cell = rx.cond(
        CAN_MANAGE & ~m.is_me,
        rx.el.select(
            *[rx.el.option(r, value=r) for r in ROLES],
            value=m.role,
            on_change=lambda role: TeamState.change_role(m.user_id, role),  # type: ignore[operator]
            aria_label="Role of " + m.email,
            style={"padding": "4px", "borderRadius": "6px"},
        ),
        rx.badge(m.role, variant="soft"),
    )
    remove = confirm_delete(
        rx.button("Remove", variant="ghost", color_scheme="red", size="1", aria_label="Remove " + m.email),
        "Remove " + m.email + "?",
        "They lose access to this workspace at once: their open pages here are signed out. "
        "Their conversations stay. You can invite them again later.",
        TeamState.remove(m.user_id, m.email),  # type: ignore[operator]
    )
    return rx.table.row(
        rx.table.cell(m.email, rx.cond(m.is_me, rx.text(" (you)", as_="span", color="var(--gray-11)"), rx.fragment())),
        rx.table.cell(role_cell),
        rx.table.cell(m.joined),
        rx.table.cell(rx.cond(CAN_MANAGE & ~m.is_me, remove, rx.fragment())),
    )


def _members_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Members", size="4", as_="h2"),
            banner(TeamState.errors.get("members", "")),  # type: ignore[attr-defined]  # bad role values
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Email"),
                        rx.table.column_header_cell("Role"),
                        rx.table.column_header_cell("Joined"),
                        rx.table.column_header_cell(rx.el.span("Actions", class_name="sr-only")),
                    )
                ),
                rx.table.body(rx.foreach(TeamState.members, _member_row)),
                width="100%",
                aria_label="Members",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _invite_card() -> rx.Component:
    form = rx.form(
        rx.vstack(
            text_field(
                "Email address",
                "email",
                type="email",
                required=True,
                error=TeamState.errors.get("email", ""),  # type: ignore[attr-defined]
            ),
            labelled("Role", _role_select("invite-role", "role", default_value="viewer"), "invite-role"),
            rx.button("Invite", type="submit"),
            spacing="3",
            align="start",
            width="100%",
        ),
        on_submit=TeamState.invite,
        reset_on_submit=True,
        width="100%",
    )
    link = rx.cond(
        TeamState.invite_link != "",
        rx.vstack(
            labelled(
                "Invitation link for " + TeamState.invite_sent_to,
                rx.input(id="invite-link", value=TeamState.invite_link, read_only=True, width="100%"),
                "invite-link",
            ),
            rx.button(
                "Copy link",
                variant="soft",
                on_click=[rx.set_clipboard(TeamState.invite_link), rx.toast.success("Link copied")],
            ),
            spacing="2",
            width="100%",
            align="start",
        ),
        rx.fragment(),
    )
    pending = rx.cond(
        TeamState.invitations.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(
            rx.heading("Pending invitations", size="3", as_="h3"),
            rx.foreach(
                TeamState.invitations,
                lambda i: rx.hstack(
                    rx.text(i.email, " as ", i.role, size="2"),
                    rx.text("expires " + i.expires, size="1", color="var(--gray-11)"),
                    rx.spacer(),
                    rx.button(
                        "Revoke",
                        variant="ghost",
                        color_scheme="red",
                        size="1",
                        on_click=TeamState.revoke(i.id),  # type: ignore[operator]
                        aria_label="Revoke the invitation of " + i.email,
                    ),
                    width="100%",
                    align="center",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        rx.text("No pending invitations.", size="2", color="var(--gray-11)"),
    )
    return rx.card(
        rx.vstack(rx.heading("Invite someone", size="4", as_="h2"), form, link, pending, spacing="3", width="100%"),
        width="100%",
    )


def _workspace_card() -> rx.Component:
    rename = rx.form(
        rx.hstack(
            rx.box(
                text_field(
                    "Workspace name",
                    "name",
                    default_value=AuthState.workspace_name,
                    required=True,
                    error=TeamState.errors.get("name", ""),  # type: ignore[attr-defined]
                ),
                flex="1",
            ),
            rx.button("Rename", type="submit", variant="soft"),
            align="end",
            width="100%",
        ),
        on_submit=TeamState.rename,
        key=AuthState.workspace_id,
        width="100%",
    )
    create = rx.form(
        rx.hstack(
            rx.box(
                text_field(
                    "New workspace",
                    "new_name",
                    placeholder="e.g. Support team",
                    required=True,
                    error=TeamState.errors.get("new_name", ""),  # type: ignore[attr-defined]
                ),
                flex="1",
            ),
            rx.button("Create and switch", type="submit", variant="soft"),
            align="end",
            width="100%",
        ),
        on_submit=TeamState.create,
        width="100%",
    )
    return rx.card(
        rx.vstack(
            rx.heading("Workspace", size="4", as_="h2"),
            rx.cond(allowed("workspace.rename"), rename, rx.text(AuthState.workspace_name, weight="bold")),
            create,
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _danger_card() -> rx.Component:
    dialog = rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Delete workspace…", color_scheme="red", variant="soft", on_click=TeamState.show_impact)
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete " + AuthState.workspace_name + "?"),
            rx.alert_dialog.description(
                rx.cond(TeamState.impact != "", TeamState.impact, "Counting what will be lost…"), size="2"
            ),
            rx.form(
                rx.vstack(
                    text_field(
                        "Type the workspace's name to confirm", "confirm_name", required=True, auto_complete="off"
                    ),
                    field_error(TeamState.errors.get("confirm_name", "")),  # type: ignore[attr-defined]
                    rx.hstack(
                        rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Delete forever", color_scheme="red", type="submit"),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=TeamState.delete,
                width="100%",
            ),
            max_width="480px",
        ),
    )
    return rx.cond(
        allowed("workspace.delete") & ~TeamState.personal,
        rx.card(
            rx.vstack(
                rx.heading("Danger zone", size="4", as_="h2", color="var(--red-11)"),
                rx.text("Deleting the workspace takes it away from every member.", size="2"),
                dialog,
                spacing="3",
                align="start",
            ),
            width="100%",
        ),
        rx.fragment(),
    )


def _notice() -> rx.Component:
    """What just happened, in dark text on the callout (the theme's callout text misses 4.5:1 contrast)."""
    return rx.cond(
        TeamState.notice != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("info")),
            rx.callout.text(TeamState.notice, color="var(--blue-12)"),
            color_scheme="blue",
            role="status",
            width="100%",
        ),
        rx.fragment(),
    )


def team_page() -> rx.Component:
    """``/team``: members and roles, invitations (managers), the workspace (rename, new, delete)."""
    return page(
        "Team",
        rx.text("Workspace ", rx.text.strong(AuthState.workspace_name), " · your role: ", AuthState.role, size="2"),
        banner(TeamState.errors.get("form", "")),  # type: ignore[attr-defined]
        _notice(),
        rx.cond(
            loaded_for_this_visit(TeamState.loaded),
            rx.vstack(
                _members_card(),
                rx.cond(CAN_MANAGE, _invite_card(), rx.fragment()),
                _workspace_card(),
                _danger_card(),
                spacing="4",
                width="100%",
            ),
            rx.hstack(rx.spinner(), rx.text("Loading members…", size="2"), spacing="2"),
        ),
    )
