"""Workspaces a user belongs to: create, switch, rename and delete (issue 16).

A user may belong to several workspaces; the browser's session names the current one
(``auth_sessions.workspace_id``), so switching changes what every page and service sees through
the :class:`~backend.accounts.actor.Actor`. Each function touches the database: call it from a
thread, never on an event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import Session, col, delete, select

from backend.accounts import audit, permissions
from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.errors import FieldErrors
from backend.models import (
    Agent,
    AuthSession,
    Connection,
    Conversation,
    Invitation,
    Membership,
    Workspace,
    WorkspacePublic,
)
from backend.models.common import utcnow
from backend.models.grant import AgentGrant
from backend.models.marketplace import Listing
from backend.models.memory import KnowledgeSource
from backend.security import sessions

MAX_NAME = 120


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise FieldErrors({"name": "Give the workspace a name."})
    if len(name) > MAX_NAME:
        raise FieldErrors({"name": f"Use at most {MAX_NAME} characters."})
    return name


def list_workspaces(*, user_id: str, session: Session) -> list[WorkspacePublic]:
    """The (not deleted) workspaces ``user_id`` belongs to with their role there: personal first, then by name."""
    rows = session.exec(
        select(Workspace, Membership.role)
        .join(Membership, col(Membership.workspace_id) == col(Workspace.id))
        .where(Membership.user_id == user_id, col(Workspace.deleted_at).is_(None))
        .order_by(col(Workspace.personal).desc(), col(Workspace.name))
    ).all()
    return [
        WorkspacePublic(id=w.id, name=w.name, role=permissions.normalize_role(r), personal=w.personal) for w, r in rows
    ]


def create_workspace(*, user_id: str, name: str, session: Session) -> WorkspacePublic:
    """Create a (team) workspace whose owner is ``user_id``; audited as ``workspace.created``.

    Raises:
        FieldErrors: ``{"name": ...}`` for an empty or over-long name.
    """
    workspace = Workspace(name=_clean_name(name), owner_id=user_id, personal=False)
    session.add(workspace)
    session.flush()
    session.add(Membership(workspace_id=workspace.id, user_id=user_id, role=permissions.OWNER))
    session.flush()
    audit.record(
        session,
        actor=Actor(user_id, workspace.id),
        action="workspace.created",
        target_kind="workspace",
        target_id=workspace.id,
        summary=f"Created workspace {workspace.name}",
    )
    return WorkspacePublic(id=workspace.id, name=workspace.name, role=permissions.OWNER, personal=False)


def switch_workspace(*, token: str, user_id: str, workspace_id: str, session: Session) -> WorkspacePublic:
    """Make ``workspace_id`` the current workspace of the browser session ``token``.

    Raises:
        PermissionDenied: ``user_id`` is not a member of it (or it was deleted), or the session ended.
    """
    mine = {w.id: w for w in list_workspaces(user_id=user_id, session=session)}
    if workspace_id not in mine:
        raise PermissionDenied("You are not a member of this workspace.")
    if not sessions.set_session_workspace(token=token, workspace_id=workspace_id, session=session):
        raise PermissionDenied("Your session has ended. Sign in again.")
    return mine[workspace_id]


def rename_workspace(*, actor: Actor, name: str, session: Session) -> WorkspacePublic:
    """Rename the actor's workspace (``workspace.rename``: owners and admins); audited.

    Raises:
        PermissionDenied, FieldErrors (``name``).
    """
    role = permissions.require(actor, permissions.WORKSPACE_RENAME, session)
    workspace = _live(actor.workspace_id, session)
    old, workspace.name = workspace.name, _clean_name(name)
    session.add(workspace)
    audit.record(
        session,
        actor=actor,
        action="workspace.renamed",
        target_kind="workspace",
        target_id=workspace.id,
        summary=f"Renamed workspace {old} to {workspace.name}",
    )
    return WorkspacePublic(id=workspace.id, name=workspace.name, role=role, personal=workspace.personal)


def _live(workspace_id: str, session: Session) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None or workspace.deleted_at is not None:
        raise NotFound("Workspace not found.")
    return workspace


@dataclass(frozen=True)
class DeletionImpact:
    """What deleting a workspace takes away from everyone (counts shown in the confirmation)."""

    name: str
    agents: int
    conversations: int
    connections: int
    knowledge_sources: int
    members: int
    personal: bool


def _count(session: Session, model: type, *where: object) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())  # type: ignore[call-overload, arg-type]


def deletion_impact(*, actor: Actor, session: Session) -> DeletionImpact:
    """Counts of what deleting the actor's workspace would lose. Raises PermissionDenied (owners only)."""
    permissions.require(actor, permissions.WORKSPACE_DELETE, session)
    ws = _live(actor.workspace_id, session)
    return DeletionImpact(
        name=ws.name,
        agents=_count(session, Agent, Agent.workspace_id == ws.id, col(Agent.deleted_at).is_(None)),
        conversations=_count(session, Conversation, Conversation.workspace_id == ws.id),
        connections=_count(session, Connection, Connection.workspace_id == ws.id),
        knowledge_sources=_count(session, KnowledgeSource, KnowledgeSource.workspace_id == ws.id),
        members=_count(session, Membership, Membership.workspace_id == ws.id),
        personal=ws.personal,
    )


def delete_workspace(*, actor: Actor, confirm_name: str, session: Session) -> None:
    """Delete the actor's workspace: nobody is a member any more, its pending invitations end,
    its marketplace listings are unlisted and subscribers' grants revoked, browsers working in it
    go back to their user's personal workspace, and nothing of it is shown again. Audited.

    The rows stay in the database, unreachable (``workspaces.deleted_at``), so usage records and
    invoices that name it keep their history.

    Raises:
        PermissionDenied: not an owner, or it is the owner's personal workspace.
        FieldErrors: ``{"confirm_name": ...}`` when ``confirm_name`` is not the workspace's name.
    """
    permissions.require(actor, permissions.WORKSPACE_DELETE, session)
    ws = _live(actor.workspace_id, session)
    if ws.personal:
        raise PermissionDenied("A personal workspace cannot be deleted.")
    if " ".join(confirm_name.split()) != ws.name:
        raise FieldErrors({"confirm_name": f"Type the workspace's name, {ws.name}, to confirm."})
    now = utcnow()
    audit.record(
        session,
        actor=actor,
        action="workspace.deleted",
        target_kind="workspace",
        target_id=ws.id,
        summary=f"Deleted workspace {ws.name}",
    )
    ws.deleted_at = now
    session.add(ws)
    session.execute(
        update(Invitation)
        .where(
            col(Invitation.workspace_id) == ws.id,
            col(Invitation.accepted_at).is_(None),
            col(Invitation.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    session.execute(
        update(Listing)
        .where(col(Listing.workspace_id) == ws.id, col(Listing.status).in_(("draft", "published")))
        .values(status="unlisted", updated_at=now)
    )
    session.execute(
        update(AgentGrant)
        .where(col(AgentGrant.owner_workspace_id) == ws.id, col(AgentGrant.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    session.execute(delete(Membership).where(col(Membership.workspace_id) == ws.id))
    session.execute(
        update(AuthSession)
        .where(col(AuthSession.workspace_id) == ws.id, col(AuthSession.revoked_at).is_(None))
        .values(workspace_id=None)  # those browsers fall back to their user's personal workspace
    )
    session.flush()
