"""money in nano-USD: usage records' and runs' float ``cost_usd`` become integer
``cost_nano_usd`` (round(usd * 1e9), exact for every stored amount), and the billing outbox.

Revision ID: 0010_money_nano
Revises: 0009_run_heartbeat
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010_money_nano"
down_revision = "0009_run_heartbeat"
branch_labels = None
depends_on = None

TABLES = ("usage_records", "runs")


def _to_nano(table: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("cost_nano_usd", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(f"UPDATE {table} SET cost_nano_usd = CAST(ROUND(cost_usd * 1000000000) AS BIGINT)")  # noqa: S608
    with op.batch_alter_table(table) as batch:
        batch.drop_column("cost_usd")


def _to_usd(table: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("cost_usd", sa.Float(), nullable=False, server_default="0"))
    op.execute(f"UPDATE {table} SET cost_usd = cost_nano_usd / 1000000000.0")  # noqa: S608
    with op.batch_alter_table(table) as batch:
        batch.drop_column("cost_nano_usd")


def upgrade() -> None:
    for table in TABLES:
        _to_nano(table)
    op.create_table(
        "billing_outbox",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("usage_record_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("workspace_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("amount_nano_usd", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["usage_record_id"], ["usage_records.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("usage_record_id"),
    )
    op.create_index("ix_billing_outbox_workspace_id", "billing_outbox", ["workspace_id"], unique=False)
    op.create_index("ix_billing_outbox_done_at", "billing_outbox", ["done_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_billing_outbox_done_at", table_name="billing_outbox")
    op.drop_index("ix_billing_outbox_workspace_id", table_name="billing_outbox")
    op.drop_table("billing_outbox")
    for table in TABLES:
        _to_usd(table)
