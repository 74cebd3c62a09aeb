"""The outbox becomes ledger rows: one run charge per run (its first billable record), later
records add their cost, runs beyond the included quota are metered, everything else is only
marked done; processing twice changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlmodel import select

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models.common import utcnow
from backend.models.outbox import BillingOutbox
from billing.outbox import process_pending
from tests.support.billing import ledger, paid_subscriber, usage


def _outbox(usage_ids: list[str]) -> list[BillingOutbox]:
    with session_scope() as s:
        rows = list(s.exec(select(BillingOutbox).where(BillingOutbox.usage_record_id.in_(usage_ids))))  # type: ignore[attr-defined]
        s.expunge_all()
    return rows


def test_runs_become_charges_metered_beyond_the_included_runs(make_actor: Callable[[], Actor]) -> None:
    paid = paid_subscriber(make_actor(), make_actor(), confirm_at=utcnow() - timedelta(minutes=5))
    ids = []
    for n in range(4):  # 4 runs; the first has a second (tool round) record
        rec, run = usage(paid, cost=1_000 + n)
        ids.append(rec)
        if n == 0:
            ids.append(usage(paid, run_id=run, cost=500)[0])
    ids.append(usage(paid, cost=0, tokens=0)[0])  # not billable: no outbox row
    process_pending()
    bsub, [period], charges = ledger(paid)
    assert [c.metered for c in charges] == [False, False, True, True]  # 2 included
    assert [c.amount_cents for c in charges] == [0, 0, 1, 1]
    assert [c.llm_cost_nano_usd for c in charges] == [1_500, 1_001, 1_002, 1_003]
    assert (period.runs, period.metered_runs, period.llm_cost_nano_usd) == (4, 2, 1_500 + 1_001 + 1_002 + 1_003)
    rows = _outbox(ids)
    assert len(rows) == 5 and all(r.done_at is not None for r in rows)
    process_pending()  # nothing left: the same figures
    assert ledger(paid)[1][0].runs == 4 and len(ledger(paid)[2]) == 4


def test_trial_runs_before_checkout_and_members_runs_are_only_marked_done(make_actor: Callable[[], Actor]) -> None:
    paid = paid_subscriber(make_actor(), make_actor(), confirm=False, free_trial_runs=3)
    trial, _ = usage(paid)
    member, _ = usage(paid, caller_kind="member", caller_id=paid.owner.user_id)
    process_pending()
    bsub, periods, charges = ledger(paid)
    assert bsub.status == "incomplete" and periods == [] and charges == []
    assert all(r.done_at is not None for r in _outbox([trial, member]))


def test_per_run_plan_meters_every_run(make_actor: Callable[[], Actor]) -> None:
    paid = paid_subscriber(
        make_actor(),
        make_actor(),
        plan_kind="per_run",
        price_per_run_cents=7,
        confirm_at=utcnow() - timedelta(minutes=1),
    )
    for _ in range(3):
        usage(paid)
    process_pending()
    _, [period], charges = ledger(paid)
    assert [c.amount_cents for c in charges] == [7, 7, 7] and period.metered_runs == 3
