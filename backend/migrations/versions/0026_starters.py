"""starters: messages indexed by (conversation, position).

``ix_messages_conversation_position`` lets "the first user message of a conversation" stop at its
first entry (one index probe per conversation), so an agent's top conversation starters read a
bounded number of rows at any size (PostgreSQL hash-joined every message of the database before:
~100 ms of CPU at 222k messages). Reading a conversation's messages in order uses it too. Plain
``CREATE INDEX``.

Revision ID: 0026_starters
Revises: 0025_ana3
"""

from __future__ import annotations

from alembic import op

revision = "0026_starters"
down_revision = "0025_ana3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_conversation_position", "messages", ["conversation_id", "position"])


def downgrade() -> None:
    op.drop_index("ix_messages_conversation_position", table_name="messages")
