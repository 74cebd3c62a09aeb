"""Fixtures of the billing integration tests: the local Stripe server (Stripe mode on) and the
webhook route served over real HTTP."""

from tests.support.stripe_billing import stripe_mode, webhook_url  # noqa: F401  (fixtures for the tests here)
