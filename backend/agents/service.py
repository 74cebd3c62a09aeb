"""Agent builder service: agents with immutable, numbered blueprint versions.

Every save writes a new :class:`BlueprintVersion` (v1, v2, …); nothing is updated in place, so
a conversation pinned to a version keeps its behaviour. The one mutable row, the draft (version
0), lives in :mod:`backend.agents.drafts`. Every call takes the acting user.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from backend.accounts import audit, permissions
from backend.accounts.actor import Actor, NotFound, require_member
from backend.agents.domain_hints import domain_warnings
from backend.agents.draft_rows import sync_draft
from backend.blueprints import DRAFT_VERSION, edit_agent, get_blueprint, require_agent, validate_delegates
from backend.errors import FieldErrors
from backend.models import Agent, AgentSummary, BlueprintFields, BlueprintVersion, Connection, Template
from backend.models.agent import MAX_FALLBACKS
from backend.models.common import utcnow
from backend.security.outbound import fetch_policy
from backend.tools.agent_settings import validate_tool_settings

MAX_OUTPUT_TOKENS = 32768
MAX_STARTERS = 6


def domain_warnings_for(domains: Sequence[str]) -> list[str]:
    """The builder's warnings for "Allowed domains": entries the fetch policy will always refuse.

    Args:
        domains: The entries as typed (host names, ``*.domain``, IP addresses, optional port).

    Returns:
        One sentence per refused entry, in input order (e.g. ``"127.0.0.1 is a loopback address: …"``);
        empty when every entry may be reached under the operator's ``AGENTHUB_FETCH_ALLOW``.

    Raises:
        ValueError: ``AGENTHUB_FETCH_ALLOW`` has an entry that is not an address or network.
    """
    return domain_warnings(domains, fetch_policy().rules)


class BlueprintInvalid(FieldErrors):
    """The blueprint has errors; ``errors`` maps a form field to its message."""


def validate_blueprint(
    fields: BlueprintFields, *, actor: Actor, session: Session, agent_id: str | None = None
) -> dict[str, str]:
    """Check a blueprint before saving.

    Returns:
        ``{field: message}``, empty when valid. Rules: name 1-80 characters; a model chosen from
        one of the workspace's connections; at most 3 fallbacks, each a model on a workspace
        connection; temperature 0-2; max output tokens 1-32768;
        at most 6 conversation starters of at most 200 characters; avatar at most 16 characters;
        tool settings as ``backend.tools.agent_settings.validate_tool_settings``; at most 10
        delegates, each another agent of the workspace (``agent_id``: the agent being saved,
        which may not delegate to itself).
        Runs on the raw form input (build it with ``BlueprintFields.model_construct`` to skip
        pydantic's own length checks), so over-long fields come back as messages, not exceptions.
    """
    errors: dict[str, str] = {}
    if not fields.name.strip():
        errors["name"] = "Give the agent a name."
    elif len(fields.name.strip()) > 80:
        errors["name"] = "Names are at most 80 characters."
    if len(fields.description) > 500:
        errors["description"] = "Descriptions are at most 500 characters."
    if len(fields.avatar) > 16:
        errors["avatar"] = "Use one emoji (at most 16 characters)."
    if not fields.connection_id:
        errors["connection_id"] = "Choose a connection for the model."
    else:
        conn = session.get(Connection, fields.connection_id)
        if conn is None or conn.workspace_id != actor.workspace_id:
            errors["connection_id"] = "That connection no longer exists."
    if not fields.model.strip():
        errors["model"] = "Choose or type a model."
    elif len(fields.model.strip()) > 200:
        errors["model"] = "Model names are at most 200 characters."
    if fallback_error := _check_fallbacks(fields, actor=actor, session=session):
        errors["fallbacks"] = fallback_error
    if not 0 <= fields.temperature <= 2:
        errors["temperature"] = "Temperature must be between 0 and 2."
    if not 1 <= fields.max_tokens <= MAX_OUTPUT_TOKENS:
        errors["max_tokens"] = f"Max output tokens must be between 1 and {MAX_OUTPUT_TOKENS}."
    starters = [s.strip() for s in fields.starters if s.strip()]
    if len(starters) > MAX_STARTERS or any(len(s) > 200 for s in starters):
        errors["starters"] = f"Up to {MAX_STARTERS} starters of at most 200 characters each."
    if len(fields.instructions) > 20000:
        errors["instructions"] = "Instructions are at most 20,000 characters."
    errors.update(validate_tool_settings(fields, actor=actor, session=session))
    if delegate_error := validate_delegates(fields.delegates, actor=actor, agent_id=agent_id, session=session):
        errors["delegates"] = delegate_error
    return errors


def _check_fallbacks(fields: BlueprintFields, *, actor: Actor, session: Session) -> str | None:
    """The error message for the fallback list, or None: at most 3, each a model on a connection
    of the workspace (the gateway tries them in order when the main model fails)."""
    if len(fields.fallbacks) > MAX_FALLBACKS:
        return f"Up to {MAX_FALLBACKS} fallback models."
    for item in fields.fallbacks:
        cid, model = item.get("connection_id"), item.get("model")
        if not isinstance(model, str) or not model.strip() or len(model.strip()) > 200:
            return "Choose a model for every fallback."
        conn = session.get(Connection, cid) if isinstance(cid, str) and cid else None
        if conn is None or conn.workspace_id != actor.workspace_id:
            return "A fallback's connection no longer exists."
    return None


def clean_fields(fields: BlueprintFields) -> BlueprintFields:
    """``fields`` as stored: name and model trimmed, empty starters dropped (validated input only)."""
    data = fields.model_dump()
    data["name"] = fields.name.strip()
    data["model"] = fields.model.strip()
    data["starters"] = [s.strip() for s in fields.starters if s.strip()]
    data["fallbacks"] = [{"connection_id": f["connection_id"], "model": f["model"].strip()} for f in fields.fallbacks]
    return BlueprintFields.model_validate(data)


def write_version(agent: Agent, fields: BlueprintFields, actor: Actor, note: str, session: Session) -> int:
    """Store ``fields`` as version ``agent.current_version`` (the caller bumps it); returns that number."""
    version = BlueprintVersion(
        **fields.model_dump(), agent_id=agent.id, version=agent.current_version, note=note, created_by=actor.user_id
    )
    session.add(version)
    session.add(agent)
    session.flush()
    return version.version


def create_agent(*, actor: Actor, fields: BlueprintFields, session: Session) -> str:
    """Create an agent with blueprint v1.

    Returns:
        The new agent id.

    Raises:
        BlueprintInvalid: per-field errors (see :func:`validate_blueprint`).
        PermissionDenied: the actor is not a member of the workspace, or a viewer.
    """
    permissions.require(actor, permissions.AGENTS_EDIT, session)
    if errors := validate_blueprint(fields, actor=actor, session=session):
        raise BlueprintInvalid(errors)
    fields = clean_fields(fields)
    agent = Agent(workspace_id=actor.workspace_id, current_version=1, created_by=actor.user_id)
    session.add(agent)
    session.flush()
    write_version(agent, fields, actor, "Created", session)
    audit.record(
        session,
        actor=actor,
        action="agent.created",
        target_kind="agent",
        target_id=agent.id,
        summary=f"Created {fields.name}",
    )
    return agent.id


def save_agent(*, actor: Actor, agent_id: str, fields: BlueprintFields, note: str = "", session: Session) -> int:
    """Save ``fields`` as a new blueprint version; the agent's draft becomes equal to it
    (the builder saves through :func:`backend.agents.drafts.save_version` instead).

    Returns:
        The new version number.

    Raises:
        BlueprintInvalid, NotFound, PermissionDenied.
    """
    agent = edit_agent(actor, agent_id, session)
    if errors := validate_blueprint(fields, actor=actor, session=session, agent_id=agent.id):
        raise BlueprintInvalid(errors)
    fields = clean_fields(fields)
    agent.current_version += 1
    agent.updated_at = utcnow()
    version = write_version(agent, fields, actor, note or "Saved", session)
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


def restore_version(*, actor: Actor, agent_id: str, version: int, session: Session) -> int:
    """Make a new version that copies ``version`` ("restore this version"); the draft becomes
    equal to it (unsaved draft changes are replaced).

    Returns:
        The new version number. Raises NotFound, PermissionDenied.
    """
    agent = edit_agent(actor, agent_id, session)
    old = get_blueprint(actor=actor, agent_id=agent_id, version=version, session=session)
    agent.current_version += 1
    agent.updated_at = utcnow()
    fields = BlueprintFields.model_validate(old.model_dump(include=set(BlueprintFields.model_fields)))
    new_version = write_version(agent, fields, actor, f"Restored from v{version}", session)
    sync_draft(actor, agent, fields, session)
    audit.record(
        session,
        actor=actor,
        action="agent.version_restored",
        target_kind="agent",
        target_id=agent.id,
        summary=f"Restored {fields.name} v{version} as v{new_version}",
    )
    return new_version


def list_versions(*, actor: Actor, agent_id: str, session: Session) -> list[BlueprintVersion]:
    """Every saved version of an agent, newest first (not the draft)."""
    agent = require_agent(actor, agent_id, session)
    return list(
        session.exec(
            select(BlueprintVersion)
            .where(BlueprintVersion.agent_id == agent.id, col(BlueprintVersion.version) > DRAFT_VERSION)
            .order_by(col(BlueprintVersion.version).desc())
        ).all()
    )


def list_agents(*, actor: Actor, session: Session) -> list[AgentSummary]:
    """The workspace's agents with their current blueprint, most recently updated first."""
    require_member(actor, session)
    rows = session.exec(
        select(Agent, BlueprintVersion)
        .join(
            BlueprintVersion,
            (col(BlueprintVersion.agent_id) == col(Agent.id))
            & (col(BlueprintVersion.version) == col(Agent.current_version)),
        )
        .where(Agent.workspace_id == actor.workspace_id, col(Agent.deleted_at).is_(None))
        .order_by(col(Agent.updated_at).desc())
    ).all()
    return [
        AgentSummary(
            id=a.id,
            name=b.name,
            description=b.description,
            avatar=b.avatar,
            model=b.model,
            current_version=a.current_version,
            updated_at=a.updated_at,
        )
        for a, b in rows
    ]


def delete_agent(*, actor: Actor, agent_id: str, session: Session) -> None:
    """Hide an agent (soft delete keeps its runs for analytics). Raises NotFound, PermissionDenied."""
    agent = edit_agent(actor, agent_id, session)
    name = get_blueprint(actor=actor, agent_id=agent_id, session=session).name
    agent.deleted_at = utcnow()
    session.add(agent)
    session.flush()
    audit.record(
        session, actor=actor, action="agent.deleted", target_kind="agent", target_id=agent.id, summary=f"Deleted {name}"
    )


def list_templates(*, session: Session) -> list[Template]:
    """The template gallery, by category then name."""
    return list(session.exec(select(Template).order_by(Template.category, Template.name)).all())


def fields_from_template(*, slug: str, session: Session) -> BlueprintFields:
    """Builder fields prefilled from a template (no model chosen yet). Raises NotFound."""
    tpl = session.get(Template, slug)
    if tpl is None:
        raise NotFound("Template not found.")
    return BlueprintFields(
        name=tpl.name,
        description=tpl.description,
        avatar=tpl.avatar,
        instructions=tpl.instructions,
        temperature=tpl.temperature,
        max_tokens=tpl.max_tokens,
        starters=list(tpl.starters),
    )
