"""Budget and rate-limit components shared by the settings page and the agent builder.

Stateless: every component takes the vars and events of the page's own state as arguments
(rows of :class:`~dashboard.limits.rows.BudgetRow` / ``RateLimitRow``, error
messages, the delete and submit events), so no page imports another page's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from dashboard.shell.forms import banner, confirm_delete, labelled

MUTED = "var(--gray-11)"
SR_ONLY = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "overflow": "hidden",
    "clip": "rect(0 0 0 0)",
    "whiteSpace": "nowrap",
}
PERIODS = (("day", "Per day (UTC)"), ("month", "Per month (UTC)"))


def caption(text: Any) -> rx.Component:
    """A visually hidden ``<caption>``: the accessible name of a table."""
    return rx.el.caption(text, style=SR_ONLY)


def _cell_head(text: str) -> rx.Component:
    return rx.table.column_header_cell(text, style={"whiteSpace": "nowrap"})


def _delete(row: Any, kind: str, on_delete: Callable[[Any], Any], can_manage: Any) -> rx.Component:
    button = rx.button(
        rx.icon("trash_2", size=14),
        "Delete",
        aria_label="Delete " + row.title,
        variant="soft",
        color_scheme="red",
        size="1",
    )
    dialog = confirm_delete(
        button,
        "Delete this " + kind + "?",
        rx.text("The " + row.title + " stops applying right away.", size="2"),
        on_delete(row.id),
    )
    return rx.cond(can_manage, dialog, rx.fragment())


def _budget_row(row: Any, on_delete: Callable[[Any], Any], can_manage: Any, show_scope: bool) -> rx.Component:
    usage = rx.vstack(
        rx.progress(
            value=row.percent,
            max=100,
            color_scheme=rx.cond(row.over, "red", rx.cond(row.percent >= 80, "amber", "green")),
            aria_label="Share of the budget used",
            width="100%",
        ),
        rx.text(row.used_label, size="1"),
        rx.text(row.resets_label, size="1", color=MUTED),
        spacing="1",
        min_width="180px",
        width="100%",
    )
    cells = [rx.table.row_header_cell(row.scope_label)] if show_scope else []
    cells += [
        rx.table.cell(rx.text(row.period_label, " · ", row.cap_label, size="2")),
        rx.table.cell(usage),
        rx.table.cell(_delete(row, "budget", on_delete, can_manage), text_align="right"),
    ]
    return rx.table.row(*cells, align="center")


def budget_table(
    rows: Any, *, on_delete: Callable[[Any], Any], can_manage: Any, show_scope: bool = True, empty: str
) -> rx.Component:
    """The budgets with spend this period vs cap (a progress bar) and a Delete button each.

    Args:
        rows: A list var of ``BudgetRow``.
        on_delete: ``id -> event`` fired after the confirmation dialog.
        can_manage: Bool var; Delete buttons only for owners and admins.
        show_scope: Show the "Applies to" column.
        empty: Text shown when there is no budget.
    """
    heads = [_cell_head("Applies to")] if show_scope else []
    heads += [_cell_head("Budget"), _cell_head("Used this period"), rx.table.column_header_cell("")]
    return rx.cond(
        rows.length() > 0,
        rx.table.root(
            caption("Budgets"),
            rx.table.header(rx.table.row(*heads)),
            rx.table.body(rx.foreach(rows, lambda r: _budget_row(r, on_delete, can_manage, show_scope))),
            variant="surface",
            size="1",
            width="100%",
        ),
        rx.text(empty, size="2", color=MUTED),
    )


def rate_table(
    rows: Any, *, on_delete: Callable[[Any], Any], can_manage: Any, show_scope: bool = True, empty: str
) -> rx.Component:
    """The rate limits (requests and tokens per minute) with a Delete button each."""
    heads = [_cell_head("Applies to")] if show_scope else []
    heads += [_cell_head("Requests"), _cell_head("Tokens"), rx.table.column_header_cell("")]

    def row_view(row: Any) -> rx.Component:
        cells = [rx.table.row_header_cell(row.scope_label)] if show_scope else []
        cells += [
            rx.table.cell(row.requests_label),
            rx.table.cell(row.tokens_label),
            rx.table.cell(_delete(row, "rate limit", on_delete, can_manage), text_align="right"),
        ]
        return rx.table.row(*cells, align="center")

    return rx.cond(
        rows.length() > 0,
        rx.table.root(
            caption("Rate limits"),
            rx.table.header(rx.table.row(*heads)),
            rx.table.body(rx.foreach(rows, row_view)),
            variant="surface",
            size="1",
            width="100%",
        ),
        rx.text(empty, size="2", color=MUTED),
    )


def choice_select(
    label: str, control_id: str, options: Any, value: Any, on_change: Any, *, error: Any = ""
) -> rx.Component:
    """A labelled select over a list var of ``ScopeOption`` (``value``/``label``)."""
    control = rx.select.root(
        rx.select.trigger(id=control_id, width="100%"),
        rx.select.content(rx.foreach(options, lambda o: rx.select.item(o.label, value=o.value))),
        value=value,
        on_change=on_change,
    )
    return labelled(label, control, control_id, error=error)


def _input(label: str, prefix: str, name: str, *, error: Any, hint: str = "", **props: Any) -> rx.Component:
    control_id = f"{prefix}-{name.replace('_', '-')}"
    return labelled(
        label,
        rx.input(id=control_id, name=name, width="100%", auto_complete="off", **props),
        control_id,
        error=error,
        hint=hint,
    )


def budget_form(
    *,
    prefix: str,
    on_submit: Any,
    period: Any,
    on_period: Any,
    errors: dict[str, Any],
    form_key: Any,
    scope_select: rx.Component | None = None,
) -> rx.Component:
    """ "Set a budget": [applies to], period, spend limit (USD), token cap. Submits ``limit_usd``/``token_limit``.

    Args:
        prefix: Makes the control ids unique on the page.
        on_submit: Event taking the form dict.
        period: Str var, ``"day"`` or ``"month"``; ``on_period`` sets it.
        errors: Vars of the messages for ``limit_usd``, ``token_limit``, ``period`` and ``form``.
        form_key: Var bumped after a save to clear the inputs.
        scope_select: The "applies to" control, or None for a fixed scope.
    """
    period_id = f"{prefix}-budget-period"
    period_select = rx.select.root(
        rx.select.trigger(id=period_id, width="100%"),
        rx.select.content(*[rx.select.item(text, value=value) for value, text in PERIODS]),
        value=period,
        on_change=on_period,
    )
    fields = [
        labelled("Budget period", period_select, period_id, error=errors["period"]),
        _input(
            "Spend limit (USD)",
            prefix,
            "limit_usd",
            error=errors["limit_usd"],
            placeholder="e.g. 5.00",
            input_mode="decimal",
        ),
        _input(
            "Token cap (optional)",
            prefix,
            "token_limit",
            error=errors["token_limit"],
            placeholder="e.g. 200000",
            input_mode="numeric",
        ),
    ]
    return rx.form(
        rx.vstack(
            banner(errors["form"]),
            scope_select or rx.fragment(),
            rx.grid(*fields, columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%"),
            rx.text(
                "A reply that could cost more than what is left is refused before it starts. "
                "The token cap also binds models without a known price.",
                size="1",
                color=MUTED,
            ),
            rx.button(rx.icon("plus", size=14), "Set budget", type="submit", size="2"),
            spacing="3",
            width="100%",
        ),
        key=form_key,
        on_submit=on_submit,
        reset_on_submit=False,
        no_validate=True,
        aria_label="Set a budget",
        width="100%",
    )


def rate_form(
    *, prefix: str, on_submit: Any, errors: dict[str, Any], form_key: Any, scope_select: rx.Component | None = None
) -> rx.Component:
    """ "Set a rate limit": [applies to], requests per minute, tokens per minute."""
    return rx.form(
        rx.vstack(
            banner(errors["form"]),
            scope_select or rx.fragment(),
            rx.grid(
                _input(
                    "Requests per minute",
                    prefix,
                    "requests_per_min",
                    error=errors["requests_per_min"],
                    placeholder="e.g. 30",
                    input_mode="numeric",
                ),
                _input(
                    "Tokens per minute",
                    prefix,
                    "tokens_per_min",
                    error=errors["tokens_per_min"],
                    placeholder="optional",
                    input_mode="numeric",
                ),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            rx.button(rx.icon("plus", size=14), "Set rate limit", type="submit", size="2"),
            spacing="3",
            width="100%",
        ),
        key=form_key,
        on_submit=on_submit,
        reset_on_submit=False,
        no_validate=True,
        aria_label="Set a rate limit",
        width="100%",
    )


def read_only_note(can_manage: Any) -> rx.Component:
    """Shown to members who may read but not change limits."""
    return rx.cond(
        can_manage,
        rx.fragment(),
        rx.text("Only the workspace's owner or admins can change limits and budgets.", size="2", color=MUTED),
    )
