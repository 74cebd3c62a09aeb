"""billing.stripe.checkout: the platform fee as Stripe's application_fee_percent."""

from __future__ import annotations

import pytest

from billing.stripe.checkout import fee_percent


@pytest.mark.parametrize(("bps", "percent"), [(2000, "20"), (1250, "12.5"), (1, "0.01"), (0, "0"), (10000, "100")])
def test_fee_percent(bps: int, percent: str) -> None:
    assert fee_percent(bps) == percent
