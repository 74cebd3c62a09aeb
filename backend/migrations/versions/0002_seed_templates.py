"""seed the template gallery

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.agents.template_catalog import TEMPLATES

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_templates = sa.table(
    "templates",
    sa.column("slug", sa.String),
    sa.column("name", sa.String),
    sa.column("description", sa.String),
    sa.column("avatar", sa.String),
    sa.column("category", sa.String),
    sa.column("instructions", sa.Text),
    sa.column("temperature", sa.Float),
    sa.column("max_tokens", sa.Integer),
    sa.column("starters", sa.JSON),
)


def upgrade() -> None:
    op.bulk_insert(_templates, [dict(t) for t in TEMPLATES])


def downgrade() -> None:
    op.execute(_templates.delete().where(_templates.c.slug.in_([t["slug"] for t in TEMPLATES])))
