"""run heartbeat: a run's last sign of life, its partial answer and in-flight gateway call, and the
run a budget hold belongs to (so the stale-run sweep can finish a crashed run and release its holds).

Revision ID: 0009_run_heartbeat
Revises: 0008_session_activity
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_run_heartbeat"
down_revision = "0008_session_activity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("heartbeat_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("partial_text", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("inflight", sa.JSON(), nullable=True))
        batch.create_index("ix_runs_status", ["status"], unique=False)
    with op.batch_alter_table("budget_reservations") as batch:
        batch.add_column(sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.create_index("ix_budget_reservations_run_id", ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("budget_reservations") as batch:
        batch.drop_index("ix_budget_reservations_run_id")
        batch.drop_column("run_id")
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_status")
        batch.drop_column("inflight")
        batch.drop_column("partial_text")
        batch.drop_column("heartbeat_at")
