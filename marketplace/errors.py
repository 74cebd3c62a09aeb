"""Errors of the marketplace services (access errors are ``backend.accounts.actor``'s
``NotFound`` and ``PermissionDenied``; a page shows ``str(exc)`` of any of them as is)."""

from __future__ import annotations

from backend.errors import FieldErrors


class ListingInvalid(FieldErrors):
    """Publish/update input is wrong; ``errors`` maps a form field (``title``, ``slug``,
    ``monthly_price_cents``, ``examples[0].prompt``, ...) to its message."""


class MarketplaceError(ValueError):
    """A marketplace rule refused the request; ``str(exc)`` is a sentence for the user."""


class EntitlementRefused(MarketplaceError):
    """Billing does not entitle the subscriber to run a paid agent now (``billing.entitlements``):
    ``str(exc)`` says why; ``fix_url`` (a path of this app) and ``fix_label`` name the page that
    fixes it (finish checkout, the Billing page, subscribe again)."""

    def __init__(self, message: str, *, fix_url: str, fix_label: str) -> None:
        super().__init__(message)
        self.fix_url, self.fix_label = fix_url, fix_label


class ReviewNotAllowed(MarketplaceError):
    """Only subscribers with at least one finished run may review; the publisher replies once."""


class TryLimitReached(MarketplaceError):
    """A visitor used up their free tries; ``retry_after_s`` is when the next one is allowed."""

    def __init__(self, retry_after_s: int) -> None:
        hours = max(1, round(retry_after_s / 3600))
        super().__init__(
            f"You have used your free tries of this agent. Sign up and subscribe to keep using it, "
            f"or try again in about {hours} hour{'s' if hours != 1 else ''}."
        )
        self.retry_after_s = retry_after_s
