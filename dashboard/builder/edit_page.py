"""``/agents/new`` and ``/agents/<id>``: configuration in tabs on the left, a live preview on the right.

An existing agent is edited through its draft (kept as you type); the header says whether the
draft has unsaved changes and holds the page's one "Save version" button and "Discard draft".
A new agent is one form with a three-step guide; saving it creates v1.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.components import avatar, link_button
from dashboard.builder.draft_status import DraftStatus
from dashboard.builder.fields import identity_fields, instruction_fields, model_fields
from dashboard.builder.guide import guide
from dashboard.builder.history import history_panel
from dashboard.builder.knowledge_panel import knowledge_panel
from dashboard.builder.limits_section import limits_section
from dashboard.builder.memory_section import memory_section
from dashboard.builder.preview_panel import preview_pane
from dashboard.builder.state import BuilderState
from dashboard.builder.tools_panel import audit_section, tools_section
from dashboard.shell.auth import allowed
from dashboard.shell.forms import banner
from dashboard.shell.layout import page

S: Any = BuilderState  # class attributes are Vars at render time
D: Any = DraftStatus
IS_NEW = S.editing_id == ""
MUTED = "var(--gray-11)"

# (label, value) of the settings tabs; ``?tab=<value>`` opens one.
TABS = (
    ("Instructions", "instructions"),
    ("Model", "model"),
    ("Knowledge", "knowledge"),
    ("Tools", "tools"),
    ("Memory", "memory"),
    ("Limits", "limits"),
    ("Listing", "listing"),
    ("Versions", "versions"),
)


def _discard_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Discard draft", variant="soft", color_scheme="gray", type="button", disabled=~D.dirty)
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Discard the draft?"),
            rx.alert_dialog.description(
                "Every change since v"
                + D.version.to_string()
                + " is thrown away; the agent goes back to that version.",
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep editing", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Discard", color_scheme="red", on_click=S.discard)),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="440px",
        ),
    )


def _header() -> rx.Component:
    """Name, draft status, and the page's one Save version (with an optional note)."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                avatar(S.saved_avatar, size="32px"),
                rx.heading(S.saved_name, size="5", as_="h2"),
                rx.badge(
                    D.label,
                    color_scheme=rx.cond(D.dirty, "amber", "green"),
                    variant="soft",
                    size="2",
                    id="draft-status",
                ),
                rx.spacer(),
                link_button("Open chat", "/chat?agent=" + S.editing_id, icon="message_square", variant="outline"),
                spacing="2",
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.form(
                rx.hstack(
                    rx.box(
                        rx.el.label("Version note (optional)", html_for="note", class_name="rt-Text rt-r-size-1"),
                        rx.input(id="note", name="note", max_length=200, placeholder="What changed?"),
                        flex="1",
                        min_width="160px",
                    ),
                    rx.button("Save version", type="submit", loading=S.saving),
                    _discard_dialog(),
                    spacing="2",
                    align="end",
                    width="100%",
                    wrap="wrap",
                ),
                on_submit=S.save_version,
                reset_on_submit=True,
                width="100%",
            ),
            rx.text(
                "Changes are kept in a draft as you type: leaving or reloading the page keeps them. Chats use the "
                "saved version until you press Save version.",
                size="1",
                color=MUTED,
            ),
            banner(S.form_error),
            banner(S.message, kind="success"),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _listing_panel() -> rx.Component:
    """Where the agent is published (the marketplace's own pages hold the form) and its figures."""
    return rx.vstack(
        rx.text(
            "Publish a saved version in the marketplace: subscribers run the version you publish, "
            "never this draft, and never see your instructions, knowledge or connection.",
            size="2",
        ),
        rx.hstack(
            rx.cond(
                allowed("marketplace.publish"),
                rx.hstack(
                    rx.link(
                        rx.button("Create or edit the listing", type="button"),
                        href="/publisher/listing?agent=" + S.editing_id,
                    ),
                    rx.link(rx.button("My listings", variant="soft", type="button"), href="/publisher"),
                ),
                rx.text("Only the workspace's owners and admins publish agents.", size="2", color="var(--gray-11)"),
            ),
            rx.link(
                rx.button("This agent's analytics", variant="soft", type="button"),
                href="/analytics?agent=" + S.editing_id,
            ),
            rx.link(
                rx.button("Embed on a website", variant="soft", type="button"),
                href="/developers?kind=publishable&target=agent:" + S.editing_id,
            ),
            wrap="wrap",
        ),
        spacing="3",
    )


def _tab(value: str, *children: rx.Component) -> rx.Component:
    return rx.tabs.content(rx.vstack(*children, spacing="3", width="100%"), value=value, padding_top="12px")


def _tabs() -> rx.Component:
    applies_now = rx.callout(
        "Applies immediately, not part of versions.", icon="info", color_scheme="blue", size="1", width="100%"
    )
    return rx.tabs.root(
        rx.tabs.list(
            *[rx.tabs.trigger(label, value=value) for label, value in TABS], wrap="wrap", aria_label="Agent settings"
        ),
        _tab("instructions", identity_fields(), instruction_fields()),
        _tab("model", model_fields()),
        _tab("knowledge", applies_now, knowledge_panel(S.editing_id)),
        _tab("tools", tools_section(S.editing_id), audit_section()),
        _tab("memory", applies_now, memory_section(S.editing_id)),
        _tab("limits", limits_section(S.editing_id)),
        _tab("listing", _listing_panel()),
        _tab("versions", history_panel()),
        value=S.tab,
        on_change=S.set_tab,
        width="100%",
    )


def _agent_layout() -> rx.Component:
    return rx.flex(
        rx.vstack(
            _header(),
            rx.cond(S.needs_guide, guide(), rx.fragment()),
            _tabs(),
            spacing="3",
            flex="1",
            min_width="0",
            width="100%",
        ),
        preview_pane(S.editing_id),
        direction=rx.breakpoints(initial="column", md="row"),
        spacing="4",
        width="100%",
        align="start",
    )


def _new_layout() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("New agent", size="5", as_="h2"),
            guide(),
            banner(S.form_error),
            identity_fields(),
            model_fields(),
            instruction_fields(),
            rx.hstack(
                rx.button("Save version", type="submit", size="3", loading=S.saving),
                rx.text("Saving creates version 1; then try it in the preview.", size="2", color=MUTED),
                spacing="3",
                align="center",
            ),
            spacing="4",
            width="100%",
        ),
        key=S.form_rev,
        on_submit=S.create,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def _not_found() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text("Agent not found", weight="bold"),
            rx.text("It may have been deleted, or it belongs to another workspace."),
            rx.link("Back to agents", href="/agents"),
            spacing="1",
        ),
        icon="circle_alert",
        color_scheme="red",
        role="alert",
        width="100%",
    )


def _forbidden() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text("You cannot open the builder", weight="bold"),
            rx.text(
                "Viewers can chat with this workspace's agents but cannot change them. "
                "Ask an admin for the builder role."
            ),
            rx.link("Back to agents", href="/agents"),
            spacing="1",
        ),
        icon="lock",
        color_scheme="amber",
        role="alert",
        width="100%",
    )


def agent_edit_page() -> rx.Component:
    """The builder: tabs of settings and a live preview (existing agent), or the new-agent form."""
    body = rx.cond(
        S.forbidden,
        _forbidden(),
        rx.cond(
            S.not_found,
            _not_found(),
            rx.cond(
                S.loaded,
                rx.cond(IS_NEW, _new_layout(), _agent_layout()),
                rx.hstack(rx.spinner(), rx.text("Loading…", size="2"), spacing="2"),
            ),
        ),
    )
    return page(
        "Agent builder",
        body,
        actions=link_button("Back to agents", "/agents", icon="arrow_left", variant="ghost"),
    )
