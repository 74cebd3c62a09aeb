"""billing.stripe.connect: a publisher account's status from Stripe's flags."""

from __future__ import annotations

from backend.models import PublisherAccount
from billing.stripe.connect import account_status, apply_account


def test_status_from_flags() -> None:
    assert (
        account_status(charges_enabled=True, payouts_enabled=True, details_submitted=True, disabled=False) == "active"
    )
    assert (
        account_status(charges_enabled=False, payouts_enabled=False, details_submitted=False, disabled=True)
        == "pending"
    )
    assert (
        account_status(charges_enabled=False, payouts_enabled=False, details_submitted=True, disabled=True)
        == "restricted"
    )
    assert (
        account_status(charges_enabled=True, payouts_enabled=False, details_submitted=False, disabled=True)
        == "restricted"
    )


def test_apply_account_copies_the_flags() -> None:
    row = PublisherAccount(workspace_id="w1")
    apply_account(
        row, {"charges_enabled": True, "payouts_enabled": False, "details_submitted": True, "requirements": {}}
    )
    assert (row.status, row.charges_enabled, row.payouts_enabled, row.details_submitted) == (
        "restricted",
        True,
        False,
        True,
    )
