"""billing.stripe.client: the client from settings, idempotency keys, safe error text."""

from __future__ import annotations

import pytest
import stripe

from billing.settings import get_billing_settings
from billing.stripe.client import StripeNotConfigured, idempotency_key, params_digest, safe_error, stripe_client


@pytest.fixture
def billing_env(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def apply(**values: str) -> None:
        for name in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE"):
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_billing_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_billing_settings.cache_clear()


def test_idempotency_keys_are_deterministic_and_fit_stripe() -> None:
    assert idempotency_key("customer", "abc") == "agenthub-customer-abc"
    assert idempotency_key("price-monthly", "p1", "new", 900) == "agenthub-price-monthly-p1-new-900"
    long = idempotency_key("meter-events", "x" * 400)
    assert len(long) <= 255 and long == idempotency_key("meter-events", "x" * 400)
    assert long != idempotency_key("meter-events", "x" * 399)


def test_params_digest_changes_with_any_parameter() -> None:
    assert params_digest({"a": 1, "b": [1, 2]}) == params_digest({"b": [1, 2], "a": 1})
    assert params_digest({"a": 1}) != params_digest({"a": 2})
    assert len(params_digest({})) == 16


def test_no_key_means_no_stripe(billing_env) -> None:  # type: ignore[no-untyped-def]
    billing_env()
    with pytest.raises(StripeNotConfigured):
        stripe_client()


def test_api_base_points_every_address_at_one_server(billing_env) -> None:  # type: ignore[no-untyped-def]
    billing_env(STRIPE_SECRET_KEY="sk_test_123", STRIPE_API_BASE="http://127.0.0.1:8420/")
    client = stripe_client()
    options = client._requestor._options  # the SDK's resolved options
    assert options.base_addresses == {
        "api": "http://127.0.0.1:8420",
        "connect": "http://127.0.0.1:8420",
        "files": "http://127.0.0.1:8420",
        "meter_events": "http://127.0.0.1:8420",
    }
    assert stripe.api_key is None  # no global key


def test_safe_error_names_the_class_and_never_grows_past_500() -> None:
    error = stripe.APIConnectionError("x" * 1000)
    text = safe_error(error)
    assert text.startswith("APIConnectionError: ") and len(text) == 500
