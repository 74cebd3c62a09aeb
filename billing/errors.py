"""Errors of the billing services; ``str(exc)`` of each is a sentence fit to show a user."""

from __future__ import annotations


class BillingError(ValueError):
    """A billing rule refused the request (e.g. confirming a checkout that is not pending)."""


class NotEntitled(BillingError):
    """A subscriber may not run a paid agent now: the sentence says why; ``fix_url`` (a path of
    this app, e.g. ``/billing`` or ``/billing/checkout/<id>``) and ``fix_label`` name the page
    that fixes it."""

    def __init__(self, message: str, *, fix_url: str, fix_label: str) -> None:
        super().__init__(message)
        self.fix_url, self.fix_label = fix_url, fix_label
