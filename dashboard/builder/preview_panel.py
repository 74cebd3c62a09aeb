"""The builder's right-hand pane: a live preview chat that runs the agent's draft."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.preview_state import PreviewState
from dashboard.shell.forms import banner
from dashboard.shell.markdown import safe_markdown

P: Any = PreviewState
MUTED = "var(--gray-11)"


def _bubble(msg: Any) -> rx.Component:  # a Var of PreviewMessage
    return rx.cond(
        msg.role == "user",
        rx.box(
            rx.text(msg.content, size="2", white_space="pre-wrap"),
            class_name="preview-user",
            background="var(--accent-3)",
            padding="6px 10px",
            border_radius="10px",
            align_self="end",
            max_width="90%",
        ),
        rx.box(
            safe_markdown(msg.content),
            class_name="preview-reply",
            background="var(--gray-2)",
            padding="6px 10px",
            border_radius="10px",
            max_width="100%",
        ),
    )


def _composer() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label("Message to the preview", html_for="preview_message", style={"fontSize": "13px"}),
            rx.text_area(id="preview_message", name="preview_message", rows="2", width="100%"),
            rx.hstack(
                rx.button("Send to preview", type="submit", size="2", loading=P.streaming),
                rx.button("New preview", type="button", variant="soft", size="2", on_click=P.restart),
                spacing="2",
            ),
            spacing="1",
            width="100%",
        ),
        on_submit=P.send,
        reset_on_submit=False,
        width="100%",
    )


def _pane(agent_id: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Preview", size="4", as_="h2"),
                rx.badge("runs the draft", color_scheme="amber", variant="soft"),
                spacing="2",
                align="center",
            ),
            rx.text(
                "Try your changes before saving a version. Preview replies use your own connection and budgets "
                "and show as “draft” in the run history; existing conversations keep their version.",
                size="1",
                color=MUTED,
            ),
            rx.vstack(
                rx.foreach(P.messages, _bubble),
                rx.cond(
                    P.stream_text != "",
                    rx.box(safe_markdown(P.stream_text), id="preview-stream", padding="6px 10px"),
                    rx.fragment(),
                ),
                rx.cond(
                    (P.messages.length() == 0) & ~P.streaming,
                    rx.text("Ask something to see how the agent answers now.", size="2", color=MUTED),
                    rx.fragment(),
                ),
                role="log",
                aria_live="polite",
                aria_label="Preview conversation",
                spacing="2",
                width="100%",
                max_height="50vh",
                overflow_y="auto",
            ),
            banner(P.error),
            _composer(),
            spacing="3",
            width="100%",
        ),
        width="100%",
        on_mount=P.reset_for(agent_id),
    )


def preview_pane(agent_id: Any) -> rx.Component:
    """The preview beside the configuration (wide screens) or folded under a "Preview" button."""
    toggle = rx.button(
        rx.icon("message_square", size=16),
        rx.cond(P.open_narrow, "Hide preview", "Preview"),
        variant="outline",
        on_click=P.toggle_narrow,
        aria_expanded=rx.cond(P.open_narrow, "true", "false"),
        display=["flex", "flex", "flex", "none"],
    )
    return rx.box(
        toggle,
        rx.cond(  # one pane at a time; the state keeps the conversation across the switch
            P.open_narrow,
            rx.box(_pane(agent_id), display="block", margin_top="8px"),
            rx.box(_pane(agent_id), display=["none", "none", "none", "block"]),
        ),
        width=["100%", "100%", "100%", "360px"],
        min_width=["0", "0", "0", "320px"],
        position=["static", "static", "static", "sticky"],
        top="24px",
    )
