"""Agent grants: a user of another workspace may run an agent (the marketplace fills these)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from backend.models.common import new_id, utcnow


class AgentGrant(SQLModel, table=True):
    """``grantee_user_id`` may run ``agent_id`` of ``owner_workspace_id`` until ``revoked_at``.

    A grant lets its holder run the agent, with the owner's connection, knowledge and budgets,
    on conversations and memory of their own; never read or change the agent itself.
    """

    __tablename__ = "agent_grants"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    agent_id: str = Field(foreign_key="agents.id", index=True, max_length=32)
    owner_workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    grantee_user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
