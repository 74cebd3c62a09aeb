"""Stripe Connect (Express accounts) for publishers: onboarding links and the account's state.

A publisher workspace's :class:`PublisherAccount` gets an Express account on its first
onboarding; Stripe's hosted onboarding collects identity and bank details; ``account.updated``
events (the webhook) copy ``charges_enabled``/``payouts_enabled``/``details_submitted`` back.
"""

from __future__ import annotations

import time
from typing import Any

from sqlmodel import Session

from backend.models import PublisherAccount
from backend.models.common import utcnow
from billing.stripe.client import idempotency_key, params_digest, stripe_client


def account_status(*, charges_enabled: bool, payouts_enabled: bool, details_submitted: bool, disabled: bool) -> str:
    """Our ``PublisherAccount.status`` from Stripe's flags: ``active`` (charges and payouts
    enabled), ``restricted`` (details submitted or a ``requirements.disabled_reason`` but not both
    enabled: Stripe needs more information), else ``pending`` (onboarding not finished)."""
    if charges_enabled and payouts_enabled:
        return "active"
    if details_submitted or (disabled and charges_enabled):
        return "restricted"
    return "pending"


def apply_account(account: PublisherAccount, stripe_account: dict[str, Any]) -> None:
    """Copy a Stripe Account (as a dict)'s flags onto ``account`` (the caller adds and commits)."""
    requirements = stripe_account.get("requirements") or {}
    account.charges_enabled = bool(stripe_account.get("charges_enabled"))
    account.payouts_enabled = bool(stripe_account.get("payouts_enabled"))
    account.details_submitted = bool(stripe_account.get("details_submitted"))
    account.status = account_status(
        charges_enabled=account.charges_enabled,
        payouts_enabled=account.payouts_enabled,
        details_submitted=account.details_submitted,
        disabled=bool(requirements.get("disabled_reason")),
    )
    account.updated_at = utcnow()


def onboarding_link(*, account: PublisherAccount, refresh_url: str, return_url: str, session: Session) -> str:
    """A one-time Stripe-hosted onboarding URL for the publisher's Express account, created (and
    stored on ``account``, status ``pending``) when it has none yet.

    ``refresh_url``: where Stripe sends the publisher when the link expired (ask for a new one);
    ``return_url``: where they land after onboarding (not proof of completion: ``account.updated``
    says that).

    Raises:
        StripeNotConfigured: Stripe mode is off.
        stripe.StripeError: Stripe refused (e.g. Connect not enabled on the platform) or could not
            be reached.
    """
    client = stripe_client()
    if not account.stripe_account_id:
        created = client.v1.accounts.create(
            params={
                "type": "express",
                "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
                "metadata": {"publisher_account_id": account.id, "workspace_id": account.workspace_id},
            },
            options={"idempotency_key": idempotency_key("account", account.id)},
        )
        account.stripe_account_id = created.id
        apply_account(account, created.to_dict())
        session.add(account)
        session.flush()
    link = client.v1.account_links.create(
        params={
            "account": account.stripe_account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        },
        # Links expire within minutes: a double click within the minute gets the same link.
        options={
            "idempotency_key": idempotency_key(
                "account-link", account.id, params_digest([refresh_url, return_url]), int(time.time()) // 60
            )
        },
    )
    return link.url
