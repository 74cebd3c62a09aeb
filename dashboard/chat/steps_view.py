"""How tool-call steps look in the chat: a collapsible row per call (title, status, summary,
duration; arguments and result preview inside), indented for delegated calls, with Approve / Deny
on calls that wait for the user."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.chat.state import ChatState
from dashboard.chat.steps import AWAITING, StepsState

MUTED = "var(--gray-11)"
ST: Any = StepsState


def _status(status: Any) -> rx.Component:
    label = rx.match(
        status,
        ("running", "running"),
        ("ok", "done"),
        (AWAITING, "needs approval"),
        ("approved", "approved"),
        ("rejected", "denied by you"),
        status,
    )
    color = rx.match(
        status,
        ("ok", "green"),
        ("approved", "green"),
        ("running", "blue"),
        (AWAITING, "amber"),
        ("timeout", "amber"),
        "red",
    )
    return rx.badge(label, color_scheme=color, size="1", variant="soft")


def _pre(label: str, text: Any) -> rx.Component:
    return rx.cond(
        text != "",
        rx.vstack(
            rx.text(label, size="1", weight="medium", color=MUTED),
            rx.el.pre(
                text,
                style={
                    "whiteSpace": "pre-wrap",
                    "wordBreak": "break-word",
                    "fontSize": "12px",
                    "margin": "0",
                    "padding": "6px 8px",
                    "background": "var(--gray-3)",
                    "borderRadius": "4px",
                    "maxHeight": "220px",
                    "overflowY": "auto",
                    "width": "100%",
                },
            ),
            spacing="1",
            width="100%",
        ),
        rx.fragment(),
    )


def _approval(step: Any) -> rx.Component:
    return rx.cond(
        (step.status == AWAITING) & (step.run_id != ""),
        rx.cond(
            step.decision == "",
            rx.hstack(
                rx.text("Run this?", size="1", color=MUTED),
                rx.button(
                    rx.icon("check", size=14),
                    "Approve",
                    size="1",
                    color_scheme="green",
                    aria_label="Approve " + step.title,
                    on_click=ST.decide(step.run_id, step.step_id, True),
                    disabled=ChatState.streaming,
                ),
                rx.button(
                    rx.icon("x", size=14),
                    "Deny",
                    size="1",
                    color_scheme="red",
                    variant="soft",
                    aria_label="Deny " + step.title,
                    on_click=ST.decide(step.run_id, step.step_id, False),
                    disabled=ChatState.streaming,
                ),
                spacing="2",
                align="center",
            ),
            rx.text(
                rx.cond(step.decision == "approve", "Approved", "Denied") + " — waiting for the other steps…",
                size="1",
                color=MUTED,
            ),
        ),
        rx.fragment(),
    )


def step_row(step: Any) -> rx.Component:
    """One step (a Var of ``StepItem``)."""
    summary = rx.el.summary(
        rx.hstack(
            rx.cond(
                step.status == "running",
                rx.spinner(size="1"),
                rx.icon("wrench", size=14, color=MUTED, aria_hidden="true", flex_shrink="0"),
            ),
            rx.text(step.title, size="1", weight="medium", white_space="nowrap", flex_shrink="0"),
            _status(step.status),
            rx.cond(step.duration != "", rx.text(step.duration, size="1", color=MUTED, flex_shrink="0"), rx.fragment()),
            rx.cond(
                step.summary != "",
                rx.text(
                    step.summary,
                    size="1",
                    color=MUTED,
                    title=step.summary,
                    style={"overflow": "hidden", "textOverflow": "ellipsis", "whiteSpace": "nowrap", "minWidth": "0"},
                ),
                rx.fragment(),
            ),
            spacing="2",
            align="center",
            display="inline-flex",
            max_width="calc(100% - 20px)",
            vertical_align="middle",
        ),
        style={"cursor": "pointer"},
    )
    return rx.box(
        rx.el.details(
            summary,
            rx.vstack(
                _pre("Arguments", step.arguments),
                _pre("Result", step.output_preview),
                spacing="2",
                padding="6px 0 0 20px",
                width="100%",
            ),
            open=step.status == AWAITING,
        ),
        _approval(step),
        class_name="chat-step",
        data_status=step.status,
        margin_left=step.indent,
        padding="4px 8px",
        border_left="2px solid var(--gray-5)",
        width="100%",
    )


def message_steps(message_id: Any) -> rx.Component:
    """The stored steps of one assistant message, in order."""
    return rx.foreach(ST.steps, lambda s: rx.cond(s.message_id == message_id, step_row(s), rx.fragment()))


def live_steps() -> rx.Component:
    """The steps of the streaming run, plus the loader that re-reads stored steps whenever the
    shown conversation or its messages change."""
    loader = rx.box(  # the key re-mounts the inner box, whose on_mount then loads again
        rx.box(on_mount=ST.load(ChatState.conversation_id)),
        key=ChatState.conversation_id + "-" + ChatState.messages.length().to_string(),  # type: ignore[attr-defined]
        display="none",
    )
    return rx.fragment(
        loader,
        rx.cond(
            ChatState.streaming & (ST.live.length() > 0),
            rx.vstack(
                rx.foreach(ST.live, step_row),
                spacing="1",
                width="100%",
                padding_left="44px",
                aria_label="Tool steps",
            ),
            rx.fragment(),
        ),
        rx.cond(ST.error != "", rx.text(ST.error, color="var(--red-11)", size="2", role="alert"), rx.fragment()),
    )
