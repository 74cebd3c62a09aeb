"""Claiming the billing outbox: every billable usage record becomes ledger rows exactly once.

The gateway writes one ``billing_outbox`` row per billable usage record in the record's own
transaction (``backend/models/outbox.py``). :func:`process_outbox` claims a batch of pending rows
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers take disjoint rows; on SQLite
the claim is an ``UPDATE ... RETURNING``, which takes the database's single write lock first),
turns them into ledger rows and marks them ``done_at`` **in the same transaction**: a crash rolls
everything back and the rows are claimed again, so nothing is lost or counted twice.

Per row (usage record ``caller_kind`` ``grant`` -> ``agent_grants`` -> the marketplace
subscription holding that grant -> its :class:`BillingSubscription`):

* the first billable record of a run inside a billing period becomes one :class:`RunCharge`
  (unique ``run_id``); ``metered`` (``amount_cents`` = the plan's per-run price) when it is
  beyond ``included_runs`` of the period, or on a per-run plan; the period's ``runs``,
  ``metered_runs`` and ``llm_cost_nano_usd`` grow with it;
* later records of the run add their cost (nano-USD) to its charge and period;
* a record that lands after its period was closed counts in the subscription's open period;
* records that are not a paid subscriber's run in a period (members' runs, free listings, trial
  runs before checkout) are only marked done.

A batch that fails is retried row by row; a row failing :data:`MAX_ATTEMPTS` times is left with
its ``last_error`` (``agenthub billing reconcile`` lists it) so it cannot block the others.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlmodel import Session

from backend.db import session_scope
from backend.models import AgentGrant, Subscription, UsageRecord
from backend.models.billing import BillingPeriod, BillingSubscription, RunCharge
from backend.models.common import new_id, utcnow
from backend.models.outbox import BillingOutbox

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
_O: Any = BillingOutbox.__table__  # type: ignore[attr-defined]
_U: Any = UsageRecord.__table__  # type: ignore[attr-defined]
_G: Any = AgentGrant.__table__  # type: ignore[attr-defined]
_S: Any = Subscription.__table__  # type: ignore[attr-defined]
_B: Any = BillingSubscription.__table__  # type: ignore[attr-defined]
_P: Any = BillingPeriod.__table__  # type: ignore[attr-defined]
_RC: Any = RunCharge.__table__  # type: ignore[attr-defined]


@dataclass
class _Row:
    outbox_id: str
    usage_id: str
    run_id: str | None
    cost: int
    created_at: datetime
    bsub_id: str | None


def _pending(ids: list[str] | None) -> Any:
    where = and_(_O.c.done_at.is_(None), _O.c.attempts < MAX_ATTEMPTS)
    return where if ids is None else and_(where, _O.c.id.in_(ids))


def claim(session: Session, *, limit: int, ids: list[str] | None = None, now: datetime | None = None) -> list[str]:
    """Claim up to ``limit`` pending outbox rows (oldest first; only ``ids`` if given) for this
    transaction and return their ids. PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: a
    conditional ``UPDATE ... RETURNING`` that takes the write lock (one writer at a time)."""
    oldest = select(_O.c.id).where(_pending(ids)).order_by(_O.c.created_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        return list(session.execute(oldest.with_for_update(skip_locked=True)).scalars())
    stmt = update(_O).where(_O.c.id.in_(oldest)).values(claimed_at=now or utcnow()).returning(_O.c.id)
    return list(session.execute(stmt).scalars())


def _rows(session: Session, ids: list[str]) -> list[_Row]:
    grant = and_(_U.c.caller_kind == "grant", _G.c.id == _U.c.caller_id)
    joined = (
        _O.join(_U, _U.c.id == _O.c.usage_record_id)
        .outerjoin(_G, grant)
        .outerjoin(_S, and_(_S.c.user_id == _G.c.grantee_user_id, _S.c.grant_id == _G.c.id))
        .outerjoin(_B, _B.c.subscription_id == _S.c.id)
    )
    stmt = select(_O.c.id, _U.c.id, _U.c.run_id, _U.c.cost_nano_usd, _U.c.created_at, _B.c.id).select_from(joined)
    rows = [_Row(*r) for r in session.execute(stmt.where(_O.c.id.in_(ids))).all()]
    return sorted(rows, key=lambda r: (r.created_at, r.usage_id))


class _Periods:
    """The periods of the batch's subscriptions that may hold its records."""

    def __init__(self, session: Session, rows: list[_Row]) -> None:
        self.session = session
        bsub_ids = {r.bsub_id for r in rows if r.bsub_id}
        oldest = min(r.created_at for r in rows)
        self.bsubs = {b.id: b for b in session.scalars(select(BillingSubscription).where(_B.c.id.in_(bsub_ids)))}
        found = session.scalars(
            select(BillingPeriod).where(
                _P.c.billing_subscription_id.in_(bsub_ids), or_(_P.c.status == "open", _P.c.period_end > oldest)
            )
        )
        self.by_bsub: dict[str, list[BillingPeriod]] = defaultdict(list)
        for period in found:
            self.by_bsub[period.billing_subscription_id].append(period)

    def target(self, row: _Row) -> BillingPeriod | None:
        """The period a record is charged in, or None (not billed)."""
        bsub = self.bsubs.get(row.bsub_id or "")
        if bsub is None:
            return None
        periods = self.by_bsub[bsub.id]
        period = next((p for p in periods if p.period_start <= row.created_at < p.period_end), None)
        if period is None and bsub.current_period_start and bsub.status != "incomplete":
            if bsub.current_period_start <= row.created_at < bsub.current_period_end:  # type: ignore[operator]
                period = self._mirror(bsub)  # Stripe mode: a period Stripe opened, not yet in the ledger
        if period is not None and period.status != "open":
            period = next((p for p in periods if p.status == "open"), None)  # late record: the open period
        return period

    def _mirror(self, bsub: BillingSubscription) -> BillingPeriod:
        assert bsub.current_period_start is not None and bsub.current_period_end is not None  # noqa: S101  (checked)
        period = BillingPeriod(
            billing_subscription_id=bsub.id, period_start=bsub.current_period_start, period_end=bsub.current_period_end
        )
        self.session.add(period)
        self.session.flush()
        self.by_bsub[bsub.id].append(period)
        return period


def _locked_runs(session: Session, period_ids: set[str]) -> dict[str, int]:
    """Lock the periods that get new charges (PostgreSQL, in id order) and read their run counts."""
    stmt = select(_P.c.id, _P.c.runs).where(_P.c.id.in_(period_ids)).order_by(_P.c.id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return {pid: int(runs) for pid, runs in session.execute(stmt).all()}


def _apply(session: Session, rows: list[_Row], now: datetime) -> int:
    """Turn claimed rows into run charges and period totals; returns how many charges were made."""
    billed = [r for r in rows if r.run_id and r.bsub_id]
    if not billed:
        return 0
    periods = _Periods(session, billed)
    targets = {r.outbox_id: periods.target(r) for r in billed}
    counts = _locked_runs(session, {p.id for p in targets.values() if p is not None})
    existing = {  # read after the lock: a concurrent claimer's charge of the same run is committed
        run_id: (cid, pid)
        for run_id, cid, pid in session.execute(
            select(_RC.c.run_id, _RC.c.id, _RC.c.period_id).where(_RC.c.run_id.in_({r.run_id for r in billed}))
        ).all()
    }
    new: dict[str, dict[str, Any]] = {}
    cost_add: dict[str, int] = defaultdict(int)
    delta: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # period id -> runs, metered, nano-USD
    for row in billed:
        run_id = str(row.run_id)
        if run_id in existing:  # a later record of a charged run: its cost only
            cid, pid = existing[run_id]
            if cid in new:
                new[cid]["llm_cost_nano_usd"] += row.cost
            else:
                cost_add[cid] += row.cost
            delta[pid][2] += row.cost
            continue
        period = targets[row.outbox_id]
        if period is None:
            continue
        bsub = periods.bsubs[period.billing_subscription_id]
        counts[period.id] = number = counts[period.id] + 1
        metered = bsub.plan_kind == "per_run" or number > bsub.included_runs
        cid = new_id()
        new[cid] = {
            "id": cid, "run_id": run_id, "usage_record_id": row.usage_id, "billing_subscription_id": bsub.id,
            "period_id": period.id, "occurred_at": row.created_at, "metered": metered,
            "amount_cents": bsub.price_per_run_cents if metered else 0, "llm_cost_nano_usd": row.cost,
            "meter_sent_at": None, "meter_attempts": 0, "meter_error": "", "meter_next_attempt_at": None,
            "created_at": now,
        }  # fmt: skip
        existing[run_id] = (cid, period.id)
        delta[period.id][0] += 1
        delta[period.id][1] += int(metered)
        delta[period.id][2] += row.cost
    if new:
        session.execute(insert(_RC), list(new.values()))
    if cost_add:
        stmt = update(_RC).where(_RC.c.id == bindparam("b_id"))
        stmt = stmt.values(llm_cost_nano_usd=_RC.c.llm_cost_nano_usd + bindparam("b_add"))
        session.execute(stmt, [{"b_id": k, "b_add": v} for k, v in cost_add.items()])
    if delta:
        stmt = (
            update(_P)
            .where(_P.c.id == bindparam("b_id"))
            .values(
                runs=_P.c.runs + bindparam("b_runs"),
                metered_runs=_P.c.metered_runs + bindparam("b_metered"),
                llm_cost_nano_usd=_P.c.llm_cost_nano_usd + bindparam("b_cost"),
            )
        )
        session.execute(stmt, [{"b_id": k, "b_runs": r, "b_metered": m, "b_cost": c} for k, (r, m, c) in delta.items()])
    return len(new)


def _batch(session: Session, *, limit: int, ids: list[str] | None, now: datetime) -> int:
    claimed = claim(session, limit=limit, ids=ids, now=now)
    if not claimed:
        return 0
    _apply(session, _rows(session, claimed), now)
    session.execute(update(_O).where(_O.c.id.in_(claimed)).values(done_at=now, claimed_at=now))
    return len(claimed)


def _one_by_one(limit: int) -> int:
    """After a failed batch: each pending row in its own transaction; a failing row records
    ``attempts``/``last_error`` and is skipped after :data:`MAX_ATTEMPTS`."""
    with session_scope() as session:
        ids = list(
            session.execute(select(_O.c.id).where(_pending(None)).order_by(_O.c.created_at).limit(limit)).scalars()
        )
    done = 0
    for outbox_id in ids:
        try:
            with session_scope() as session:
                done += _batch(session, limit=1, ids=[outbox_id], now=utcnow())
        except Exception as exc:  # noqa: BLE001  (recorded on the row; the others go on)
            log.warning("billing outbox row %s failed: %s", outbox_id, type(exc).__name__)
            with session_scope() as session:
                session.execute(
                    update(_O)
                    .where(_O.c.id == outbox_id)
                    .values(attempts=_O.c.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:500])
                )
    return done


def process_outbox(*, limit: int = 500, now: datetime | None = None) -> int:
    """Claim and process up to ``limit`` pending outbox rows in one transaction (blocking; call
    from a worker thread). Returns how many rows were marked done."""
    try:
        with session_scope() as session:
            return _batch(session, limit=limit, ids=None, now=now or utcnow())
    except Exception:  # a bad row or a lost race: retry row by row
        log.exception("billing outbox batch failed; retrying row by row")
        return _one_by_one(limit)


def process_pending(*, batch: int = 500, max_rows: int = 100_000) -> int:
    """Process the outbox until it is empty (or ``max_rows`` rows); returns rows done."""
    total = 0
    while total < max_rows:
        done = process_outbox(limit=min(batch, max_rows - total))
        total += done
        if done == 0:
            break
    return total
