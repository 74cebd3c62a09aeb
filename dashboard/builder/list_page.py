"""``/agents``: the workspace's agents and the template gallery."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.components import avatar, link_button
from dashboard.builder.list_state import AgentsState
from dashboard.shell.auth import allowed
from dashboard.shell.forms import banner, confirm_delete
from dashboard.shell.layout import page
from dashboard.shell.markdown import safe_markdown

CAN_EDIT = allowed("agents.edit")
GRID = {"display": "grid", "gridTemplateColumns": "repeat(auto-fill, minmax(300px, 1fr))", "gap": "16px"}


def _delete_dialog(agent: Any) -> rx.Component:
    return confirm_delete(
        rx.button("Delete", variant="ghost", color_scheme="red", size="2", aria_label="Delete " + agent.name),
        "Delete " + agent.name + "?",
        "The agent disappears from your workspace and can no longer be chatted with; "
        "its marketplace listing, if it has one, is unlisted (subscribers keep their history).",
        AgentsState.delete(agent.id, agent.name),  # type: ignore[operator]
    )


def _agent_card(agent: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                avatar(agent.avatar),
                rx.vstack(
                    rx.heading(agent.name, size="4", as_="h3", trim="both"),
                    rx.hstack(
                        rx.badge(agent.model, variant="soft", color_scheme="gray"),
                        rx.badge("v" + agent.version.to_string(), variant="outline"),
                        spacing="2",
                        wrap="wrap",
                    ),
                    spacing="2",
                    min_width="0",
                ),
                spacing="3",
                align="center",
            ),
            rx.text(
                rx.cond(agent.description != "", agent.description, "No description."),
                size="2",
                color="var(--gray-11)",
                style={
                    "display": "-webkit-box",
                    "WebkitLineClamp": "2",
                    "WebkitBoxOrient": "vertical",
                    "overflow": "hidden",
                },
            ),
            rx.spacer(),
            rx.hstack(
                rx.cond(
                    CAN_EDIT,
                    link_button("Open in builder", "/agents/" + agent.id, aria_label="Open in builder: " + agent.name),
                    rx.fragment(),
                ),
                link_button(
                    "Chat",
                    "/chat?agent=" + agent.id,
                    icon="message_square",
                    variant="outline",
                    aria_label="Chat with " + agent.name,
                ),
                rx.spacer(),
                rx.cond(CAN_EDIT, _delete_dialog(agent), rx.fragment()),
                width="100%",
                align="center",
                spacing="2",
            ),
            spacing="3",
            height="100%",
        ),
        role="article",
        aria_label=agent.name,
    )


def _template_card(tpl: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                avatar(tpl.avatar, size="36px"),
                rx.vstack(
                    rx.heading(tpl.name, size="3", as_="h3"),
                    rx.badge(tpl.category, variant="soft", size="1"),
                    spacing="1",
                ),
                spacing="3",
                align="center",
            ),
            rx.text(tpl.description, size="2", color="var(--gray-11)"),
            rx.cond(
                tpl.sample_answer != "",
                rx.el.details(
                    rx.el.summary("Sample answer", style={"cursor": "pointer", "fontSize": "13px"}),
                    rx.box(
                        safe_markdown(tpl.sample_answer),
                        font_size="13px",
                        padding="6px 10px",
                        background="var(--gray-2)",
                        border_radius="8px",
                        margin_top="4px",
                    ),
                    class_name="template-sample",
                ),
                rx.fragment(),
            ),
            rx.spacer(),
            link_button(
                "Use template", "/agents/new?template=" + tpl.slug, size="1", aria_label="Use template: " + tpl.name
            ),
            spacing="3",
            height="100%",
        ),
        role="article",
        aria_label=tpl.name + " template",
    )


def _no_connection_callout() -> rx.Component:
    return rx.cond(
        AgentsState.loaded & ~AgentsState.has_connections,
        rx.callout(
            rx.hstack(
                rx.text("Add a connection first so your agent has a model."),
                rx.link("Add a connection", href="/connections"),
                spacing="2",
                wrap="wrap",
            ),
            icon="plug",
            color_scheme="amber",
            width="100%",
        ),
        rx.fragment(),
    )


def _agents_section() -> rx.Component:
    empty = rx.card(
        rx.vstack(
            rx.text("🤖", size="7", aria_hidden="true"),
            rx.heading("No agents yet", size="4", as_="h3"),
            rx.text(
                "Create one from scratch with New agent, or start from a template below.",
                size="2",
                color="var(--gray-11)",
            ),
            align="center",
            spacing="2",
            padding="16px",
        ),
        width="100%",
    )
    return rx.vstack(
        rx.heading("Your agents", size="5", as_="h2"),
        rx.cond(
            ~AgentsState.loaded,
            rx.hstack(rx.spinner(), rx.text("Loading agents…", size="2"), spacing="2"),
            rx.cond(
                AgentsState.agents.length() > 0,  # type: ignore[attr-defined]
                rx.box(rx.foreach(AgentsState.agents, _agent_card), style=GRID, width="100%"),
                empty,
            ),
        ),
        spacing="3",
        width="100%",
    )


def _templates_section() -> rx.Component:
    return rx.vstack(
        rx.heading("Start from a template", size="5", as_="h2"),
        rx.text(
            "Prefilled instructions, settings and starters — open “Sample answer” to see how each one "
            "replies, then pick a model and save.",
            size="2",
            color="var(--gray-11)",
        ),
        rx.box(rx.foreach(AgentsState.templates, _template_card), style=GRID, width="100%"),
        spacing="3",
        width="100%",
        padding_top="8px",
    )


def agents_page() -> rx.Component:
    """``/agents``: agent cards (chat; open and delete for builders), a New agent button and the
    template gallery (hidden from viewers, who only chat)."""
    return page(
        "Agents",
        banner(AgentsState.error),
        banner(AgentsState.notice, kind="success"),
        _no_connection_callout(),
        _agents_section(),
        rx.cond(CAN_EDIT, _templates_section(), rx.fragment()),
        actions=rx.cond(CAN_EDIT, link_button("New agent", "/agents/new", icon="plus", variant="solid"), rx.fragment()),
    )
