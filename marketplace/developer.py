"""The marketplace's side of the developer API's edge (``backend.api.edge.ListingAccess``).

``dashboard/app.py`` wires :data:`ACCESS` in at start-up: an API key scoped to a subscription
runs the listing as its creator's subscription (checked on every request: active subscription,
listing not suspended, billing's ``entitlement_check``; a refusal is HTTP 402), and a
publisher's publishable key (the embed widget) runs a listing under its trial rules.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.accounts.actor import Actor
from backend.accounts.principal import RunPrincipal
from backend.api.routes import BillingRefused, TryRefused
from marketplace.errors import MarketplaceError, TryLimitReached
from marketplace.subscriptions import subscriber_principal
from marketplace.trial import Visitor, trial_principal, visitor_user_id


class MarketplaceAccess:
    """Subscriptions and trials for the developer API (see module doc)."""

    def subscriber(self, *, user_id: str, listing_id: str, session: Session) -> RunPrincipal:
        """The subscriber's principal. Raises NotFound; BillingRefused when billing refuses."""
        try:
            return subscriber_principal(actor=Actor(user_id, ""), listing_id=listing_id, session=session)
        except MarketplaceError as exc:  # billing refuses (EntitlementRefused) and other marketplace refusals
            raise BillingRefused(str(exc)) from exc

    def visitor(self, *, listing_id: str, browser_id: str, ip: str | None, session: Session) -> RunPrincipal:
        """One counted try. Raises NotFound, TryRefused, ValueError (no browser id)."""
        try:
            return trial_principal(listing_id=listing_id, visitor=Visitor(browser_id, ip), session=session)
        except TryLimitReached as exc:
            raise TryRefused(str(exc), exc.retry_after_s) from exc

    def visitor_user(self, *, browser_id: str, ip: str | None, session: Session) -> str:
        """The visitor user of a browser. Raises TryRefused, ValueError (no browser id)."""
        try:
            return visitor_user_id(Visitor(browser_id, ip), session)
        except TryLimitReached as exc:
            raise TryRefused(str(exc), exc.retry_after_s) from exc


ACCESS = MarketplaceAccess()
