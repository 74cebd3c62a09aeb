"""How a plan looks in the chat: a checklist ("Plan") above the answer, one line per step with its
status (pending, running, done, failed), the agent that runs it and, inside, its result."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.chat.plan import PlanState
from dashboard.chat.state import ChatState

MUTED = "var(--gray-11)"
PS: Any = PlanState


def _mark(status: Any) -> rx.Component:
    return rx.match(
        status,
        ("running", rx.spinner(size="1")),
        ("done", rx.icon("circle_check", size=16, color="var(--green-11)", aria_hidden="true")),
        ("failed", rx.icon("circle_x", size=16, color="var(--red-11)", aria_hidden="true")),
        rx.icon("circle", size=16, color=MUTED, aria_hidden="true"),
    )


def _badge(status: Any) -> rx.Component:
    color = rx.match(status, ("done", "green"), ("failed", "red"), ("running", "blue"), "gray")
    return rx.badge(status, color_scheme=color, size="1", variant="soft")


def _step(step: Any) -> rx.Component:  # a Var of PlanStepItem
    line = rx.hstack(
        _mark(step.status),
        rx.text(step.position.to_string() + ". " + step.goal, size="2", weight="medium"),  # type: ignore[attr-defined]
        _badge(step.status),
        rx.text(step.agent, size="1", color=MUTED, white_space="nowrap"),
        rx.cond(step.duration != "", rx.text(step.duration, size="1", color=MUTED), rx.fragment()),
        spacing="2",
        align="center",
        display="inline-flex",
        wrap="wrap",
        max_width="calc(100% - 20px)",
        vertical_align="middle",
    )
    detail = rx.vstack(
        rx.cond(step.tools != "", rx.text("Tools: " + step.tools, size="1", color=MUTED), rx.fragment()),
        rx.text(step.summary, size="1", white_space="pre-wrap", style={"wordBreak": "break-word"}),
        spacing="1",
        padding="4px 0 0 24px",
        width="100%",
    )
    return rx.el.li(
        rx.cond(
            step.summary != "",
            rx.el.details(rx.el.summary(line, style={"cursor": "pointer"}), detail),
            rx.box(line, padding_left="16px"),
        ),
        class_name="plan-step",
        data_status=step.status,
        style={"listStyle": "none", "padding": "2px 0"},
    )


def _checklist(steps: rx.Component) -> rx.Component:
    return rx.box(
        rx.text("Plan", size="1", weight="bold", color=MUTED),
        rx.el.ol(steps, style={"padding": "0", "margin": "0"}, aria_label="Plan steps"),
        class_name="chat-plan",
        padding="6px 10px",
        border="1px solid var(--gray-5)",
        border_radius="8px",
        width="100%",
    )


def message_plan(message_id: Any) -> rx.Component:
    """The stored plan of one assistant message (nothing when it had none)."""
    return rx.cond(
        PS.messages_with_plans.contains(message_id),
        _checklist(rx.foreach(PS.steps, lambda s: rx.cond(s.message_id == message_id, _step(s), rx.fragment()))),
        rx.fragment(),
    )


def live_plan() -> rx.Component:
    """The checklist of the streaming run, plus the loader that re-reads stored plans whenever the
    shown conversation or its messages change."""
    loader = rx.box(  # the key re-mounts the inner box, whose on_mount then loads again
        rx.box(on_mount=PS.load(ChatState.conversation_id)),
        key=ChatState.conversation_id + "-plan-" + ChatState.messages.length().to_string(),  # type: ignore[attr-defined]
        display="none",
    )
    return rx.fragment(
        loader,
        rx.cond(
            ChatState.streaming & (PS.live.length() > 0),
            rx.box(_checklist(rx.foreach(PS.live, _step)), padding_left="44px", width="100%"),
            rx.fragment(),
        ),
    )
