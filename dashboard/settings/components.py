"""Panels of the settings page: "Limits & budgets" and "Usage"."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.limits.card import CardText, limits_card
from dashboard.limits.components import caption, choice_select
from dashboard.settings.state import SettingsState
from dashboard.settings.usage_rows import GROUPS, RANGES, UsageRow
from dashboard.shell.forms import labelled

S: Any = SettingsState  # class attributes are Vars at render time
MUTED = "var(--gray-11)"


_TEXT = CardText(
    prefix="settings",
    intro="For the whole workspace, one agent or one end user. They apply to the next reply.",
    budgets_intro="Spend caps in USD per day or month, for the whole workspace, one agent or one end user.",
    rates_intro="Requests and tokens per minute. A reply over the limit fails at once with how long to wait.",
    budgets_empty="No budgets yet — replies are not capped by spend.",
    rates_empty="No rate limits yet.",
)


def limits_panel() -> rx.Component:
    """Budgets (spend this period vs cap) and rate limits of the workspace, agents and end users."""
    return limits_card(
        S,
        _TEXT,
        budget_scope=choice_select(
            "Budget applies to", "settings-budget-scope", S.scopes, S.budget_scope, S.set_budget_scope
        ),
        rate_scope=choice_select(
            "Rate limit applies to", "settings-rate-scope", S.scopes, S.rate_scope, S.set_rate_scope
        ),
    )


def _select(label: str, control_id: str, choices: dict[str, str], value: Any, on_change: Any) -> rx.Component:
    control = rx.select.root(
        rx.select.trigger(id=control_id, width="160px"),
        rx.select.content(*[rx.select.item(text, value=key) for key, text in choices.items()]),
        value=value,
        on_change=on_change,
    )
    return rx.box(labelled(label, control, control_id), width="180px")


def _usage_row(row: UsageRow, *, header: bool = False) -> rx.Component:
    first = rx.table.row_header_cell(row.label) if not header else rx.table.row_header_cell(rx.text.strong(row.label))
    numbers = [row.calls, row.errors, row.prompt_tokens, row.completion_tokens, row.cost]
    return rx.table.row(first, *[rx.table.cell(n, text_align="right") for n in numbers])


def usage_panel() -> rx.Component:
    """Totals of the gateway's usage records by agent, model, day or end user, 7 or 30 days."""
    heads = ["Calls", "Failed", "Prompt tokens", "Completion tokens", "Cost"]
    table = rx.table.root(
        caption("Usage totals"),
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(S.usage_key_header),
                *[rx.table.column_header_cell(h, text_align="right") for h in heads],
            )
        ),
        rx.table.body(rx.foreach(S.usage_rows, _usage_row), _usage_row(S.usage_total, header=True)),
        variant="surface",
        size="1",
        width="100%",
    )
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.heading("Usage", size="5", as_="h2", id="usage-heading"),
                rx.text(
                    "Every model call made through Agent Hub, with its tokens and cost, as the gateway recorded it.",
                    size="2",
                    color=MUTED,
                ),
                rx.hstack(
                    _select("Time range", "usage-range", RANGES, S.usage_days, S.set_usage_days),
                    _select("Group by", "usage-group", GROUPS, S.usage_group, S.set_usage_group),
                    spacing="4",
                    align="end",
                ),
                rx.cond(
                    S.usage_rows.length() > 0,
                    table,
                    rx.text(
                        "No model calls in this period yet — chat with an agent and they show up here.",
                        size="2",
                        color=MUTED,
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            aria_labelledby="usage-heading",
        ),
        width="100%",
    )
