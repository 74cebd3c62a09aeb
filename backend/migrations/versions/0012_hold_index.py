"""hold index: budget holds are found through an index over unsettled holds only, settled ones pruned.

Settled reservations carry no money any more (their amounts moved to the budget counters when
they were settled) and nothing reads them: they are deleted here, and from now on when they are
settled or released. The full index on ``expires_at`` gives way to a partial one over unsettled
holds, so :func:`backend.gateway.budgets.release_expired` reads only holds in progress.

Revision ID: 0012_hold_index
Revises: 0011_agent_grants
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_hold_index"
down_revision = "0011_agent_grants"
branch_labels = None
depends_on = None

UNSETTLED = "settled = false"


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM budget_reservations WHERE settled = true"))
    op.drop_index("ix_budget_reservations_expires_at", table_name="budget_reservations")
    op.create_index(
        "ix_budget_reservations_unsettled",
        "budget_reservations",
        ["expires_at"],
        postgresql_where=sa.text(UNSETTLED),
        sqlite_where=sa.text(UNSETTLED),
    )


def downgrade() -> None:
    op.drop_index("ix_budget_reservations_unsettled", table_name="budget_reservations")
    op.create_index("ix_budget_reservations_expires_at", "budget_reservations", ["expires_at"])
