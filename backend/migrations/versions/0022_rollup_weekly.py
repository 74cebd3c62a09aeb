"""rollup weekly: weekly twins of the hourly analytics rollups.

Adds ``analytics_{usage,end_user,run,tool}_weekly`` with the columns and primary key of their
daily twins (``hour`` = the first hour of a 168-hour week counted from the Unix epoch) and an
index on ``hour``, then fills them from the daily twins for every week already final (behind the
rollup's watermark), so long ranges read whole weeks at once (``backend.analytics.derived``).

Revision ID: 0022_rollup_weekly
Revises: 0021_plans
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_rollup_weekly"
down_revision = "0021_plans"
branch_labels = None
depends_on = None

ROLLUPS = {"usage": "usage", "end_user": "end_users", "run": "runs", "tool": "tools"}
"""Table infix -> its rollup's ``analytics_rollup_state.source``."""
WEEK = 168


def _copy_columns(daily: sa.Table) -> list[sa.Column]:
    return [sa.Column(c.name, c.type, nullable=False, autoincrement=False) for c in daily.columns]


def upgrade() -> None:
    bind = op.get_bind()
    meta = sa.MetaData()
    state = sa.Table("analytics_rollup_state", meta, autoload_with=bind)
    for infix, source in ROLLUPS.items():
        daily = sa.Table(f"analytics_{infix}_daily", meta, autoload_with=bind)
        keys = [c.name for c in daily.primary_key.columns]
        name = f"analytics_{infix}_weekly"
        weekly = op.create_table(name, *_copy_columns(daily), sa.PrimaryKeyConstraint(*keys))
        op.create_index(f"ix_{name}_hour", name, ["hour"])
        watermark = bind.execute(sa.select(state.c.watermark_hour).where(state.c.source == source)).scalar() or 0
        last = int(watermark) // WEEK * WEEK
        week = daily.c.hour.op("/")(sa.literal_column(str(WEEK))).op("*")(sa.literal_column(str(WEEK)))
        group = [week if k == "hour" else daily.c[k] for k in keys]
        sums = [sa.func.sum(c) for c in daily.columns if not c.primary_key]
        rows = sa.select(*group, *sums).where(daily.c.hour < last).group_by(*group)
        names = keys + [c.name for c in daily.columns if not c.primary_key]
        bind.execute(sa.insert(weekly).from_select(names, rows))


def downgrade() -> None:
    for infix in ROLLUPS:
        op.drop_table(f"analytics_{infix}_weekly")
