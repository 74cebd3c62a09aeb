"""Two claimers at once never process one outbox row twice (PostgreSQL: FOR UPDATE SKIP LOCKED;
SQLite: the claim's UPDATE takes the single write lock): every row done once, every run charged
once, the period's counters equal to the sum of the charges."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from sqlmodel import select

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models.common import utcnow
from backend.models.outbox import BillingOutbox
from billing.outbox import process_outbox
from tests.support.billing import ledger, paid_subscriber, usage


def test_two_concurrent_claimers_process_each_row_once(make_actor: Callable[[], Actor]) -> None:
    paid = paid_subscriber(make_actor(), make_actor(), included_runs=50, confirm_at=utcnow() - timedelta(minutes=5))
    ids = []
    for n in range(120):
        rec, run = usage(paid, cost=1_000)
        ids.append(rec)
        if n % 4 == 0:
            ids.append(usage(paid, run_id=run, cost=7)[0])  # a second record of the run
    done = [0, 0]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def claimer(slot: int) -> None:
        try:
            start.wait()
            while (n := process_outbox(limit=7)) > 0:
                done[slot] += n
                time.sleep(0.002)  # let the other claimer take the lock between batches
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert done[0] + done[1] == 150  # each row claimed by exactly one of them
    _, [period], charges = ledger(paid)
    assert len(charges) == 120 and len({c.run_id for c in charges}) == 120
    assert sum(c.llm_cost_nano_usd for c in charges) == 120 * 1_000 + 30 * 7 == period.llm_cost_nano_usd
    assert (period.runs, period.metered_runs) == (120, 70)
    with session_scope() as s:
        rows = s.exec(select(BillingOutbox).where(BillingOutbox.usage_record_id.in_(ids))).all()  # type: ignore[attr-defined]
        assert len(rows) == 150 and all(r.done_at is not None and r.attempts == 0 for r in rows)
