"""agent draft: the template gallery gets a sample answer per template.

An agent's draft needs no schema change: it is a ``blueprint_versions`` row with version 0
(``backend.agents.drafts``), created the first time the builder opens the agent.

Revision ID: 0013_agent_draft
Revises: 0012_hold_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.agents.template_catalog import SAMPLE_ANSWERS

revision = "0013_agent_draft"
down_revision = "0012_hold_index"
branch_labels = None
depends_on = None

_templates = sa.table("templates", sa.column("slug", sa.String), sa.column("sample_answer", sa.Text))


def upgrade() -> None:
    with op.batch_alter_table("templates") as batch:
        batch.add_column(sa.Column("sample_answer", sa.Text(), nullable=False, server_default=""))
    for slug, answer in SAMPLE_ANSWERS.items():
        op.execute(_templates.update().where(_templates.c.slug == slug).values(sample_answer=answer))


def downgrade() -> None:
    with op.batch_alter_table("templates") as batch:
        batch.drop_column("sample_answer")
