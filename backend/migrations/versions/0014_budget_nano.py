"""budget in nano-USD: ``budgets.limit_usd`` (float USD) becomes ``limit_nano`` (integer nano-USD).

Each stored float is read as the decimal a person typed (its shortest text: ``0.1`` is
``"0.1"``, not 0.1000000000000000055...) and converted with exact decimal arithmetic, rounded
half up: ``limit_nano = ROUND_HALF_UP(usd * 1e9)``. The conversion runs in Python, row by row
(budgets are few), so SQLite and PostgreSQL give the same integers. The downgrade divides back
to the nearest float.

Revision ID: 0014_budget_nano
Revises: 0012_hold_index
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from alembic import op

revision = "0014_budget_nano"
down_revision = "0013_agent_draft"
branch_labels = None
depends_on = None

NANO_PER_USD = 1_000_000_000


def to_nano(usd: float) -> int:
    """A stored float USD amount as integer nano-USD, exactly as typed, rounded half up."""
    return int((Decimal(repr(float(usd))) * NANO_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def upgrade() -> None:
    with op.batch_alter_table("budgets") as batch:
        batch.add_column(sa.Column("limit_nano", sa.BigInteger(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, limit_usd FROM budgets WHERE limit_usd IS NOT NULL")).all()
    for budget_id, usd in rows:
        conn.execute(
            sa.text("UPDATE budgets SET limit_nano = :nano WHERE id = :id"), {"nano": to_nano(usd), "id": budget_id}
        )
    with op.batch_alter_table("budgets") as batch:
        batch.drop_column("limit_usd")


def downgrade() -> None:
    with op.batch_alter_table("budgets") as batch:
        batch.add_column(sa.Column("limit_usd", sa.Float(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, limit_nano FROM budgets WHERE limit_nano IS NOT NULL")).all()
    for budget_id, nano in rows:
        conn.execute(
            sa.text("UPDATE budgets SET limit_usd = :usd WHERE id = :id"), {"usd": nano / NANO_PER_USD, "id": budget_id}
        )
    with op.batch_alter_table("budgets") as batch:
        batch.drop_column("limit_nano")
