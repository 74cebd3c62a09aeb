"""``agenthub billing tick`` and ``agenthub billing reconcile`` (added to the backend's parser by
``marketplace.cli``, the console script; the backend never imports billing)."""

from __future__ import annotations

import argparse
from typing import Any

from backend.db import migrate, session_scope
from billing.settings import get_billing_settings


def _tick(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from backend.models.common import utcnow
    from billing.tick import tick

    migrate()
    result = tick(now=utcnow() + timedelta(days=args.advance_days))
    mode = "Stripe mode" if get_billing_settings().stripe_mode else "test mode"
    print(
        f"Billing tick ({mode}): {result.outbox_rows} usage record(s) processed, "
        f"{result.invoices} invoice(s) issued, {result.renewed} period(s) opened, "
        f"{result.ended} subscription(s) ended, {result.payouts} payout(s) simulated."
    )
    for error in result.errors:
        print(f"error: {error}")
    return 1 if result.errors else 0


def _reconcile(_args: argparse.Namespace) -> int:
    from billing.reconcile import reconcile_ledger

    migrate()
    with session_scope() as session:
        differences = reconcile_ledger(session=session)
    if get_billing_settings().stripe_mode:
        from billing.stripe.reconcile import reconcile_stripe  # Stripe mode only

        differences += list(reconcile_stripe())
    for line in differences:
        print(line)
    print(f"{len(differences)} difference(s)." if differences else "Reconciled: no differences.")
    return 1 if differences else 0


def add_billing_commands(sub: Any) -> None:
    """Add ``billing tick`` and ``billing reconcile`` to the ``agenthub`` subparsers ``sub``."""
    billing = sub.add_parser("billing", help="billing: renewals and reconciliation")
    commands = billing.add_subparsers(dest="billing_command", required=True)
    tick = commands.add_parser("tick", help="process the usage outbox, renew test-mode subscriptions, issue invoices")
    tick.add_argument(
        "--advance-days",
        type=int,
        default=0,
        metavar="N",
        help="test mode: renew as if N more days had passed (a test clock, to show a whole period on a laptop)",
    )
    tick.set_defaults(func=_tick)
    commands.add_parser(
        "reconcile", help="compare the ledger with a recomputation from usage records (and Stripe in Stripe mode)"
    ).set_defaults(func=_reconcile)
