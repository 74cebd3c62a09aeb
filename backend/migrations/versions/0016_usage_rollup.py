"""usage rollup: hourly analytics rollups of usage records, finished runs and tool calls.

Adds ``analytics_usage_hourly``, ``analytics_end_user_hourly``, ``analytics_run_hourly``,
``analytics_tool_hourly`` (dimensions as the primary key, ``hour`` = whole hours since the Unix
epoch, UTC), ``analytics_rollup_state`` (one watermark per rollup, starting at 0: the first
rollup pass builds them from the existing rows) and an index on ``runs.finished_at``.

Revision ID: 0016_usage_rollup
Revises: 0012_hold_index
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016_usage_rollup"
down_revision = "0012_hold_index"
branch_labels = None
depends_on = None

BUCKETS = 17  # backend.models.analytics.LATENCY_BUCKETS when this revision was written
SOURCES = ("usage", "end_users", "runs", "tools")


def _key(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=False)


def _hour() -> sa.Column:
    return sa.Column("hour", sa.BigInteger(), nullable=False, autoincrement=False)


def _big(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _int(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False)


def _rollup(name: str, keys: list[tuple[str, int]], counts: list[str], sums: list[str], extra: list[sa.Column]) -> None:
    op.create_table(
        name,
        _key("workspace_id", 32),
        _hour(),
        *[_key(k, n) for k, n in keys],
        *[_int(c) for c in counts],
        *[_big(s) for s in sums],
        *extra,
        sa.PrimaryKeyConstraint("workspace_id", "hour", *[k for k, _ in keys]),
    )


def upgrade() -> None:
    histogram = [_int(f"{kind}_{i}") for i in range(BUCKETS) for kind in ("lat", "ttft")]
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


def downgrade() -> None:
    op.drop_index("ix_runs_finished_at", table_name="runs")
    for name in ("state", "tool_hourly", "run_hourly", "end_user_hourly", "usage_hourly"):
        op.drop_table(f"analytics_{name}" if name != "state" else "analytics_rollup_state")
