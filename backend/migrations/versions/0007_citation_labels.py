"""citation labels: the number(s) an answer cites each source by ("2", "1, 3").

Revision ID: 0007_citation_labels
Revises: 0006_run_steps
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_citation_labels"
down_revision = "0006_run_steps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message_citations") as batch:
        batch.add_column(
            sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("message_citations") as batch:
        batch.drop_column("label")
