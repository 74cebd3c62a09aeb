"""The agent's draft: one mutable working copy per agent, saved as the builder is edited.

The draft is a :class:`BlueprintVersion` row with ``version == DRAFT_VERSION`` (0): every edit
on the agent page writes to it, :func:`save_version` turns it into the next immutable version
(v1, v2, …) and :func:`discard_draft` copies the current version back into it. Because it is a
blueprint row, a conversation (the builder's preview) can be pinned to it and its runs record
that they ran the draft (``blueprint_versions.version == 0``, shown as "draft").
Every call takes the acting user and checks that the agent is theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from backend.accounts import audit
from backend.accounts.actor import Actor
from backend.agents.draft_rows import (
    FIELD_NAMES,
    copy_value,
    current_row,
    draft_row,
    ensure_draft,
    fields_of,
    sync_draft,
)
from backend.agents.service import (
    BlueprintInvalid,
    clean_fields,
    validate_blueprint,
    write_version,
)
from backend.blueprints import edit_agent, get_blueprint, require_agent
from backend.models import BlueprintFields, BlueprintVersion, Conversation
from backend.models.common import utcnow

_MAX_CHARS = {"name": 80, "description": 500, "avatar": 16, "model": 200, "connection_id": 32}


def get_draft(*, actor: Actor, agent_id: str, session: Session) -> BlueprintVersion:
    """The agent's draft, created from the current version when it has none yet.

    Returns:
        The draft row (``version == 0``); its fields may be invalid (they are what was typed).

    Raises:
        NotFound: no such agent in the actor's workspace. PermissionDenied: not a member.
    """
    agent = edit_agent(actor, agent_id, session)
    return ensure_draft(actor, agent, session)


def _storable(key: str, value: Any) -> Any:
    """``value`` in a shape the draft's column holds (over-long text is cut to the column's size;
    the validation errors still report the full input)."""
    if key in _MAX_CHARS and isinstance(value, str):
        return value[: _MAX_CHARS[key]]
    return copy_value(value)


def update_draft(*, actor: Actor, agent_id: str, changes: Mapping[str, Any], session: Session) -> dict[str, str]:
    """Write ``changes`` (a subset of the blueprint fields, already typed: ``temperature`` a float,
    ``max_tokens`` an int, lists as lists) into the agent's draft, valid or not.

    Returns:
        ``{field: message}`` for the whole draft after the change (see
        :func:`backend.agents.service.validate_blueprint`); empty when it could be saved as a
        version. What was typed is kept either way.

    Raises:
        KeyError: a key that is not a blueprint field. NotFound, PermissionDenied.
    """
    agent = edit_agent(actor, agent_id, session)
    draft = ensure_draft(actor, agent, session)
    unknown = set(changes) - set(FIELD_NAMES)
    if unknown:
        raise KeyError(f"Not blueprint fields: {', '.join(sorted(unknown))}")
    typed = fields_of(draft)
    for key, value in changes.items():
        setattr(typed, key, copy_value(value))
        setattr(draft, key, _storable(key, value))
    draft.created_at = utcnow()
    session.add(draft)
    session.flush()
    return validate_blueprint(typed, actor=actor, session=session, agent_id=agent.id)


def draft_errors(*, actor: Actor, agent_id: str, session: Session) -> dict[str, str]:
    """What would stop the draft from being saved as a version (``{field: message}``)."""
    draft = get_draft(actor=actor, agent_id=agent_id, session=session)
    return validate_blueprint(fields_of(draft), actor=actor, session=session, agent_id=agent_id)


def save_version(*, actor: Actor, agent_id: str, note: str = "", session: Session) -> int:
    """Turn the draft into the next immutable version; the draft equals it afterwards.

    Args:
        note: Optional note shown in the version history (at most 200 characters kept).

    Returns:
        The new version number.

    Raises:
        BlueprintInvalid: the draft has errors (``errors`` maps fields to messages); nothing saved.
        NotFound, PermissionDenied.
    """
    agent = edit_agent(actor, agent_id, session)
    draft = ensure_draft(actor, agent, session)
    fields = fields_of(draft)
    if errors := validate_blueprint(fields, actor=actor, session=session, agent_id=agent.id):
        raise BlueprintInvalid(errors)
    fields = clean_fields(fields)
    agent.current_version += 1
    agent.updated_at = utcnow()
    version = write_version(agent, fields, actor, note.strip()[:200] or "Saved", session)
    sync_draft(actor, agent, fields, session)
    audit.record(
        session,
        actor=actor,
        action="agent.version_saved",
        target_kind="agent",
        target_id=agent.id,
        summary=f"Saved {fields.name} v{version}",
    )
    return version


def discard_draft(*, actor: Actor, agent_id: str, session: Session) -> BlueprintVersion:
    """Throw the draft's changes away: it becomes a copy of the current version again.

    Returns:
        The draft row. Raises NotFound, PermissionDenied.
    """
    agent = edit_agent(actor, agent_id, session)
    sync_draft(actor, agent, fields_of(current_row(agent, session)), session)
    return ensure_draft(actor, agent, session)


def differs(draft: BlueprintFields, current: BlueprintFields) -> bool:
    """Whether two blueprints differ in any editable field."""
    return any(getattr(draft, k) != getattr(current, k) for k in FIELD_NAMES)


def has_unsaved_changes(*, actor: Actor, agent_id: str, session: Session) -> bool:
    """Whether the draft holds changes that are not in the current version yet.

    Raises:
        NotFound, PermissionDenied.
    """
    agent = require_agent(actor, agent_id, session)
    draft = draft_row(agent, session)
    if draft is None:
        return False
    return differs(draft, get_blueprint(actor=actor, agent_id=agent_id, session=session))


def open_preview(*, actor: Actor, agent_id: str, session: Session) -> str:
    """Open a preview conversation of the actor with the agent's draft (the builder's live preview).

    Runs in it use whatever the draft holds when each message is sent, record the draft's row
    as their blueprint (shown as "draft"), and are run and charged as the actor's own workspace
    (``backend.accounts.principal.principal_for_member``). The chat page does not list them.

    Returns:
        The conversation id. Raises NotFound, PermissionDenied.
    """
    draft = get_draft(actor=actor, agent_id=agent_id, session=session)
    conv = Conversation(
        workspace_id=actor.workspace_id,
        agent_id=draft.agent_id,
        user_id=actor.user_id,
        blueprint_version_id=draft.id,
        model=draft.model,
        title="Preview",
    )
    session.add(conv)
    session.flush()
    return conv.id
