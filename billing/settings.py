"""Billing settings, from the environment.

Stripe mode is on when ``STRIPE_SECRET_KEY`` is set; otherwise billing runs in **offline test
mode** on the ledger alone (no network, no card charged). ``STRIPE_API_BASE`` points the official
``stripe`` SDK at another server (the tests' local Stripe server).
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BillingSettings(BaseSettings):
    """Billing configuration.

    Attributes:
        stripe_secret_key: ``STRIPE_SECRET_KEY`` (never logged; a ``SecretStr``). None: offline mode.
        stripe_webhook_secret: ``STRIPE_WEBHOOK_SECRET``, the ``whsec_...`` signing secret(s) of the
            webhook endpoint ``/api/billing/stripe/webhook``, comma-separated (the platform's
            endpoint and the Connect endpoint each have their own).
        stripe_api_base: ``STRIPE_API_BASE``, e.g. ``http://127.0.0.1:8420`` (default: Stripe's).
        platform_fee_percent: the platform's share of each paid invoice, in percent
            (``AGENTHUB_BILLING_PLATFORM_FEE_PERCENT``, default 20; 0-100).
        grace_days: days a ``past_due`` subscription keeps access (``AGENTHUB_BILLING_GRACE_DAYS``, 7).
        period_days: length of an offline-mode billing period in days
            (``AGENTHUB_BILLING_PERIOD_DAYS``, 30; Stripe mode uses Stripe's monthly periods).
    """

    model_config = SettingsConfigDict(extra="ignore")

    stripe_secret_key: SecretStr | None = Field(default=None, validation_alias="STRIPE_SECRET_KEY")
    stripe_webhook_secret: SecretStr | None = Field(default=None, validation_alias="STRIPE_WEBHOOK_SECRET")
    stripe_api_base: str | None = Field(default=None, validation_alias="STRIPE_API_BASE")
    platform_fee_percent: int = Field(
        default=20,
        ge=0,
        le=100,
        validation_alias=AliasChoices("AGENTHUB_BILLING_PLATFORM_FEE_PERCENT", "platform_fee_percent"),
    )
    grace_days: int = Field(default=7, ge=0, validation_alias=AliasChoices("AGENTHUB_BILLING_GRACE_DAYS", "grace_days"))
    period_days: int = Field(
        default=30, ge=1, validation_alias=AliasChoices("AGENTHUB_BILLING_PERIOD_DAYS", "period_days")
    )

    @property
    def stripe_mode(self) -> bool:
        """True when a Stripe secret key is configured (otherwise offline test mode)."""
        return self.stripe_secret_key is not None and bool(self.stripe_secret_key.get_secret_value())

    @property
    def platform_fee_bps(self) -> int:
        """The platform fee in basis points (20 % -> 2000)."""
        return self.platform_fee_percent * 100


@lru_cache(maxsize=1)
def get_billing_settings() -> BillingSettings:
    """The process-wide billing settings (tests clear the cache after changing the environment)."""
    return BillingSettings()
