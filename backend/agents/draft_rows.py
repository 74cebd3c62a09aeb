"""The draft's row: the low-level reads and writes of an agent's version-0 blueprint row.

Used by the agents service (a save or restore makes the draft equal the new version) and by
:mod:`backend.agents.drafts` (the public draft API). No actor checks here: callers check.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend.accounts.actor import Actor
from backend.blueprints import DRAFT_VERSION
from backend.models import Agent, BlueprintFields, BlueprintVersion
from backend.models.common import utcnow

FIELD_NAMES = tuple(BlueprintFields.model_fields)


def fields_of(row: BlueprintFields) -> BlueprintFields:
    """The editable fields of a blueprint row (a detached copy)."""
    return BlueprintFields.model_construct(**{k: copy_value(getattr(row, k)) for k in FIELD_NAMES})


def copy_value(value: Any) -> Any:
    """A copy of a field value that shares no list or dict with ``value``."""
    if isinstance(value, list):
        return [dict(v) if isinstance(v, dict) else v for v in value]
    return value


def draft_row(agent: Agent, session: Session) -> BlueprintVersion | None:
    """The agent's draft row, or None when it has none yet."""
    return session.exec(
        select(BlueprintVersion).where(BlueprintVersion.agent_id == agent.id, BlueprintVersion.version == DRAFT_VERSION)
    ).first()


def current_row(agent: Agent, session: Session) -> BlueprintVersion:
    """The agent's current (saved) version row."""
    row = session.exec(
        select(BlueprintVersion).where(
            BlueprintVersion.agent_id == agent.id, BlueprintVersion.version == agent.current_version
        )
    ).one()
    return row


def ensure_draft(actor: Actor, agent: Agent, session: Session) -> BlueprintVersion:
    """The agent's draft row, created from the current version when missing (race-safe: a
    concurrent creation makes the unique (agent, version) key fail, then the other row is read)."""
    row = draft_row(agent, session)
    if row is not None:
        return row
    current = current_row(agent, session)
    draft = BlueprintVersion(
        **fields_of(current).model_dump(),
        agent_id=agent.id,
        version=DRAFT_VERSION,
        note=f"Draft from v{current.version}",
        created_by=actor.user_id,
    )
    try:
        with session.begin_nested():
            session.add(draft)
    except IntegrityError:
        found = draft_row(agent, session)
        assert found is not None  # noqa: S101  (the other writer's row)
        return found
    return draft


def sync_draft(actor: Actor, agent: Agent, fields: BlueprintFields, session: Session) -> None:
    """Make the agent's draft equal ``fields`` (after a save or a restore). Internal to the agents area."""
    draft = ensure_draft(actor, agent, session)
    for key in FIELD_NAMES:
        setattr(draft, key, copy_value(getattr(fields, key)))
    draft.created_at = utcnow()
    session.add(draft)
    session.flush()
