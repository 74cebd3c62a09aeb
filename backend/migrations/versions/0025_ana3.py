"""ana3: indexes for one agent's drill-down (slowest runs, failed runs, conversation starters).

Adds two partial indexes on ``runs``: ``ix_runs_agent_slowest`` ``(agent_id, latency_ms,
created_at, id)`` over succeeded runs with a latency, read backwards so "the 10 slowest runs of
agent X in a range" stops after the first 10 entries in range; ``ix_runs_agent_failed``
``(agent_id, created_at, id)`` over failed and cancelled runs, so "the 10 latest failed runs in a
range" reads 10 entries. And ``ix_conversations_agent_created`` ``(agent_id, created_at)``, so
the starters read the conversations of the range only, not every conversation of the agent.
Plain ``CREATE INDEX`` (no data is rewritten): seconds on a database of 3.3M runs.

Revision ID: 0025_ana3
Revises: 0024_ana2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_ana3"
down_revision = "0024_ana2"
branch_labels = None
depends_on = None

SLOWEST_WHERE = "status = 'succeeded' AND latency_ms IS NOT NULL"
FAILED_WHERE = "status IN ('failed', 'cancelled')"


def _partial(name: str, columns: list[str], where: str) -> None:
    condition = sa.text(where)
    op.create_index(name, "runs", columns, sqlite_where=condition, postgresql_where=condition)


def upgrade() -> None:
    _partial("ix_runs_agent_slowest", ["agent_id", "latency_ms", "created_at", "id"], SLOWEST_WHERE)
    _partial("ix_runs_agent_failed", ["agent_id", "created_at", "id"], FAILED_WHERE)
    op.create_index("ix_conversations_agent_created", "conversations", ["agent_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_conversations_agent_created", table_name="conversations")
    op.drop_index("ix_runs_agent_failed", table_name="runs")
    op.drop_index("ix_runs_agent_slowest", table_name="runs")
