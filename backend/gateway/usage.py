"""Usage records: one row per gateway call, and totals for a time range.

The router writes the record (:func:`record_usage`) in the same transaction that settles the
call's budget hold, so spend on a budget and the records that explain it never disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import String, case, cast, func, insert, select
from sqlmodel import Session, col

from backend.accounts.actor import Actor, require_member
from backend.gateway.hygiene import safe_error_text
from backend.models.gateway import UsageRecord, UsageTotal

GroupBy = Literal["agent", "model", "end_user", "day"]
_COLUMNS = tuple(c.name for c in UsageRecord.__table__.columns)  # type: ignore[attr-defined]
_INSERT = insert(UsageRecord.__table__)  # type: ignore[attr-defined]


def record_usage(session: Session, record: UsageRecord, *, secret: str | None = None) -> UsageRecord:
    """Add a usage record to ``session`` (the caller commits), with its error text redacted.

    Args:
        session: Open session.
        record: The filled-in row.
        secret: The API key used for the call, scrubbed from ``error`` too.

    Returns:
        The same row (not attached to ``session``: it is inserted with a Core statement).
    """
    record.error = safe_error_text(record.error, secret) if record.error else ""
    record.cost_note = record.cost_note[:300]
    # A Core INSERT of the row's values: no unit of work to flush (this runs for every call).
    session.execute(_INSERT, [{name: getattr(record, name) for name in _COLUMNS}])
    return record


def _day(session: Session) -> Any:
    """``YYYY-MM-DD`` (UTC) of ``created_at`` on SQLite or PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", col(UsageRecord.created_at)), "YYYY-MM-DD")
    return func.substr(cast(col(UsageRecord.created_at), String), 1, 10)


def usage_totals(
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    group_by: GroupBy,
    agent_id: str | None = None,
    session: Session,
) -> list[UsageTotal]:
    """Totals of the workspace's usage records created in ``[start, end)``.

    Args:
        actor: Who asks (any member of the workspace).
        start: Inclusive lower bound, aware datetime.
        end: Exclusive upper bound, aware datetime.
        group_by: ``"agent"`` (agent id), ``"model"``, ``"end_user"`` (end user id) or
            ``"day"`` (``YYYY-MM-DD`` in UTC).
        agent_id: Only this agent's records, if given.
        session: Open session.

    Returns:
        One :class:`UsageTotal` per key (``""`` for records without an agent or end user),
        sorted by key; tokens summed, ``cost_usd`` in USD, ``errors`` counts calls whose
        status is not ``ok``.

    Raises:
        PermissionDenied: the actor is not a member of the workspace.
        ValueError: unknown ``group_by``.
    """
    require_member(actor, session)
    keys: dict[str, Any] = {
        "agent": func.coalesce(col(UsageRecord.agent_id), ""),
        "model": col(UsageRecord.model),
        "end_user": func.coalesce(col(UsageRecord.end_user_id), ""),
        "day": None,
    }
    if group_by not in keys:
        raise ValueError(f"group_by must be one of {', '.join(keys)}")
    key = keys[group_by] if group_by != "day" else _day(session)
    stmt = (
        select(
            key.label("key"),
            func.count().label("calls"),
            func.sum(case((col(UsageRecord.status) == "ok", 0), else_=1)).label("errors"),
            func.sum(col(UsageRecord.prompt_tokens)).label("prompt"),
            func.sum(col(UsageRecord.completion_tokens)).label("completion"),
            func.sum(col(UsageRecord.cached_tokens)).label("cached"),
            func.sum(col(UsageRecord.cost_usd)).label("cost"),
        )
        .where(
            col(UsageRecord.workspace_id) == actor.workspace_id,
            col(UsageRecord.created_at) >= start,
            col(UsageRecord.created_at) < end,
        )
        .group_by(key)
        .order_by(key)
    )
    if agent_id:
        stmt = stmt.where(col(UsageRecord.agent_id) == agent_id)
    return [
        UsageTotal(
            key=str(row.key),
            calls=int(row.calls),
            errors=int(row.errors or 0),
            prompt_tokens=int(row.prompt or 0),
            completion_tokens=int(row.completion or 0),
            cached_tokens=int(row.cached or 0),
            cost_usd=float(row.cost or 0.0),
        )
        for row in session.execute(stmt).all()
    ]
