"""Usage totals for the Settings page, from the hourly rollups (never from raw usage records).

The Settings usage panel ("last 7 / 30 days, by agent, model, day or end user") reads the same
rollups as the analytics page (``backend.analytics.rollup``), so its cost does not grow with the
number of usage records: one small grouped query over at most a few hundred rollup rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import case, func, select
from sqlmodel import Session

from backend.accounts.actor import Actor, require_member
from backend.analytics.derived import USAGE, spanned
from backend.analytics.rollup import catch_up, hour_of
from backend.models.analytics import ALL_AGENTS, EndUserHourly
from backend.models.gateway import UsageTotal

TotalsBy = Literal["agent", "model", "end_user", "day"]
END_USERS = EndUserHourly.__table__  # type: ignore[attr-defined]


def _sums(t: Any, errors: Any) -> list[Any]:
    cached = func.sum(t.c.cached_tokens) if "cached_tokens" in t.c else func.sum(0)
    return [
        func.sum(t.c.calls),
        errors,
        func.sum(t.c.prompt_tokens),
        func.sum(t.c.completion_tokens),
        cached,
        func.sum(t.c.cost_nano_usd),
    ]


def _day_key(day: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)).strftime("%Y-%m-%d")


def usage_totals(
    *, actor: Actor, start_hour: int, end_hour: int, group_by: TotalsBy, session: Session
) -> list[UsageTotal]:
    """Gateway calls of the actor's workspace in UTC hours ``[start_hour, end_hour)``, per group.

    Args:
        actor: Who asks (any member of the workspace).
        start_hour: First hour (whole hours since 1970-01-01 UTC, ``rollup.hour_of``).
        end_hour: Hour after the last one.
        group_by: ``"agent"`` (agent id), ``"model"``, ``"end_user"`` (end user id) or ``"day"``
            (``YYYY-MM-DD``, UTC).
        session: Open session.

    Returns:
        One :class:`~backend.models.gateway.UsageTotal` per key (``""`` for calls without an
        agent or end user), unordered; ``errors`` counts calls whose status is not ``ok``;
        tokens, cost in nano-USD (``cached_tokens`` is 0 for the end-user grouping, which the
        end-user rollup does not keep).

    Raises:
        PermissionDenied: the actor is not a member of the workspace.
        ValueError: unknown ``group_by``.
    """
    require_member(actor, session)
    if group_by not in ("agent", "model", "end_user", "day"):
        raise ValueError("group_by must be one of agent, model, end_user, day")
    ws = actor.workspace_id
    if group_by == "end_user":
        t = spanned(session, END_USERS, ws, start_hour, end_hour, ALL_AGENTS)
        key: Any = t.c.end_user_id
        errors = func.sum(t.c.errors)
    else:
        t = spanned(session, USAGE, ws, start_hour, end_hour, None)
        key = {"agent": t.c.agent_id, "model": t.c.model}.get(group_by, t.c.hour.op("/")(24))
        errors = func.sum(case((t.c.status == "ok", 0), else_=t.c.calls))
    rows = session.execute(select(key, *_sums(t, errors)).group_by(key)).all()
    return [
        UsageTotal(
            key=_day_key(int(k)) if group_by == "day" else str(k or ""),
            calls=int(calls),
            errors=int(errs),
            prompt_tokens=int(p),
            completion_tokens=int(c),
            cached_tokens=int(cached),
            cost_nano_usd=int(cost),
        )
        for k, calls, errs, p, c, cached, cost in rows
    ]


def recent_usage_totals(
    *, actor: Actor, days: int, group_by: TotalsBy, session: Session, now: datetime | None = None
) -> list[UsageTotal]:
    """:func:`usage_totals` of the last ``days`` days: the ``days × 24`` whole UTC hours ending with
    the current one. Brings the rollups up to date first (blocking: call it off the event loop)."""
    catch_up()
    end_hour = hour_of(now or datetime.now(UTC)) + 1
    return usage_totals(
        actor=actor, start_hour=end_hour - days * 24, end_hour=end_hour, group_by=group_by, session=session
    )
