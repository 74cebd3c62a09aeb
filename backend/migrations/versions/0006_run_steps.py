"""run steps: one row per tool call of a run (nested for delegated runs), the paused run's resume
state, and agents' delegates. Merges the gateway, memory and tools branches.

Hand-written (the three branches from 0002 meet here).

Revision ID: 0006_run_steps
Revises: 0003_gateway, 0004_memory, 0005_tools
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006_run_steps"
down_revision = ("0003_gateway", "0004_memory", "0005_tools")
branch_labels = None
depends_on = None


def _str(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "run_steps",
        _str("id", 32),
        _str("run_id", 32),
        _str("conversation_id", 32, nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        _str("parent_step_id", 32, nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        _str("call_id", 100),
        _str("tool_name", 64),
        _str("title", 120),
        sa.Column("arguments", sa.Text(), nullable=False),
        _str("status", 20),
        _str("summary", 300),
        sa.Column("output_preview", sa.Text(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_run_steps_conversation_id", "run_steps", ["conversation_id"])
    op.create_index("ix_run_steps_run_position", "run_steps", ["run_id", "position"])
    # batch mode: SQLite rebuilds the table, PostgreSQL runs a plain ALTER TABLE.
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resume_state", sa.JSON(), nullable=True))
    with op.batch_alter_table("blueprint_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delegates", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("blueprint_versions", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("delegates")
    with op.batch_alter_table("runs", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("resume_state")
    op.drop_index("ix_run_steps_run_position", table_name="run_steps")
    op.drop_index("ix_run_steps_conversation_id", table_name="run_steps")
    op.drop_table("run_steps")
