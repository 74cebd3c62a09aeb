"""``/billing``: the subscriber's paid subscriptions (plan, status, next renewal, usage this
period, the period's invoice preview, cancel at period end after a confirmation) and invoices
with their line items; ``/billing/checkout/[checkout_id]``: test mode's checkout page."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.billing.state import BillingState, CheckoutState
from dashboard.shell.forms import banner
from dashboard.shell.layout import loaded_for_this_visit, page

S: Any = BillingState
C: Any = CheckoutState
MUTED = "var(--gray-11)"
TEST_MODE = "Test mode: no card is charged"


def _loading() -> rx.Component:
    return rx.center(rx.spinner(size="3"), width="100%", padding="48px 0", aria_label="Loading")


def _status(status: Any) -> rx.Component:
    color = rx.match(status, ("active", "green"), ("paid", "green"), ("past_due", "red"), ("preview", "blue"), "amber")
    return rx.badge(status, color_scheme=color, variant="soft")


def _lines(invoice: Any) -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("Line item"),
                rx.table.column_header_cell("Quantity"),
                rx.table.column_header_cell("Unit price"),
                rx.table.column_header_cell("Amount"),
            )
        ),
        rx.table.body(
            rx.foreach(
                invoice.lines,
                lambda x: rx.table.row(
                    rx.table.cell(x.description),
                    rx.table.cell(x.quantity),
                    rx.table.cell(x.unit),
                    rx.table.cell(x.amount),
                ),
            ),
            rx.table.row(
                rx.table.cell(rx.text.strong("Total")),
                rx.table.cell(),
                rx.table.cell(),
                rx.table.cell(rx.text.strong(invoice.total)),
            ),
        ),
        size="1",
        width="100%",
    )


def _cancel(row: Any) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                "Cancel subscription",
                variant="soft",
                color_scheme="red",
                aria_label="Cancel subscription to " + row.title,
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Cancel your subscription to “" + row.title + "”?"),
            rx.alert_dialog.description(
                rx.cond(
                    row.status == "incomplete",
                    "The checkout is dropped and the agent stops working for you.",
                    "It keeps working until the end of the current period ("
                    + row.period
                    + "); nothing renews after that.",
                ),
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Cancel subscription", color_scheme="red", on_click=S.cancel(row.id))),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="460px",
        ),
    )


def _subscription(row: Any) -> rx.Component:
    usage = rx.text(
        "Runs this period: ",
        rx.text.strong(row.runs),
        rx.cond(row.included_runs > 0, rx.text.span(" (", row.included_runs, " included)")),
        " · metered: ",
        row.metered_runs,
        " · usage so far: ",
        row.usage,
        size="2",
        class_name="billing-usage",
    )
    preview = rx.el.details(
        rx.el.summary("Invoice preview for this period (" + row.preview.total + ")"),
        _lines(row.preview),
        open=True,
        class_name="invoice-preview",
    )
    actions = rx.hstack(
        rx.cond(row.checkout_url != "", rx.link(rx.button("Finish checkout"), href=row.checkout_url)),
        rx.cond(row.can_cancel, _cancel(row)),
        rx.cond(
            row.cancel_at_period_end & (row.status != "canceled") & ~row.stripe,
            rx.button("Keep subscription", variant="soft", on_click=S.keep(row.id)),
        ),
        spacing="3",
    )
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.link(rx.heading(row.title, size="4", as_="h2"), href="/marketplace/" + row.slug),
                _status(row.status),
                rx.text(row.note, size="2", color=MUTED, class_name="billing-note"),
                rx.spacer(),
                actions,
                width="100%",
                align="center",
                flex_wrap="wrap",
            ),
            rx.text(row.plan, size="2"),
            rx.cond(
                row.period != "",
                rx.vstack(rx.text("Current period: ", row.period, size="2", color=MUTED), usage, spacing="1"),
            ),
            rx.cond(row.has_preview, preview),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="billing-subscription",
    )


def _invoice(invoice: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text.strong(invoice.number),
                rx.text(invoice.listing_title, size="2"),
                rx.text(invoice.period, size="2", color=MUTED),
                _status(invoice.status),
                rx.spacer(),
                rx.text.strong(invoice.total),
                width="100%",
                align="center",
                flex_wrap="wrap",
            ),
            _lines(invoice),
            width="100%",
        ),
        width="100%",
        class_name="invoice",
    )


def _body() -> rx.Component:
    empty = rx.center(
        rx.vstack(
            rx.heading("No paid subscriptions", size="5", as_="h2"),
            rx.text("Agents with a paid plan you subscribe to show here, with their usage and invoices.", color=MUTED),
            rx.link(rx.button("Browse the marketplace"), href="/marketplace"),
            align="center",
            spacing="3",
        ),
        width="100%",
        padding="48px 0",
    )
    return rx.cond(
        S.subs.length() == 0,
        empty,
        rx.vstack(
            rx.heading("Subscriptions", size="5", as_="h2"),
            rx.foreach(S.subs, _subscription),
            rx.heading("Invoices", size="5", as_="h2"),
            rx.cond(
                S.invoices.length() == 0,
                rx.text("No invoices yet: the first one is issued when the current period ends.", color=MUTED),
                rx.vstack(rx.foreach(S.invoices, _invoice), width="100%", spacing="3"),
            ),
            width="100%",
            spacing="3",
        ),
    )


def billing_page() -> rx.Component:
    """``/billing``."""
    portal = rx.cond(S.stripe_mode, rx.button("Manage cards and invoices", on_click=S.manage_cards))
    return page(
        "Billing",
        rx.cond(
            ~S.stripe_mode,
            rx.callout(
                TEST_MODE + ": invoices are marked paid by the ledger.", icon="info", color_scheme="blue", width="100%"
            ),
        ),
        banner(S.notice, kind="success"),
        banner(S.error),
        rx.cond(loaded_for_this_visit(S.loaded), _body(), _loading()),
        actions=portal,
    )


def checkout_page() -> rx.Component:
    """``/billing/checkout/[checkout_id]`` (test mode's checkout)."""
    form = rx.card(
        rx.vstack(
            rx.callout(TEST_MODE, icon="info", color_scheme="blue", width="100%", class_name="test-mode"),
            rx.heading(C.title, size="5", as_="h2"),
            rx.text(C.plan, size="3", class_name="checkout-plan"),
            rx.text(
                "Confirming starts your subscription now; the first invoice is issued at the end of the period.",
                size="2",
                color=MUTED,
            ),
            banner(C.error),
            rx.hstack(
                rx.button("Confirm", on_click=C.confirm, disabled=C.status != "incomplete"),
                rx.link(rx.button("Back to the listing", variant="soft"), href="/marketplace/" + C.slug),
                spacing="3",
            ),
            rx.cond(C.status != "incomplete", rx.text("This checkout is ", C.status, ".", size="2", color=MUTED)),
            spacing="3",
            width="100%",
        ),
        max_width="560px",
    )
    missing = rx.text("Checkout not found.", color=MUTED)
    return page("Checkout", rx.cond(loaded_for_this_visit(C.loaded), rx.cond(C.found, form, missing), _loading()))
