"""Integer money arithmetic shared by the offline ledger and Stripe mode (no floats anywhere)."""

from __future__ import annotations


def platform_fee_cents(gross_cents: int, fee_bps: int) -> int:
    """The platform's fee on ``gross_cents`` at ``fee_bps`` basis points, rounded half up.

    Example: ``platform_fee_cents(500, 2000) == 100`` (20 % of $5.00). Raises ``ValueError`` for
    a negative amount or a fee outside 0-10,000 bps.
    """
    if gross_cents < 0 or not 0 <= fee_bps <= 10_000:
        raise ValueError("gross must be >= 0 and the fee within 0-10000 basis points")
    return (gross_cents * fee_bps + 5_000) // 10_000


def format_cents(amount_cents: int, currency: str = "usd") -> str:
    """``1234, "usd"`` -> ``"$12.34"``; other currencies as ``"12.34 EUR"``."""
    sign = "-" if amount_cents < 0 else ""
    whole, cents = divmod(abs(amount_cents), 100)
    figure = f"{whole:,}.{cents:02d}"
    return f"{sign}${figure}" if currency.lower() == "usd" else f"{sign}{figure} {currency.upper()}"


NANO_PER_CENT = 10_000_000
"""Nano-USD in one US cent (1 USD = 10^9 nano-USD = 100 cents)."""


def format_nano_usd(amount_nano: int) -> str:
    """``2_500_000 -> "$0.0025"``, ``-1_234_500_000_000 -> "-$1,234.50"``: US dollars with two
    decimals, four below one dollar (LLM costs are small), rounded half up."""
    sign = "-" if amount_nano < 0 else ""
    places = 4 if abs(amount_nano) < 1_000_000_000 else 2
    unit = 10 ** (9 - places)
    scaled = (abs(amount_nano) + unit // 2) // unit
    whole, frac = divmod(scaled, 10**places)
    return f"{sign}${whole:,}.{frac:0{places}d}"
