"""Panels of the settings page: "Limits & budgets" and "Usage"."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.settings.limits import (
    budget_form,
    budget_table,
    caption,
    choice_select,
    rate_form,
    rate_table,
    read_only_note,
)
from dashboard.settings.state import SettingsState
from dashboard.settings.usage_rows import GROUPS, RANGES, UsageRow
from dashboard.shell.forms import labelled

S: Any = SettingsState  # class attributes are Vars at render time
MUTED = "var(--gray-11)"


def _section_heading(title: str, text: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="3", as_="h3"),
        rx.text(text, size="2", color=MUTED),
        spacing="1",
        width="100%",
    )


def limits_panel() -> rx.Component:
    """Budgets (spend this period vs cap) and rate limits of the workspace, agents and end users."""
    budgets = rx.vstack(
        _section_heading(
            "Budgets",
            "Spend caps in USD per day or month, for the whole workspace, one agent or one end user.",
        ),
        budget_table(
            S.budgets,
            on_delete=S.delete_budget,
            can_manage=S.can_manage,
            empty="No budgets yet — replies are not capped by spend.",
        ),
        rx.cond(
            S.can_manage,
            budget_form(
                prefix="settings",
                on_submit=S.add_budget,
                period=S.budget_period,
                on_period=S.set_budget_period,
                errors={
                    "limit_usd": S.limit_usd_error,
                    "token_limit": S.token_limit_error,
                    "period": S.period_error,
                    "form": S.budget_form_error,
                },
                form_key=S.budget_form_key,
                scope_select=choice_select(
                    "Budget applies to", "settings-budget-scope", S.scopes, S.budget_scope, S.set_budget_scope
                ),
            ),
        ),
        spacing="3",
        width="100%",
    )
    rates = rx.vstack(
        _section_heading(
            "Rate limits",
            "Requests and tokens per minute. A reply over the limit fails at once with how long to wait.",
        ),
        rate_table(
            S.rate_limits,
            on_delete=S.delete_rate_limit,
            can_manage=S.can_manage,
            empty="No rate limits yet.",
        ),
        rx.cond(
            S.can_manage,
            rate_form(
                prefix="settings",
                on_submit=S.add_rate_limit,
                errors={
                    "requests_per_min": S.requests_error,
                    "tokens_per_min": S.tokens_error,
                    "form": S.rate_form_error,
                },
                form_key=S.rate_form_key,
                scope_select=choice_select(
                    "Rate limit applies to", "settings-rate-scope", S.scopes, S.rate_scope, S.set_rate_scope
                ),
            ),
        ),
        spacing="3",
        width="100%",
    )
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.heading("Limits & budgets", size="5", as_="h2", id="limits-heading"),
                read_only_note(S.can_manage),
                budgets,
                rx.separator(size="4"),
                rates,
                spacing="4",
                width="100%",
            ),
            aria_labelledby="limits-heading",
        ),
        width="100%",
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
