"""LLM gateway records: usage, budgets (with per-period counters and reservations), rate-limit
rules and per-connection model price/context overrides.

Money: usage rows (like runs and budget counters) keep exact integer **nano-USD**
(1 USD = 1,000,000,000) so that sums, reservations and settlements add up without
floating-point drift and the conditional ``UPDATE`` compares integers. Usage records are the
one truth for money: a run's totals are their sum, and each billable one has a billing-outbox
row written in the same transaction (``backend.models.outbox``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from backend.models.common import new_id, utcnow

NANO_PER_USD = 1_000_000_000
"""Budget counters are integers in nano-USD."""

UNSETTLED_SQL = "settled = false"
"""Predicate of the partial index over unsettled budget holds; queries repeat it verbatim so
SQLite's planner (which matches partial-index terms literally) and PostgreSQL's can use it."""

BUDGET_SCOPES = ("workspace", "agent", "end_user")
"""What a budget or a rate-limit rule applies to."""

BUDGET_PERIODS = ("day", "month")
"""Budget periods; both start at 00:00 UTC (a month on its first day)."""


def usd_to_nano(usd: float) -> int:
    """A USD amount (e.g. LiteLLM's float price) as integer nano-USD, rounded to the nearest."""
    return round(round(usd * NANO_PER_USD, 3))


def nano_to_usd(nano_usd: int) -> float:
    """Integer nano-USD as a USD float, for display only (never add these up)."""
    return nano_usd / NANO_PER_USD


def parse_usd(value: Decimal | str | int | float) -> Decimal:
    """A USD amount typed by a person (``"0.50"``, ``Decimal("2.5")``, ``3``) as an exact Decimal.

    A float is read through its shortest text (``0.1`` -> ``Decimal("0.1")``), i.e. the number
    that was typed, not its binary approximation.

    Raises:
        ValueError: not a number, or not finite (NaN, infinity).
    """
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount


def usd_to_nano_exact(value: Decimal | str | int | float) -> int:
    """A USD amount (see :func:`parse_usd`) as integer nano-USD, rounded half up (exact decimal maths).

    Raises:
        ValueError: as :func:`parse_usd`.
    """
    return int((parse_usd(value) * NANO_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def nano_to_decimal_usd(nano_usd: int) -> Decimal:
    """Integer nano-USD as an exact USD Decimal (``1_500_000_000`` -> ``Decimal("1.5")``)."""
    return (Decimal(nano_usd) / NANO_PER_USD).normalize()


def _bigint() -> Any:
    return Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class UsageRecord(SQLModel, table=True):
    """One gateway call (``stream_chat``), whatever happened: answered, failed or rejected.

    ``workspace_id`` is the agent's owner (charged), ``end_user_id`` whom the call served and
    ``caller_kind``/``caller_id`` who started the run (``backend.accounts.principal``).
    One row per call, not per attempt: ``fallback_path`` lists every candidate tried, in order,
    as ``[{"connection_id", "model", "outcome", "error_kind", "status_code", "tries", "ms"}]``.
    ``connection_id``/``provider``/``model`` are those of the candidate that answered (or the
    last one tried). ``status`` is ``ok``, ``error``, ``cancelled`` or ``rejected`` (rate limit,
    budget or size cap before any provider call); ``error_class`` is the ``GatewayError`` kind.
    Units: tokens; ``cost_nano_usd`` nano-USD; ``latency_ms``/``ttft_ms`` ms from the start of the call
    (retries and fallbacks included).
    """

    __tablename__ = "usage_records"
    __table_args__ = (Index("ix_usage_records_workspace_created", "workspace_id", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    agent_id: str | None = Field(default=None, index=True, max_length=32)
    end_user_id: str | None = Field(default=None, index=True, max_length=64)
    caller_kind: str = Field(default="", max_length=20)  # "member", "grant", "api_key"; "" outside a run
    caller_id: str | None = Field(default=None, max_length=32)
    run_id: str | None = Field(default=None, index=True, max_length=32)
    connection_id: str | None = Field(default=None, max_length=32)
    provider: str = Field(default="", max_length=40)
    model: str = Field(default="", max_length=200)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_nano_usd: int = _bigint()
    cost_note: str = Field(default="", max_length=300)
    latency_ms: int = 0
    ttft_ms: int | None = None
    status: str = Field(default="ok", max_length=20)
    error_class: str = Field(default="", max_length=40)
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    fallback_path: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    streamed: bool = True
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Budget(SQLModel, table=True):
    """A spend cap for a workspace, an agent or an end user, per day or per month (UTC).

    ``limit_nano`` caps cost in integer nano-USD (migration 0014 converted the former float
    ``limit_usd`` exactly); ``token_limit`` caps prompt + completion tokens. Either may be None
    (no cap). A dollar cap cannot be checked against a model without a known price: the gateway
    refuses such a call (``budgets.UnpricedModel``) rather than count it as $0; a token cap binds
    every model.
    """

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("workspace_id", "scope", "scope_id", "period", name="uq_budget_scope_period"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    scope: str = Field(max_length=20)
    scope_id: str = Field(max_length=64)
    period: str = Field(max_length=10)
    limit_nano: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    token_limit: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_by: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def limit_usd(self) -> Decimal | None:
        """The dollar cap as an exact Decimal, for display (None: no dollar cap)."""
        return None if self.limit_nano is None else nano_to_decimal_usd(self.limit_nano)


class BudgetCounter(SQLModel, table=True):
    """Spent and reserved amounts of one budget in one period (nano-USD and tokens).

    The id is derived from ``(budget_id, period_start)`` (see ``gateway.budgets.counter_id``),
    so a reservation can address the row without reading it first.
    """

    __tablename__ = "budget_counters"
    __table_args__ = (UniqueConstraint("budget_id", "period_start", name="uq_budget_counter_period"),)

    id: str = Field(primary_key=True, max_length=32)
    budget_id: str = Field(foreign_key="budgets.id", ondelete="CASCADE", index=True, max_length=32)
    period_start: datetime
    spent_nanousd: int = _bigint()
    reserved_nanousd: int = _bigint()
    spent_tokens: int = _bigint()
    reserved_tokens: int = _bigint()


class BudgetReservation(SQLModel, table=True):
    """Money and tokens held on one counter for one call until it is settled or expires.

    All reservations of one call share ``hold_id``. A row lives only while its call is in
    progress: settling the call (or releasing an expired hold of a crashed process) deletes it,
    so the table and its partial index over unsettled holds (``UNSETTLED_SQL``) stay small.
    ``settled``/``expired`` are kept for rows of older versions (migration 0012 pruned them).
    """

    __tablename__ = "budget_reservations"
    __table_args__ = (
        Index(
            "ix_budget_reservations_unsettled",
            "expires_at",
            postgresql_where=text(UNSETTLED_SQL),
            sqlite_where=text(UNSETTLED_SQL),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    hold_id: str = Field(index=True, max_length=32)
    run_id: str | None = Field(default=None, index=True, max_length=32)  # the run of the call, if any
    counter_id: str = Field(foreign_key="budget_counters.id", ondelete="CASCADE", index=True, max_length=32)
    amount_nanousd: int = _bigint()
    tokens: int = _bigint()
    expires_at: datetime
    settled: bool = False
    expired: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class RateLimitRule(SQLModel, table=True):
    """Requests per minute and/or tokens per minute for a workspace, an agent or an end user."""

    __tablename__ = "rate_limit_rules"
    __table_args__ = (UniqueConstraint("workspace_id", "scope", "scope_id", name="uq_rate_limit_scope"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    scope: str = Field(max_length=20)
    scope_id: str = Field(max_length=64)
    requests_per_min: int | None = None
    tokens_per_min: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ModelOverride(SQLModel, table=True):
    """Price and context window of one model on one connection, overriding LiteLLM's map.

    Units: USD per 1,000,000 tokens; ``context_window`` in tokens. None keeps LiteLLM's value.
    """

    __tablename__ = "model_overrides"
    __table_args__ = (UniqueConstraint("connection_id", "model", name="uq_model_override"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    connection_id: str = Field(foreign_key="connections.id", ondelete="CASCADE", index=True, max_length=32)
    model: str = Field(max_length=200)
    input_usd_per_1m: float | None = None
    output_usd_per_1m: float | None = None
    context_window: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class BudgetPublic(SQLModel):
    """A budget with its current period's figures (tokens; ``resets_at`` UTC).

    Money: ``limit_nano``/``spent_nano``/``reserved_nano`` in integer nano-USD (pages format them).
    """

    id: str
    scope: str
    scope_id: str
    period: str
    limit_nano: int | None
    token_limit: int | None
    spent_nano: int
    reserved_nano: int
    spent_tokens: int
    reserved_tokens: int
    period_start: datetime
    resets_at: datetime


class RateLimitPublic(SQLModel):
    """A rate-limit rule (per minute)."""

    id: str
    scope: str
    scope_id: str
    requests_per_min: int | None
    tokens_per_min: int | None


class CatalogEntry(SQLModel):
    """A model reachable through a connection. Prices in USD per 1M tokens; None = unknown.

    ``price_source`` is ``litellm`` (LiteLLM's bundled map), ``override`` (set on the
    connection) or ``unknown``.
    """

    connection_id: str
    connection_name: str
    provider: str
    provider_label: str
    model: str
    context_window: int | None
    max_output_tokens: int | None
    input_usd_per_1m: float | None
    output_usd_per_1m: float | None
    price_source: str


class UsageTotal(SQLModel):
    """Totals of usage records for one group key (an agent id, model, end user id or day).

    Units: tokens; ``cost_nano_usd`` nano-USD (the UI formats dollars from it).
    """

    key: str
    calls: int
    errors: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_nano_usd: int
