"""Keeps the hourly rollups up to date: idempotent recomputation of recent hours behind a watermark.

A pass brings every rollup (:data:`~backend.analytics.sources.SOURCES`) up to now. For one
rollup it repeats, each time in one transaction that first locks the ``lock`` row
of ``analytics_rollup_state`` and the rollup's own row (a concurrent pass waits, on SQLite and
PostgreSQL alike):

1. read the watermark ``W`` (every hour before it is final; 0 = never built: start at the
   oldest raw row), take the batch ``[W, E)`` with ``E = min(W + batch, current hour + 1)``;
2. delete the rollup rows of those hours and insert them again from the raw rows
   (``INSERT ... SELECT ... GROUP BY``, no Python over raw rows), then rebuild the charts'
   series of those hours (``backend.analytics.derived``);
3. move the watermark to ``min(E, hour of (now - lag))``, never backwards, and build the daily
   and weekly twins of every UTC day and week that became wholly final (queries read younger days
   hour by hour); the series' twins follow the older of the usage and runs watermarks.

Hours younger than ``lag`` are recomputed on every pass, so a raw row committed up to ``lag``
after its timestamp (a usage record's ``created_at`` is taken just before its transaction
commits) is still counted; recomputing is what makes a repeated or concurrent pass harmless.
Run from the worker's maintenance pass and, shared by concurrent callers, before analytics queries
(:func:`catch_up`).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.analytics import derived
from backend.analytics.sources import SOURCES, Source
from backend.db import session_scope
from backend.models.analytics import RollupState
from backend.models.common import utcnow

log = logging.getLogger(__name__)

LAG = timedelta(minutes=15)
"""How long after its timestamp a raw row may still commit and be counted."""
BATCH_HOURS = 24
"""Hours recomputed per transaction while catching up on a backlog."""

_STATE = RollupState.__table__  # type: ignore[attr-defined]
LOCK = "lock"
"""The state row every rollup transaction locks first: they run one at a time."""
_catch_up_lock = threading.Lock()
_last_pass_began = float("-inf")
"""``time.monotonic()`` when this process's last successful on-demand pass began."""
_last_pass_began_at: datetime | None = None
"""The same moment by the wall clock (None: no pass yet, or :func:`rebuild_from` since)."""
WRITE_SLACK = timedelta(minutes=2)
"""How long before its commit a raw row's timestamp may be taken (a usage record's just before it;
a tool audit row's when the call began, and tool calls time out sooner): :func:`catch_up` treats
rows this much older than its last pass as possibly new."""


def hour_of(moment: datetime) -> int:
    """Whole hours since 1970-01-01 00:00 UTC of an aware datetime (floor)."""
    return int(moment.timestamp() // 3600)


def hour_start(hour: int) -> datetime:
    """The aware UTC datetime at which ``hour`` (see :func:`hour_of`) starts."""
    return datetime.fromtimestamp(hour * 3600, UTC)


def _lock_state(session: Session, name: str, now: datetime) -> int:
    """Lock the ``lock`` row and the rollup's state row (creating missing ones); return the
    rollup's watermark hour."""
    for source in (LOCK, name):
        bump = update(_STATE).where(_STATE.c.source == source).values(passes=_STATE.c.passes + 1, updated_at=now)
        if session.execute(bump).rowcount == 0:  # type: ignore[attr-defined]
            session.execute(insert(_STATE).values(source=source, watermark_hour=0, passes=1, updated_at=now))
    return int(session.execute(select(_STATE.c.watermark_hour).where(_STATE.c.source == name)).scalar_one())


def _batch(session: Session, source: Source, now: datetime, batch_hours: int, lag: timedelta) -> bool:
    """Recompute one batch of hours of ``source``; True when it reached the current hour."""
    dialect = session.get_bind().dialect.name
    watermark = _lock_state(session, source.name, now)
    current = hour_of(now)
    if watermark == 0:
        oldest = session.execute(select(func.min(source.time_column))).scalar()
        watermark = hour_of(oldest.replace(tzinfo=oldest.tzinfo or UTC)) if oldest else current
    end = min(watermark + batch_hours, current + 1)
    target = source.target
    session.execute(delete(target).where(target.c.hour >= watermark, target.c.hour < end))
    rows = source.build(hour_start(watermark), hour_start(end), dialect)
    session.execute(insert(target).from_select([c.name for c in target.columns], rows))
    if source.feeds_series:
        derived.rebuild_series(session, watermark, end)
    settled = max(watermark, min(end, hour_of(now - lag)))
    derived.rebuild_daily(session, target, watermark, settled)  # days that just became final, if any
    session.execute(update(_STATE).where(_STATE.c.source == source.name).values(watermark_hour=settled))
    if source.feeds_series:
        derived.settle_series(session, now)  # the series' twins follow the older of usage and runs
    return end > current


def run_rollup(
    *, engine: Engine | None = None, now: datetime | None = None, batch_hours: int = BATCH_HOURS, lag: timedelta = LAG
) -> int:
    """Bring every rollup up to ``now`` (blocking; run it off the event loop).

    Args:
        engine: Database (default: the configured one).
        now: The current time, aware (tests pass a fixed one); default ``utcnow()``.
        batch_hours: Hours per transaction.
        lag: See :data:`LAG`.

    Returns:
        The number of transactions (batches) it took.
    """
    moment = now or utcnow()
    batches = 0
    for source in SOURCES:
        done = False
        while not done:
            with session_scope(engine) as session:
                done = _batch(session, source, moment, batch_hours, lag)
            batches += 1
    return batches


def _written_since(moment: datetime) -> bool:
    """Whether any source's raw rows have a timestamp at or after ``moment`` (one index probe each)."""
    columns = {str(source.time_column): source.time_column for source in SOURCES}.values()
    with session_scope() as session:
        return any(
            session.execute(select(column).where(column >= moment).limit(1)).first() is not None for column in columns
        )


def catch_up() -> None:
    """Make the rollups include every raw row committed before this call (blocking).

    Called before analytics queries so their figures include the calls made just before. Callers
    share passes: one that waited while another pass ran returns at once if that pass began after
    it was called (so a page load costs at most one pass, however many load at the same time).
    Otherwise a pass runs, unless no raw row is timestamped later than :data:`WRITE_SLACK` before
    the last pass began (an index probe per raw table: nothing was written since).
    """
    global _last_pass_began, _last_pass_began_at
    asked = time.monotonic()
    with _catch_up_lock:
        if _last_pass_began > asked:
            return
        if _last_pass_began_at is not None and not _written_since(_last_pass_began_at - WRITE_SLACK):
            return
        began, began_at = time.monotonic(), utcnow()
        run_rollup()
        _last_pass_began, _last_pass_began_at = began, began_at


def rebuild_from(since: datetime, *, engine: Engine | None = None) -> None:
    """Make every hour from ``since`` on be recomputed by the next pass (rows written with older
    timestamps, e.g. imported or restored ones); the rollups stay correct meanwhile."""
    global _last_pass_began_at
    _last_pass_began_at = None  # the next catch-up passes, whatever the rows' timestamps
    hour = hour_of(since)
    with session_scope(engine) as session:
        session.execute(
            update(_STATE).where(_STATE.c.watermark_hour > hour).values(watermark_hour=hour, updated_at=utcnow())
        )


def run_scheduled() -> None:
    """The worker's pass (:func:`run_rollup`); a failure is logged and retried next time."""
    try:
        run_rollup()
    except Exception:
        log.exception("analytics rollup pass failed; retried at the next maintenance pass")
