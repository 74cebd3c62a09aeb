"""The billing outbox: one row per billable usage record, written in the record's transaction.

A usage record is billable when it charged money or tokens (``cost_nano_usd > 0`` or
``prompt_tokens + completion_tokens > 0``): rejected calls and failures before any token are
not. The billing worker (``billing.outbox``) claims rows (``claimed_at``), turns them into ledger
rows (run charges; in Stripe mode metered charges are sent as Meter Events with the usage
record's id as identifier) and marks them ``done_at`` in the same transaction;
``attempts``/``last_error`` record failed attempts. ``usage_record_id`` is unique, so a
record can never be billed twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from backend.models.common import new_id, utcnow


class BillingOutbox(SQLModel, table=True):
    """A billable usage record waiting to be metered (``amount_nano_usd`` in nano-USD)."""

    __tablename__ = "billing_outbox"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    usage_record_id: str = Field(foreign_key="usage_records.id", unique=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    amount_nano_usd: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    created_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    done_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
