"""Billing: ledger, Stripe, metering and payouts (see docs/architecture.md)."""
