"""The three-step guide shown while an agent has no model or no instructions yet."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.state import BuilderState

S: Any = BuilderState


def _step(number: str, title: str, hint: str, done: Any) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.cond(
                done,
                rx.icon("circle_check", size=18, color="var(--green-10)", aria_label="done"),
                rx.badge(number, variant="solid", radius="full"),
            ),
            rx.vstack(
                rx.text(title, weight="medium", size="2"),
                rx.text(hint, size="1", color="var(--gray-11)"),
                spacing="0",
            ),
            spacing="2",
            align="start",
        ),
        style={"listStyle": "none"},
    )


def guide() -> rx.Component:
    """Choose a model, write instructions, try it in the preview; each step says what to do."""
    return rx.card(
        rx.vstack(
            rx.heading("Build your agent in three steps", size="3", as_="h2"),
            rx.el.ol(
                _step(
                    "1",
                    "Choose a model",
                    "Pick a connection and one of its models (Model tab). No connection yet? Add one on Connections.",
                    S.model.strip() != "",
                ),
                _step(
                    "2",
                    "Write instructions",
                    "Say in plain words what the agent is for and how it should answer (Instructions tab).",
                    S.instructions.strip() != "",
                ),
                _step(
                    "3",
                    "Try it in the preview",
                    "Ask it something in the preview beside the settings; save a version when you like the answers.",
                    False,
                ),
                style={"display": "flex", "flexDirection": "column", "gap": "8px", "padding": "0", "margin": "0"},
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        variant="surface",
    )
