"""``/agents/new`` and ``/agents/<id>``: the blueprint form and the version history."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.components import avatar, link_button
from dashboard.builder.fallbacks import fallback_field
from dashboard.builder.knowledge_panel import knowledge_panel
from dashboard.builder.limits_section import limits_section
from dashboard.builder.memory_section import memory_section
from dashboard.builder.state import BuilderState
from dashboard.builder.tools_panel import audit_section, tools_section
from dashboard.shell.forms import banner, labelled, text_field
from dashboard.shell.layout import page

S: Any = BuilderState  # class attributes are Vars at render time
IS_NEW = S.editing_id == ""


def _text_area(label: str, control_id: str, value: Any, error: Any, *, rows: str, hint: str = "") -> rx.Component:
    control = rx.text_area(
        id=control_id, name=control_id, default_value=value, rows=rows, width="100%", resize="vertical"
    )
    return labelled(label, control, control_id, error=error, hint=hint)


def _connection_field() -> rx.Component:
    select = rx.select.root(
        rx.select.trigger(id="connection", placeholder="Choose a connection", width="100%"),
        rx.select.content(
            rx.foreach(S.connections, lambda c: rx.select.item(c.name + " · " + c.provider_label, value=c.id))
        ),
        value=S.connection_id,
        on_change=S.set_connection,
        disabled=S.connections.length() == 0,
    )
    return rx.vstack(
        labelled("Connection", select, "connection", error=S.connection_id_error),
        rx.cond(
            S.connections.length() == 0,
            rx.text("No connections yet — ", rx.link("add one", href="/connections"), " to pick a model.", size="1"),
            rx.fragment(),
        ),
        spacing="1",
        width="100%",
    )


def _model_option(conn: Any) -> rx.Component:  # a Var of ConnectionOption
    return rx.cond(conn.id == S.connection_id, rx.foreach(conn.models, lambda m: rx.el.option(value=m)), rx.fragment())


def _model_field() -> rx.Component:
    model_input = rx.input(
        id="model",
        name="model",
        key=S.model_rev,
        default_value=S.model,
        placeholder="e.g. gpt-4o-mini",
        max_length=200,
        auto_complete="off",
        width="100%",
        custom_attrs={"list": "model-options"},
        on_blur=S.model_typed,
    )
    chips = rx.cond(
        S.reported_models.length() > 0,
        rx.hstack(
            rx.text("This connection reports:", size="1", color="var(--gray-11)"),
            rx.foreach(
                S.model_chips,  # the name is the model; context and prices are shown, not announced twice
                lambda c: rx.button(
                    c.model,
                    rx.text.span(c.short, color="var(--gray-10)", aria_hidden="true"),
                    type="button",
                    size="1",
                    variant="soft",
                    title=c.short,
                    on_click=S.pick_model(c.model),
                ),
            ),
            spacing="1",
            wrap="wrap",
            align="center",
        ),
        rx.text("This connection reports no models: type the model name.", size="1", color="var(--gray-10)"),
    )
    return rx.vstack(
        labelled("Model", model_input, "model", error=S.model_error),
        rx.el.datalist(rx.foreach(S.connections, _model_option), id="model-options"),
        chips,
        rx.cond(S.model_info != "", rx.text(S.model_info, size="1", color="var(--gray-11)"), rx.fragment()),
        spacing="1",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            banner(S.form_error),
            banner(S.message, kind="success"),
            rx.hstack(
                rx.box(
                    text_field("Avatar", "avatar", default_value=S.avatar, max_length=16, error=S.avatar_error),
                    width="96px",
                    min_width="96px",
                ),
                text_field("Name", "name", default_value=S.name, max_length=80, error=S.name_error),
                spacing="3",
                width="100%",
                align="start",
            ),
            text_field(
                "Description",
                "description",
                default_value=S.description,
                max_length=500,
                error=S.description_error,
                placeholder="What does this agent help with?",
            ),
            rx.hstack(_connection_field(), _model_field(), spacing="4", width="100%", align="start"),
            fallback_field(),
            _text_area(
                "Instructions",
                "instructions",
                S.instructions,
                S.instructions_error,
                rows="8",
                hint="The system prompt: role, tone, rules and output format.",
            ),
            rx.hstack(
                text_field(
                    "Temperature",
                    "temperature",
                    type="number",
                    step="0.1",
                    min="0",
                    max="2",
                    default_value=S.temperature,
                    error=S.temperature_error,
                    hint="0 = focused, 2 = creative.",
                ),
                text_field(
                    "Max output tokens",
                    "max_tokens",
                    type="number",
                    step="1",
                    min="1",
                    max="32768",
                    default_value=S.max_tokens,
                    error=S.max_tokens_error,
                    hint="1 – 32768.",
                ),
                spacing="4",
                width="100%",
                align="start",
            ),
            _text_area(
                "Conversation starters",
                "starters",
                S.starters,
                S.starters_error,
                rows="4",
                hint="One per line, up to 6. Shown as suggestions in the chat.",
            ),
            rx.cond(
                IS_NEW,
                rx.fragment(),
                text_field("Version note (optional)", "note", max_length=200, placeholder="What changed?"),
            ),
            rx.hstack(
                rx.button("Save", type="submit", size="3", loading=S.saving),
                rx.cond(
                    IS_NEW,
                    rx.text("Saving creates version 1.", size="2", color="var(--gray-11)"),
                    link_button(
                        "Open chat", "/chat?agent=" + S.editing_id, icon="message_square", variant="outline", size="3"
                    ),
                ),
                spacing="3",
                align="center",
            ),
            spacing="4",
            width="100%",
        ),
        key=S.form_rev,
        on_submit=S.save,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def _version_row(row: Any) -> rx.Component:  # a Var of VersionRow
    return rx.el.li(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    rx.text("v" + row.version.to_string(), weight="bold", size="3"),
                    rx.cond(row.is_current, rx.badge("current", color_scheme="green", size="1"), rx.fragment()),
                    spacing="2",
                    align="center",
                ),
                rx.text(row.created_at, size="1", color="var(--gray-11)"),
                rx.text(row.note, size="1", color="var(--gray-11)"),
                spacing="0",
                min_width="0",
            ),
            rx.spacer(),
            rx.cond(
                row.is_current,
                rx.fragment(),
                rx.button(
                    "Restore v" + row.version.to_string(),
                    size="1",
                    variant="soft",
                    aria_label="Restore version " + row.version.to_string(),
                    on_click=S.restore(row.version),
                ),
            ),
            width="100%",
            align="center",
        ),
        style={"listStyle": "none", "padding": "8px 0", "borderBottom": "1px solid var(--gray-4)"},
    )


def _history() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Version history", size="4", as_="h2"),
            rx.cond(
                S.versions.length() > 0,
                rx.el.ul(rx.foreach(S.versions, _version_row), style={"padding": "0", "margin": "0", "width": "100%"}),
                rx.text(
                    "Every save makes a new version (v1, v2, …). They appear here.", size="2", color="var(--gray-11)"
                ),
            ),
            spacing="2",
            width="100%",
        ),
        width="300px",
        min_width="260px",
        max_height="calc(100vh - 120px)",
        overflow_y="auto",
        position="sticky",
        top="24px",
    )


def _heading() -> rx.Component:
    return rx.hstack(
        rx.cond(IS_NEW, rx.fragment(), avatar(S.saved_avatar, size="32px")),
        rx.heading(rx.cond(IS_NEW, "New agent", S.saved_name), size="5", as_="h2"),
        rx.cond(IS_NEW, rx.fragment(), rx.badge("v" + S.current_version.to_string(), variant="outline")),
        spacing="2",
        align="center",
    )


_SECTIONS = (
    ("Knowledge", "agent-knowledge-heading"),
    ("Memory", "agent-memory-heading"),
    ("Limits & budgets", "agent-limits-heading"),
    ("Tools", "agent-tools-heading"),
    ("Audit log", "agent-audit-heading"),
)


def _section_links() -> rx.Component:
    """Jump links to the cards below the long form (they are otherwise a scroll away)."""
    links = [rx.link(label, href="#" + target, size="2") for label, target in _SECTIONS]
    return rx.el.nav(
        rx.hstack(rx.text("Jump to:", size="2", color="var(--gray-11)"), *links, spacing="3", wrap="wrap"),
        aria_label="Agent sections",
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


def agent_edit_page() -> rx.Component:
    """The builder form (name, avatar, model, instructions, settings, starters) and version history."""
    body = rx.cond(
        S.not_found,
        _not_found(),
        rx.cond(
            S.loaded,
            rx.hstack(
                rx.vstack(
                    _heading(),
                    rx.cond(IS_NEW, rx.fragment(), _section_links()),
                    _form(),
                    rx.cond(IS_NEW, rx.fragment(), knowledge_panel(S.editing_id)),
                    rx.cond(IS_NEW, rx.fragment(), memory_section(S.editing_id)),
                    rx.cond(IS_NEW, rx.fragment(), limits_section(S.editing_id)),
                    rx.cond(IS_NEW, rx.fragment(), tools_section(S.editing_id)),
                    rx.cond(IS_NEW, rx.fragment(), audit_section()),
                    spacing="3",
                    flex="1",
                    min_width="0",
                ),
                rx.cond(IS_NEW, rx.fragment(), _history()),
                spacing="5",
                width="100%",
                align="start",
            ),
            rx.hstack(rx.spinner(), rx.text("Loading…", size="2"), spacing="2"),
        ),
    )
    return page(
        "Agent builder",
        body,
        actions=link_button("Back to agents", "/agents", icon="arrow_left", variant="ghost"),
    )
