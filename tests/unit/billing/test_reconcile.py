"""``agenthub billing reconcile``: no differences on a ledger the outbox and the tick wrote;
a tampered charge, period or invoice is reported."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models.billing import Invoice, RunCharge
from backend.models.common import utcnow
from billing.reconcile import reconcile_ledger
from billing.tick import tick
from marketplace.cli import main
from tests.support.billing import ledger, paid_subscriber, usage


def _mine(differences: list[str], *ids: str) -> list[str]:
    return [d for d in differences if any(i in d for i in ids)]


def test_reconcile_finds_no_difference_then_reports_tampering(make_actor: Callable[[], Actor], capsys) -> None:  # type: ignore[no-untyped-def]
    start = utcnow() - timedelta(days=31)
    paid = paid_subscriber(make_actor(), make_actor(), confirm_at=start)
    runs = [usage(paid, cost=3_000, at=start + timedelta(days=1, minutes=n))[1] for n in range(4)]
    usage(paid, run_id=runs[0], cost=11, at=start + timedelta(days=2))
    tick()
    usage(paid, cost=5)  # in the new period, processed by the CLI's tick
    assert main(["billing", "tick"]) == 0
    assert "usage record(s) processed" in capsys.readouterr().out
    _, [closed, current], charges = ledger(paid)
    ids = (paid.bsub_id, closed.id, current.id, *runs)
    with session_scope() as s:
        assert _mine(reconcile_ledger(session=s), *ids) == []
        number = s.exec(select(Invoice.number).where(Invoice.billing_subscription_id == paid.bsub_id)).one()
    with session_scope() as s:
        s.execute(update(RunCharge).where(col(RunCharge.run_id) == runs[1]).values(llm_cost_nano_usd=1))
        s.execute(update(Invoice).where(col(Invoice.number) == number).values(total_cents=1))
    with session_scope() as s:
        found = reconcile_ledger(session=s)
    assert any(runs[1] in d and "usage records 3000 nano-USD" in d for d in found)
    assert any(closed.id in d and "from its charges" in d for d in found)
    assert any(number in d and "total 1" in d for d in found)
    with session_scope() as s:  # put it back: the shared database stays reconciled for other tests
        s.execute(update(RunCharge).where(col(RunCharge.run_id) == runs[1]).values(llm_cost_nano_usd=3_000))
        s.execute(update(Invoice).where(col(Invoice.number) == number).values(total_cents=502))
        assert _mine(reconcile_ledger(session=s), *ids) == []
    main(["billing", "reconcile"])
    printed = capsys.readouterr().out
    assert _mine(printed.splitlines(), *ids) == [] and ("no differences" in printed or "difference(s)." in printed)
