"""``/earnings``: the publisher's revenue, platform fee, net, the LLM cost their connections paid
for subscribers' runs and the margin, per listing, per month and per subscriber (masked);
payouts: the payout account's status with an onboarding button in Stripe mode, "payouts are
simulated in test mode" offline. Aggregates only."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.accounts.actor import NotFound, PermissionDenied
from backend.config import get_settings
from billing.earnings import publisher_earnings
from billing.errors import BillingError
from billing.manage import payout_onboarding_url
from dashboard.billing.rows import FigureRow, figure_row
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session
from dashboard.shell.forms import banner
from dashboard.shell.layout import loaded_for_this_visit, page

MUTED = "var(--gray-11)"


class EarningsState(rx.State):
    """The Earnings page."""

    loaded: bool = False
    total: FigureRow = FigureRow()
    by_listing: list[FigureRow] = []
    by_month: list[FigureRow] = []
    by_subscriber: list[FigureRow] = []
    payouts: list[list[str]] = []
    account_status: str = "none"
    stripe_mode: bool = False
    error: str = ""

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: the workspace's earnings."""
        actor = await signed_in(self)
        self.error = ""
        try:
            report = await in_session(lambda s: publisher_earnings(actor=actor, session=s))
        except PermissionDenied as exc:
            self.error, self.loaded = str(exc), True
            return
        self.total = figure_row(report.total)
        self.by_listing = [figure_row(x) for x in report.by_listing]
        self.by_month = [figure_row(x) for x in report.by_month]
        self.by_subscriber = [figure_row(x) for x in report.by_subscriber]
        self.payouts = [[p.date, p.amount, p.status] for p in report.payouts]
        self.account_status, self.stripe_mode, self.loaded = report.account_status, report.stripe_mode, True

    @rx.event
    async def onboard(self):  # type: ignore[no-untyped-def]
        """Stripe mode: continue to Stripe's Connect onboarding."""
        actor = await signed_in(self)
        base = get_settings().public_url.rstrip("/") + "/earnings"
        try:
            url = await in_session(
                lambda s: payout_onboarding_url(actor=actor, refresh_url=base, return_url=base, session=s)
            )
        except (NotFound, PermissionDenied, BillingError) as exc:
            self.error = str(exc)
            return None
        return rx.redirect(url, is_external=True)


S: Any = EarningsState
_HEADERS = ("Paid runs", "Gross revenue", "Platform fee", "Net", "LLM cost", "Margin")


def _table(title: str, first: str, rows: Any) -> rx.Component:
    def row(x: Any) -> rx.Component:
        return rx.table.row(
            rx.table.row_header_cell(x.label),
            rx.table.cell(x.runs),
            rx.table.cell(x.gross),
            rx.table.cell(x.fee),
            rx.table.cell(x.net),
            rx.table.cell(x.llm_cost),
            rx.table.cell(x.margin, color=rx.cond(x.negative, "var(--red-11)", "inherit")),
        )

    return rx.el.section(
        rx.heading(title, size="4", as_="h2"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (first, *_HEADERS)])),
            rx.table.body(rx.foreach(rows, row)),
            size="1",
            width="100%",
        ),
        aria_label=title,
        style={"width": "100%"},
    )


def _figure(label: str, value: Any, cls: str) -> rx.Component:
    return rx.card(
        rx.vstack(rx.text(label, size="2", color=MUTED), rx.heading(value, size="6", class_name=cls), spacing="1")
    )


def _payouts() -> rx.Component:
    stripe = rx.hstack(
        rx.text("Payout account: ", rx.badge(S.account_status), size="2"),
        rx.cond(S.account_status != "active", rx.button("Set up payouts", on_click=S.onboard)),
        align="center",
        spacing="3",
    )
    offline = rx.callout(
        "Payouts are simulated in test mode: each tick pays the net earnings out at once.",
        icon="info",
        color_scheme="blue",
    )
    rows = rx.foreach(S.payouts, lambda p: rx.table.row(rx.table.cell(p[0]), rx.table.cell(p[1]), rx.table.cell(p[2])))
    return rx.el.section(
        rx.heading("Payouts", size="4", as_="h2"),
        rx.cond(S.stripe_mode, stripe, offline),
        rx.cond(
            S.payouts.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in ("Date", "Amount", "Status")])),
                rx.table.body(rows),
                size="1",
            ),
            rx.text("No payouts yet.", size="2", color=MUTED),
        ),
        aria_label="Payouts",
        style={"width": "100%"},
    )


def _body() -> rx.Component:
    empty = rx.text("No earnings yet: they appear when subscribers of your paid listings are invoiced.", color=MUTED)
    return rx.vstack(
        rx.hstack(
            _figure("Gross revenue", S.total.gross, "earnings-gross"),
            _figure("Platform fee", S.total.fee, "earnings-fee"),
            _figure("LLM cost", S.total.llm_cost, "earnings-llm"),
            _figure("Margin", S.total.margin, "earnings-margin"),
            spacing="3",
            flex_wrap="wrap",
        ),
        rx.cond(
            S.by_listing.length() == 0,
            empty,
            rx.vstack(
                _table("By listing", "Listing", S.by_listing),
                _table("By month", "Month", S.by_month),
                _table("By subscriber", "Subscriber", S.by_subscriber),
                width="100%",
                spacing="4",
            ),
        ),
        _payouts(),
        width="100%",
        spacing="4",
    )


def earnings_page() -> rx.Component:
    """``/earnings``."""
    return page(
        "Earnings",
        rx.text(
            "Figures for your workspace's listings. You never see subscribers' conversations.", color=MUTED, size="2"
        ),
        banner(S.error),
        rx.cond(
            loaded_for_this_visit(S.loaded), _body(), rx.center(rx.spinner(size="3"), width="100%", padding="48px 0")
        ),
    )
