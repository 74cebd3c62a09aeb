"""plans: planner mode (issue 15). Adds ``plans`` (one per planned run) and ``plan_steps`` (ordered
steps with status and result), and ``blueprint_versions.plan_complex`` (the builder's "Plan complex
requests" switch, default off).

Hand-written.

Revision ID: 0021_plans
Revises: 0020_api_keys
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0021_plans"
down_revision = "0020_api_keys"
branch_labels = None
depends_on = None


def _str(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "plans",
        _str("id", 32),
        _str("run_id", 32),
        _str("conversation_id", 32, nullable=True),
        _str("status", 20),
        _str("note", 500),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id"),
    )
    op.create_index("ix_plans_conversation_id", "plans", ["conversation_id"])
    op.create_table(
        "plan_steps",
        _str("id", 32),
        _str("plan_id", 32),
        sa.Column("position", sa.Integer(), nullable=False),
        _str("goal", 500),
        _str("agent_id", 32, nullable=True),
        _str("agent_name", 80),
        sa.Column("tools", sa.JSON(), nullable=False, server_default="[]"),
        _str("status", 20),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_plan_steps_plan_position", "plan_steps", ["plan_id", "position"])
    # a plain ALTER TABLE ... ADD COLUMN on both databases (batch mode would rebuild the table on
    # SQLite because of the expression default)
    op.add_column(
        "blueprint_versions", sa.Column("plan_complex", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    with op.batch_alter_table("blueprint_versions", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("plan_complex")
    op.drop_index("ix_plan_steps_plan_position", table_name="plan_steps")
    op.drop_table("plan_steps")
    op.drop_index("ix_plans_conversation_id", table_name="plans")
    op.drop_table("plans")
