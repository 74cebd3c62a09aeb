"""usage rollup: hourly analytics rollups of usage records, finished runs and tool calls.

Adds ``analytics_usage_hourly``, ``analytics_end_user_hourly``, ``analytics_run_hourly``,
``analytics_tool_hourly`` (dimensions as the primary key, ``hour`` = whole hours since the Unix
epoch, UTC), their ``*_daily`` twins, ``analytics_series_hourly`` (the charts' rows),
``analytics_rollup_state`` (a ``lock`` row, and one watermark per rollup starting at 0: the first
rollup pass builds them from the existing rows) and indexes on ``runs.finished_at``,
``runs (agent_id, created_at)`` and ``tool_audit.created_at``.

Revision ID: 0016_usage_rollup
Revises: 0012_hold_index
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016_usage_rollup"
down_revision = "0015_marketplace"
branch_labels = None
depends_on = None

BUCKETS = 17  # backend.models.analytics.LATENCY_BUCKETS when this revision was written
SOURCES = ("lock", "usage", "end_users", "runs", "tools")


def _key(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=False)


def _hour() -> sa.Column:
    return sa.Column("hour", sa.BigInteger(), nullable=False, autoincrement=False)


def _big(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _int(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False)


def _rollup(name: str, keys: list[tuple[str, int]], counts: list[str], sums: list[str], extra: list[str]) -> None:
    """The hourly table ``name`` and its daily twin (``_hourly`` -> ``_daily``), same columns."""
    for table in (name, name.replace("_hourly", "_daily")):
        op.create_table(
            table,
            _key("workspace_id", 32),
            _hour(),
            *[_key(k, n) for k, n in keys],
            *[_int(c) for c in counts],
            *[_big(s) for s in sums],
            *[_int(c) for c in extra],
            sa.PrimaryKeyConstraint("workspace_id", "hour", *[k for k, _ in keys]),
        )
        op.create_index(f"ix_{table}_hour", table, ["hour"])


def upgrade() -> None:
    histogram = [f"{kind}_{i}" for i in range(BUCKETS) for kind in ("lat", "ttft")]
    _rollup(
        "analytics_usage_hourly",
        [
            ("agent_id", 32),
            ("connection_id", 32),
            ("provider", 40),
            ("model", 200),
            ("status", 20),
            ("error_class", 40),
        ],
        ["calls", "ttft_calls"],
        ["prompt_tokens", "completion_tokens", "cached_tokens", "cost_nano_usd", "latency_ms_sum", "ttft_ms_sum"],
        histogram,
    )
    _rollup(
        "analytics_end_user_hourly",
        [("agent_id", 32), ("end_user_id", 64)],
        ["calls", "errors"],
        ["prompt_tokens", "completion_tokens", "cost_nano_usd"],
        [],
    )
    _rollup(
        "analytics_run_hourly",
        [("agent_id", 32), ("model", 200), ("provider", 40), ("status", 20)],
        ["runs"],
        ["prompt_tokens", "completion_tokens", "cost_nano_usd", "latency_ms_sum"],
        [],
    )
    _rollup(
        "analytics_tool_hourly",
        [("agent_id", 32), ("tool_name", 64), ("status", 10)],
        ["calls"],
        ["duration_ms_sum"],
        [],
    )
    op.create_table(
        "analytics_series_hourly",
        _key("workspace_id", 32),
        _key("agent_id", 32),
        _hour(),
        *[_int(c) for c in ("calls", "ok", "cancelled", "rejected")],
        *[_big(c) for c in ("prompt_tokens", "completion_tokens", "cached_tokens", "cost_nano_usd", "latency_ms_sum")],
        _int("ttft_calls"),
        _big("ttft_ms_sum"),
        *[_int(c) for c in ("runs", "succeeded", "failed", "runs_cancelled")],
        _big("run_cost_nano_usd"),
        *[_int(c) for c in histogram],
        sa.PrimaryKeyConstraint("workspace_id", "agent_id", "hour"),
    )
    op.create_index("ix_analytics_series_hourly_hour", "analytics_series_hourly", ["hour"])
    state = op.create_table(
        "analytics_rollup_state",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        _big("watermark_hour"),
        _big("passes"),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source"),
    )
    op.bulk_insert(
        state,
        [{"source": s, "watermark_hour": 0, "passes": 0, "updated_at": datetime.now(UTC)} for s in SOURCES],
    )
    op.create_index("ix_runs_finished_at", "runs", ["finished_at"])
    op.create_index("ix_runs_agent_created", "runs", ["agent_id", "created_at"])
    op.create_index("ix_tool_audit_created_at", "tool_audit", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_tool_audit_created_at", table_name="tool_audit")
    op.drop_index("ix_runs_agent_created", table_name="runs")
    op.drop_index("ix_runs_finished_at", table_name="runs")
    op.drop_table("analytics_rollup_state")
    op.drop_table("analytics_series_hourly")
    for name in ("tool", "run", "end_user", "usage"):
        op.drop_table(f"analytics_{name}_daily")
        op.drop_table(f"analytics_{name}_hourly")
