"""The agent's "Limits & budgets" card on ``/agents/<id>`` (components shared with the settings page)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.limits_state import AgentLimitsState
from dashboard.settings.limits import budget_form, budget_table, rate_form, rate_table, read_only_note
from dashboard.shell.forms import banner

L: Any = AgentLimitsState
MUTED = "var(--gray-11)"


def limits_section(agent_id: Any) -> rx.Component:
    """Budgets (spend this period vs cap) and the rate limit of this agent, with forms to set them.

    Args:
        agent_id: Var of the agent's id; the card re-mounts (and reloads) when it changes.
    """
    budgets = rx.vstack(
        rx.heading("Budgets", size="3", as_="h3"),
        budget_table(
            L.budgets,
            on_delete=L.delete_budget,
            can_manage=L.can_manage,
            show_scope=False,
            empty="No budget on this agent. Workspace budgets still apply (Settings).",
        ),
        rx.cond(
            L.can_manage,
            budget_form(
                prefix="agent",
                on_submit=L.add_budget,
                period=L.period,
                on_period=L.set_period,
                errors={
                    "limit_usd": L.limit_usd_error,
                    "token_limit": L.token_limit_error,
                    "period": L.period_error,
                    "form": L.budget_form_error,
                },
                form_key=L.budget_form_key,
            ),
        ),
        spacing="2",
        width="100%",
    )
    rates = rx.vstack(
        rx.heading("Rate limit", size="3", as_="h3"),
        rate_table(
            L.rate_limits,
            on_delete=L.delete_rate_limit,
            can_manage=L.can_manage,
            show_scope=False,
            empty="No rate limit on this agent.",
        ),
        rx.cond(
            L.can_manage,
            rate_form(
                prefix="agent",
                on_submit=L.add_rate_limit,
                errors={
                    "requests_per_min": L.requests_error,
                    "tokens_per_min": L.tokens_error,
                    "form": L.rate_form_error,
                },
                form_key=L.rate_form_key,
            ),
        ),
        spacing="2",
        width="100%",
    )
    body = rx.cond(
        L.loaded,
        rx.vstack(read_only_note(L.can_manage), budgets, rx.separator(size="4"), rates, spacing="4", width="100%"),
        rx.hstack(rx.spinner(), rx.text("Loading limits…", size="2"), spacing="2"),
    )
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.heading("Limits & budgets", size="4", as_="h2", id="agent-limits-heading"),
                rx.text(
                    "Apply to every conversation with this agent, right away (they are not part of its versions).",
                    size="2",
                    color=MUTED,
                ),
                banner(L.error),
                banner(L.notice, kind="success"),
                body,
                spacing="3",
                width="100%",
            ),
            aria_labelledby="agent-limits-heading",
        ),
        key=agent_id,
        on_mount=L.load(agent_id),
        width="100%",
    )
