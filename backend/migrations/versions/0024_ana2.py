"""ana2: daily and weekly twins of the charts' series; all-agents rows in the end-user rollup.

Adds ``analytics_series_daily`` and ``analytics_series_weekly`` (the columns and primary key of
``analytics_series_hourly``, an index on ``hour``) and a ``series`` watermark in
``analytics_rollup_state`` (the older of the ``usage`` and ``runs`` watermarks), and fills the
twins for every day and week already final, so a chart or per-agent table over 90 days reads a
few dozen rows per agent instead of 2,160. Adds one row per workspace, hour (day, week) and end
user with ``agent_id = '*'`` (all agents) to the end-user rollup and its twins, and a covering
index ``(workspace_id, agent_id, hour, end_user_id, cost_nano_usd, calls, errors, prompt_tokens,
completion_tokens)`` on each, so the end-user table reads one row per end user and piece.

Revision ID: 0024_ana2
Revises: 0023_identities
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0024_ana2"
down_revision = "0023_identities"
branch_labels = None
depends_on = None

WEEK = 168
END_USER_INDEX: tuple[str, ...] = ("workspace_id", "agent_id", "hour", "end_user_id", "cost_nano_usd", "calls")
END_USER_INDEX += ("errors", "prompt_tokens", "completion_tokens")


def _copy_columns(table: sa.Table) -> list[sa.Column]:
    return [sa.Column(c.name, c.type, nullable=False, autoincrement=False) for c in table.columns]


def _fill(bind: sa.engine.Connection, source: sa.Table, target: sa.Table, span: int, last: int) -> None:
    """``target``'s rows (spans of ``span`` hours) of every hour before ``last`` from ``source``."""
    start = source.c.hour.op("/")(sa.literal_column(str(span))).op("*")(sa.literal_column(str(span)))
    keys = [c.name for c in source.primary_key.columns]
    group = [start if k == "hour" else source.c[k] for k in keys]
    sums = [sa.func.sum(c) for c in source.columns if not c.primary_key]
    rows = sa.select(*group, *sums).where(source.c.hour < last).group_by(*group)
    bind.execute(sa.insert(target).from_select(keys + [c.name for c in source.columns if not c.primary_key], rows))


def _series_twins(bind: sa.engine.Connection, meta: sa.MetaData, state: sa.Table) -> None:
    marks = dict(bind.execute(sa.select(state.c.source, state.c.watermark_hour)).all())
    watermark = min(int(marks.get("usage") or 0), int(marks.get("runs") or 0))
    hourly = sa.Table("analytics_series_hourly", meta, autoload_with=bind)
    twins = []
    for name in ("analytics_series_daily", "analytics_series_weekly"):
        twins.append(
            op.create_table(name, *_copy_columns(hourly), sa.PrimaryKeyConstraint("workspace_id", "agent_id", "hour"))
        )
        op.create_index(f"ix_{name}_hour", name, ["hour"])
    _fill(bind, hourly, twins[0], 24, watermark // 24 * 24)
    _fill(bind, twins[0], twins[1], WEEK, watermark // WEEK * WEEK)
    now = datetime.now(UTC)
    bind.execute(sa.insert(state).values(source="series", watermark_hour=watermark, passes=0, updated_at=now))


def upgrade() -> None:
    bind = op.get_bind()
    meta = sa.MetaData()
    state = sa.Table("analytics_rollup_state", meta, autoload_with=bind)
    _series_twins(bind, meta, state)
    for tier in ("hourly", "daily", "weekly"):
        name = f"analytics_end_user_{tier}"
        table = sa.Table(name, meta, autoload_with=bind)
        c = table.c
        sums = [sa.func.sum(c[n]) for n in ("calls", "errors", "prompt_tokens", "completion_tokens", "cost_nano_usd")]
        everyone = sa.select(c.workspace_id, c.hour, sa.literal_column("'*'"), c.end_user_id, *sums)
        everyone = everyone.where(c.agent_id != "*").group_by(c.workspace_id, c.hour, c.end_user_id)
        names = ["workspace_id", "hour", "agent_id", "end_user_id", "calls", "errors"]
        bind.execute(
            sa.insert(table).from_select([*names, "prompt_tokens", "completion_tokens", "cost_nano_usd"], everyone)
        )
        op.create_index(f"ix_{name}_agent", name, list(END_USER_INDEX))


def downgrade() -> None:
    bind = op.get_bind()
    for tier in ("hourly", "daily", "weekly"):
        name = f"analytics_end_user_{tier}"
        op.drop_index(f"ix_{name}_agent", table_name=name)
        table = sa.Table(name, sa.MetaData(), autoload_with=bind)
        bind.execute(sa.delete(table).where(table.c.agent_id == "*"))
    bind.execute(sa.text("DELETE FROM analytics_rollup_state WHERE source = 'series'"))
    op.drop_table("analytics_series_weekly")
    op.drop_table("analytics_series_daily")
