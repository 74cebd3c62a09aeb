"""The "Limits & budgets" card: budgets and rate limits with their forms, for any :class:`LimitsMixin` state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from dashboard.limits.components import budget_form, budget_table, rate_form, rate_table, read_only_note
from dashboard.limits.price_prompt import price_prompt
from dashboard.shell.forms import banner

MUTED = "var(--gray-11)"


@dataclass(frozen=True)
class CardText:
    """The words that differ between pages.

    Attributes:
        prefix: Makes control ids unique on the page (``"settings"``, ``"agent"``).
        intro: One line under the card's heading.
        budgets_intro / rates_intro: One line under each section heading ("" for none).
        budgets_empty / rates_empty: What shows when there is nothing yet.
        rates_heading: "Rate limits" or "Rate limit".
    """

    prefix: str
    intro: str
    budgets_empty: str
    rates_empty: str
    budgets_intro: str = ""
    rates_intro: str = ""
    rates_heading: str = "Rate limits"


def _section(title: str, intro: str, *children: rx.Component) -> rx.Component:
    head = [rx.heading(title, size="3", as_="h3")]
    if intro:
        head.append(rx.text(intro, size="2", color=MUTED))
    return rx.vstack(*head, *children, spacing="2", width="100%")


def limits_card(
    state: Any,
    text: CardText,
    *,
    budget_scope: rx.Component | None = None,
    rate_scope: rx.Component | None = None,
    **card_props: Any,
) -> rx.Component:
    """Budgets (spend this period vs cap) and rate limits, with forms for owners and admins.

    Args:
        state: A state class inheriting :class:`dashboard.limits.state.LimitsMixin`.
        text: The page's wording.
        budget_scope / rate_scope: "Applies to" selects; None for a fixed scope (the tables then
            hide their "Applies to" column).
        card_props: Passed to ``rx.card`` (e.g. ``key`` and ``on_mount`` to load on mount).
    """
    S = state
    show_scope = budget_scope is not None
    budgets = _section(
        "Budgets",
        text.budgets_intro,
        budget_table(
            S.budgets,
            on_delete=S.delete_budget,
            can_manage=S.can_manage,
            show_scope=show_scope,
            empty=text.budgets_empty,
        ),
        rx.cond(
            S.can_manage,
            budget_form(
                prefix=text.prefix,
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
                scope_select=budget_scope,
            ),
        ),
        rx.cond(S.can_manage, price_prompt(S, text.prefix)),
    )
    rates = _section(
        text.rates_heading,
        text.rates_intro,
        rate_table(
            S.rate_limits,
            on_delete=S.delete_rate_limit,
            can_manage=S.can_manage,
            show_scope=show_scope,
            empty=text.rates_empty,
        ),
        rx.cond(
            S.can_manage,
            rate_form(
                prefix=text.prefix,
                on_submit=S.add_rate_limit,
                errors={
                    "requests_per_min": S.requests_per_min_error,
                    "tokens_per_min": S.tokens_per_min_error,
                    "form": S.rate_form_error,
                },
                form_key=S.rate_form_key,
                scope_select=rate_scope,
            ),
        ),
    )
    body = rx.cond(
        S.limits_loaded,
        rx.vstack(read_only_note(S.can_manage), budgets, rx.separator(size="4"), rates, spacing="4", width="100%"),
        rx.hstack(rx.spinner(), rx.text("Loading limits…", size="2"), spacing="2"),
    )
    heading_id = f"{text.prefix}-limits-heading"
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.heading("Limits & budgets", size="4", as_="h2", id=heading_id),
                rx.text(text.intro, size="2", color=MUTED),
                banner(S.limits_error),
                banner(S.limits_notice, kind="success"),
                body,
                spacing="3",
                width="100%",
            ),
            aria_labelledby=heading_id,
        ),
        width="100%",
        **card_props,
    )
