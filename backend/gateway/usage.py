"""Usage records: one row per gateway call, a run's totals, and totals for a time range.

Usage records are the one truth for money (integer nano-USD). The router writes the record
(:func:`record_usage`) in the same transaction that settles the call's budget hold and writes
its billing-outbox row, so spend on a budget, the records that explain it and what billing will
charge never disagree. A run's figures are :func:`run_totals` of its records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session, col

from backend.db import DbConn, connection_of
from backend.gateway.hygiene import safe_error_text
from backend.models.common import new_id, utcnow
from backend.models.gateway import UsageRecord
from backend.models.outbox import BillingOutbox

_COLUMNS = tuple(c.name for c in UsageRecord.__table__.columns)  # type: ignore[attr-defined]
_INSERT = insert(UsageRecord.__table__)  # type: ignore[attr-defined]
_OUTBOX_INSERT = insert(BillingOutbox.__table__)  # type: ignore[attr-defined]


def is_billable(record: UsageRecord) -> bool:
    """True when a record charged money or tokens (the rule for a billing-outbox row)."""
    return record.cost_nano_usd > 0 or record.prompt_tokens + record.completion_tokens > 0


def insert_usage(session: DbConn, values: dict[str, Any], *, secret: str | None = None) -> None:
    """Insert a usage record given as column values (every column of ``usage_records``), with its
    error text redacted and its billing-outbox row when it is billable, in ``session``'s
    transaction (the caller commits): both commit or roll back together.

    The gateway's hot path: two prebuilt Core INSERTs on the session's connection, no ORM object.
    ``values["error"]``/``values["cost_note"]`` are updated in place to what was stored.
    """
    values["error"] = safe_error_text(values["error"], secret) if values["error"] else ""
    values["cost_note"] = values["cost_note"][:300]
    conn = connection_of(session)
    conn.execute(_INSERT, values)
    cost, tokens = values["cost_nano_usd"], values["prompt_tokens"] + values["completion_tokens"]
    if cost > 0 or tokens > 0:  # is_billable; in the same transaction
        outbox = {
            "id": new_id(),
            "usage_record_id": values["id"],
            "workspace_id": values["workspace_id"],
            "amount_nano_usd": cost,
            "created_at": utcnow(),
            "attempts": 0,
            "last_error": "",
        }
        conn.execute(_OUTBOX_INSERT, outbox)


def record_usage(session: Session, record: UsageRecord, *, secret: str | None = None) -> UsageRecord:
    """Add a usage record to ``session`` (the caller commits), with its error text redacted, and
    its billing-outbox row when it is billable (:func:`is_billable`), so both commit or roll
    back together (see :func:`insert_usage`).

    Args:
        session: Open session.
        record: The filled-in row.
        secret: The API key used for the call, scrubbed from ``error`` too.

    Returns:
        The same row (not attached to ``session``: it is inserted with a Core statement).
    """
    values = {name: getattr(record, name) for name in _COLUMNS}
    insert_usage(session, values, secret=secret)
    record.error, record.cost_note = values["error"], values["cost_note"]
    return record


@dataclass(frozen=True)
class RunTotals:
    """A run's figures from its usage records: tokens, cost (nano-USD) and the distinct cost
    notes joined by ``"; "`` (at most 300 characters)."""

    prompt_tokens: int
    completion_tokens: int
    cost_nano_usd: int
    cost_note: str


def run_totals(session: Session, run_id: str) -> RunTotals:
    """Sum a run's usage records (delegated runs' calls carry the root run's id, so they are
    included); call it in the transaction that finishes the run."""
    prompt, output, cost = session.execute(
        select(
            func.coalesce(func.sum(col(UsageRecord.prompt_tokens)), 0),
            func.coalesce(func.sum(col(UsageRecord.completion_tokens)), 0),
            func.coalesce(func.sum(col(UsageRecord.cost_nano_usd)), 0),
        ).where(col(UsageRecord.run_id) == run_id)
    ).one()
    notes = session.execute(
        select(col(UsageRecord.cost_note))
        .where(col(UsageRecord.run_id) == run_id, col(UsageRecord.cost_note) != "")
        .order_by(col(UsageRecord.created_at))
    ).scalars()
    note = "; ".join(dict.fromkeys(n for text in notes for n in text.split("; ") if n))[:300]
    return RunTotals(int(prompt), int(output), int(cost), note)
