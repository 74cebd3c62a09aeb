"""The "Fallback models" part of the blueprint form: an ordered list with add, remove, up, down.

The list lives in :class:`BuilderState` and is saved with the blueprint (``fallbacks``). Labels
avoid the words of the form's other fields ("Model", "Connection", "Name") so each label stays
unique on the page.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.agents.service import MAX_FALLBACKS
from dashboard.builder.state import BuilderState
from dashboard.shell.forms import field_error, labelled

S: Any = BuilderState
MUTED = "var(--gray-11)"


def _row(row: Any, index: Any) -> rx.Component:  # Vars of FallbackRow and int
    number = (index + 1).to_string()
    return rx.hstack(
        rx.badge(number, variant="outline", aria_hidden="true"),
        rx.vstack(
            rx.text(row.label, size="2", weight="medium"),
            rx.text(row.short, size="1", color=MUTED),
            spacing="0",
            min_width="0",
        ),
        rx.spacer(),
        rx.icon_button(
            rx.icon("arrow_up", size=14),
            type="button",
            size="1",
            variant="soft",
            aria_label="Move fallback " + number + " up",
            disabled=index == 0,
            on_click=S.move_fallback(index, -1),
        ),
        rx.icon_button(
            rx.icon("arrow_down", size=14),
            type="button",
            size="1",
            variant="soft",
            aria_label="Move fallback " + number + " down",
            disabled=index == S.fallbacks.length() - 1,
            on_click=S.move_fallback(index, 1),
        ),
        rx.icon_button(
            rx.icon("x", size=14),
            type="button",
            size="1",
            variant="soft",
            color_scheme="red",
            aria_label="Remove fallback " + number,
            on_click=S.remove_fallback(index),
        ),
        width="100%",
        align="center",
        spacing="2",
        padding="6px 8px",
        border="1px solid var(--gray-5)",
        border_radius="8px",
        role="group",
        aria_label="Fallback " + number,
    )


def fallback_field() -> rx.Component:
    """Ordered fallbacks, tried when the main model errors, times out or is rate limited."""
    picker = rx.select.root(
        rx.select.trigger(id="fallback-choice", placeholder="Pick from the catalog", width="100%"),
        rx.select.content(rx.foreach(S.fallback_choices, lambda c: rx.select.item(c.label, value=c.key))),
        value=S.fallback_choice,
        on_change=S.set_fallback_choice,
    )
    full = S.fallbacks.length() >= MAX_FALLBACKS
    adder = rx.hstack(
        rx.box(labelled("Add a fallback", picker, "fallback-choice"), flex="1", min_width="0"),
        rx.button(
            rx.icon("plus", size=14),
            "Add fallback",
            type="button",
            variant="soft",
            on_click=S.add_fallback,
            disabled=full | (S.fallback_choices.length() == 0),
        ),
        align="end",
        spacing="2",
        width="100%",
    )
    return rx.el.fieldset(
        rx.el.legend("Fallback models", style={"fontWeight": "500", "fontSize": "14px", "padding": "0 4px"}),
        rx.vstack(
            rx.text(
                "Tried in order when the main model fails, times out or is rate limited. A fallback whose "
                "context window is too small for the conversation is skipped. The chat shows which one answered. "
                "Changes go into the draft.",
                size="1",
                color=MUTED,
            ),
            rx.cond(
                S.fallbacks.length() > 0,
                rx.vstack(rx.foreach(S.fallbacks, _row), spacing="2", width="100%"),
                rx.text("No fallbacks: a failing model fails the reply.", size="2", color=MUTED),
            ),
            rx.cond(
                full,
                rx.text(f"Up to {MAX_FALLBACKS} fallbacks.", size="1", color=MUTED),
                rx.cond(
                    S.catalog.length() > 0,
                    adder,
                    rx.text("Test a connection so its models can be picked here.", size="1", color=MUTED),
                ),
            ),
            field_error(S.fallbacks_error),
            spacing="2",
            width="100%",
        ),
        style={"border": "1px solid var(--gray-5)", "borderRadius": "8px", "padding": "8px 12px 12px", "margin": "0"},
    )
