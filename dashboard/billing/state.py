"""State of the subscriber's Billing page (``/billing``) and the test-mode checkout page
(``/billing/checkout/[id]``). Every handler re-checks the signed-in user and calls one billing
service in a worker thread; a refusal shows as the service's own sentence."""

from __future__ import annotations

import reflex as rx

from backend.accounts.actor import NotFound, PermissionDenied
from backend.config import get_settings
from billing.checkout import checkout_view, confirm_test_checkout
from billing.errors import BillingError
from billing.manage import cancel_subscription, customer_portal_url, keep_subscription
from billing.views import billing_overview
from dashboard.billing.rows import InvoiceRow, SubRow, invoice_row, sub_row
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session

REFUSED = (NotFound, PermissionDenied, BillingError)


class BillingState(rx.State):
    """The Billing page."""

    loaded: bool = False
    subs: list[SubRow] = []
    invoices: list[InvoiceRow] = []
    stripe_mode: bool = False
    notice: str = ""
    error: str = ""

    async def _reload(self) -> None:
        actor = await signed_in(self)
        overview = await in_session(lambda s: billing_overview(user_id=actor.user_id, session=s))
        self.subs = [sub_row(x) for x in overview.subscriptions]
        self.invoices = [invoice_row(x) for x in overview.invoices]
        self.stripe_mode, self.loaded = overview.stripe_mode, True

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: the user's paid subscriptions and invoices."""
        self.error = ""
        self.notice = (
            "Payment received: your subscription is active." if self.router.page.params.get("checkout") else ""
        )
        await self._reload()

    @rx.event
    async def cancel(self, billing_subscription_id: str):  # type: ignore[no-untyped-def]
        """Cancel at the end of the period (after the confirmation dialog)."""
        actor = await signed_in(self)
        self.notice = self.error = ""
        try:
            bsub = await in_session(
                lambda s: cancel_subscription(
                    user_id=actor.user_id, billing_subscription_id=billing_subscription_id, session=s
                )
            )
        except REFUSED as exc:
            self.error = str(exc)
        else:
            end = bsub.current_period_end.strftime("%d %b %Y") if bsub.current_period_end else ""
            self.notice = f"Canceled: it keeps working until {end}." if end else "Checkout canceled."
        await self._reload()

    @rx.event
    async def keep(self, billing_subscription_id: str):  # type: ignore[no-untyped-def]
        """Undo a cancellation at period end."""
        actor = await signed_in(self)
        self.notice = self.error = ""
        try:
            await in_session(
                lambda s: keep_subscription(
                    user_id=actor.user_id, billing_subscription_id=billing_subscription_id, session=s
                )
            )
        except REFUSED as exc:
            self.error = str(exc)
        else:
            self.notice = "Your subscription will renew."
        await self._reload()

    @rx.event
    async def manage_cards(self):  # type: ignore[no-untyped-def]
        """Stripe mode: open the Customer Portal."""
        actor = await signed_in(self)
        back = get_settings().public_url.rstrip("/") + "/billing"
        try:
            url = await in_session(lambda s: customer_portal_url(user_id=actor.user_id, return_url=back, session=s))
        except REFUSED as exc:
            self.error = str(exc)
            return None
        return rx.redirect(url, is_external=True)


class CheckoutState(rx.State):
    """The test-mode checkout page."""

    loaded: bool = False
    found: bool = False
    checkout_id: str = ""
    title: str = ""
    slug: str = ""
    plan: str = ""
    status: str = ""
    stripe_mode: bool = False
    error: str = ""

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: the checkout of the address's id (the user's own only)."""
        actor = await signed_in(self)
        self.loaded, self.error = False, ""
        self.checkout_id = checkout_id = str(self.router.page.params.get("checkout_id", "") or "")[:64]
        try:
            view = await in_session(
                lambda s: checkout_view(user_id=actor.user_id, billing_subscription_id=checkout_id, session=s)
            )
        except NotFound:
            self.found, self.loaded = False, True
            return
        self.title, self.slug, self.plan, self.status = view.listing_title, view.listing_slug, view.plan, view.status
        self.stripe_mode, self.found, self.loaded = view.stripe_mode, True, True

    @rx.event
    async def confirm(self):  # type: ignore[no-untyped-def]
        """Confirm: the subscription becomes active, its first period opens; on to Billing."""
        actor = await signed_in(self)
        checkout_id = self.checkout_id
        self.error = ""
        try:
            await in_session(
                lambda s: confirm_test_checkout(user_id=actor.user_id, billing_subscription_id=checkout_id, session=s)
            )
        except REFUSED as exc:
            self.error = str(exc)
            return None
        return rx.redirect("/billing?checkout=done")
