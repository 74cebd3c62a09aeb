"""Workspaces, invitations, members and the audit trail as a user meets them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from backend.accounts import invitations, members, workspaces
from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.accounts.audit import AuditFilter, events_csv, list_events
from backend.accounts.invitations import InvitationError
from backend.accounts.service import sign_in, sign_up, user_for_token
from backend.db import get_engine, session_scope
from backend.errors import FieldErrors
from backend.models import AuditEvent, Invitation
from backend.models.common import utcnow
from backend.security.sessions import hash_token

PASSWORD = "correct horse battery"


def _person(email: str) -> tuple[Actor, str]:
    """Sign up ``email``; returns their actor (personal workspace) and a session token."""
    with session_scope() as s:
        user, token = sign_up(email=email, password=PASSWORD, session=s)
    return Actor(user.id, user.workspace_id), token


def _team(owner: Actor, token: str, name: str = "Acme") -> Actor:
    with session_scope() as s:
        ws = workspaces.create_workspace(user_id=owner.user_id, name=name, session=s)
        workspaces.switch_workspace(token=token, user_id=owner.user_id, workspace_id=ws.id, session=s)
    return Actor(owner.user_id, ws.id)


def _invite(actor: Actor, email: str, role: str = "viewer") -> str:
    with session_scope() as s:
        _, link = invitations.invite(actor=actor, email=email, role=role, base_url="http://hub.test", session=s)
    assert link.startswith("http://hub.test/invite/")
    return link.rsplit("/", 1)[1]


def _email(tag: str) -> str:
    import uuid

    return f"{tag}-{uuid.uuid4().hex[:8]}@example.com"


def test_switching_workspaces_changes_what_the_session_sees() -> None:
    owner, token = _person(_email("own"))
    team = _team(owner, token)
    with session_scope() as s:
        seen = user_for_token(token=token, session=s)
        listed = workspaces.list_workspaces(user_id=owner.user_id, session=s)
    assert seen is not None and seen.workspace_id == team.workspace_id and seen.role == "owner"
    assert [w.name for w in listed][1:] == ["Acme"] and listed[0].personal
    with session_scope() as s:
        workspaces.switch_workspace(token=token, user_id=owner.user_id, workspace_id=owner.workspace_id, session=s)
        assert user_for_token(token=token, session=s).workspace_id == owner.workspace_id  # type: ignore[union-attr]
    stranger, _ = _person(_email("str"))
    with pytest.raises(PermissionDenied), session_scope() as s:
        workspaces.switch_workspace(token=token, user_id=owner.user_id, workspace_id=stranger.workspace_id, session=s)


def test_invited_viewer_joins_once_and_the_link_cannot_be_reused() -> None:
    owner, token = _person(_email("own"))
    team = _team(owner, token)
    email = _email("viewer")
    link_token = _invite(team, email)
    with session_scope() as s:
        assert invitations.view_invitation(token=link_token, session=s).status == "pending"
    viewer, _ = _person(email)
    with session_scope() as s:
        assert invitations.accept_invitation(token=link_token, user_id=viewer.user_id, session=s) == team.workspace_id
    with session_scope() as s:
        roles = {m.email: m.role for m in members.list_members(actor=team, session=s)}
    assert roles[email] == "viewer"
    with pytest.raises(InvitationError, match="already been used"), session_scope() as s:
        invitations.accept_invitation(token=link_token, user_id=viewer.user_id, session=s)
    with session_scope() as s:
        row = s.exec(select(Invitation).where(Invitation.token_hash == hash_token(link_token))).one()
    assert row.accepted_by == viewer.user_id and link_token not in (row.token_hash,)


def test_expired_revoked_and_wrong_address_invitations_are_refused() -> None:
    owner, token = _person(_email("own"))
    team = _team(owner, token)
    email = _email("late")
    late = _invite(team, email)
    with session_scope() as s:
        row = s.exec(select(Invitation).where(Invitation.token_hash == hash_token(late))).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
    person, _ = _person(email)
    with pytest.raises(InvitationError, match="expired"), session_scope() as s:
        invitations.accept_invitation(token=late, user_id=person.user_id, session=s)
    revoked = _invite(team, email)
    with session_scope() as s:
        pending = invitations.list_invitations(actor=team, session=s)
        assert [p.email for p in pending] == [email]
        invitations.revoke_invitation(actor=team, invitation_id=pending[0].id, session=s)
    with pytest.raises(InvitationError, match="withdrawn"), session_scope() as s:
        invitations.accept_invitation(token=revoked, user_id=person.user_id, session=s)
    other, _ = _person(_email("other"))
    fresh = _invite(team, email)
    with pytest.raises(InvitationError, match="Sign in with that address"), session_scope() as s:
        invitations.accept_invitation(token=fresh, user_id=other.user_id, session=s)
    with pytest.raises(InvitationError, match="not valid"), session_scope() as s:
        invitations.accept_invitation(token="nope", user_id=other.user_id, session=s)


def test_admins_cannot_touch_owners_and_the_last_owner_stays() -> None:
    owner, token = _person(_email("own"))
    team = _team(owner, token)
    email = _email("admin")
    link = _invite(team, email, role="admin")
    admin, _ = _person(email)
    with session_scope() as s:
        invitations.accept_invitation(token=link, user_id=admin.user_id, session=s)
    as_admin = Actor(admin.user_id, team.workspace_id)
    with pytest.raises(PermissionDenied, match="owner"), session_scope() as s:
        invitations.invite(actor=as_admin, email=_email("x"), role="owner", base_url="http://x", session=s)
    with pytest.raises(PermissionDenied, match="owner"), session_scope() as s:
        members.change_role(actor=as_admin, user_id=owner.user_id, role="viewer", session=s)
    with pytest.raises(PermissionDenied, match="at least one owner"), session_scope() as s:
        members.change_role(actor=team, user_id=owner.user_id, role="admin", session=s)
    with pytest.raises(FieldErrors, match="already a member"), session_scope() as s:
        invitations.invite(actor=team, email=email, role="viewer", base_url="http://x", session=s)


def test_removing_a_member_ends_their_sessions_in_that_workspace_at_once() -> None:
    owner, token = _person(_email("own"))
    team = _team(owner, token)
    email = _email("gone")
    link = _invite(team, email, role="builder")
    member, _ = _person(email)
    with session_scope() as s:
        invitations.accept_invitation(token=link, user_id=member.user_id, session=s)
        _, in_team = sign_in(email=email, password=PASSWORD, ip=None, session=s)
        _, in_personal = sign_in(email=email, password=PASSWORD, ip=None, session=s)
        workspaces.switch_workspace(token=in_team, user_id=member.user_id, workspace_id=team.workspace_id, session=s)
    with session_scope() as s:
        assert members.remove_member(actor=team, user_id=member.user_id, session=s) == 1
    with session_scope() as s:
        assert user_for_token(token=in_team, session=s) is None
        still = user_for_token(token=in_personal, session=s)
    assert still is not None and still.workspace_id == member.workspace_id
    with pytest.raises(NotFound), session_scope() as s:
        members.remove_member(actor=team, user_id=member.user_id, session=s)


def test_deleting_a_workspace_needs_its_name_and_takes_it_from_everyone() -> None:
    owner, token = _person(_email("own"))
    team = _team(owner, token, name="Doomed")
    with session_scope() as s:
        impact = workspaces.deletion_impact(actor=team, session=s)
    assert impact.name == "Doomed" and impact.members == 1 and impact.agents == 0
    with pytest.raises(FieldErrors, match="Doomed"), session_scope() as s:
        workspaces.delete_workspace(actor=team, confirm_name="doomed!", session=s)
    with session_scope() as s:
        workspaces.delete_workspace(actor=team, confirm_name="Doomed", session=s)
    with session_scope() as s:
        assert [w.name for w in workspaces.list_workspaces(user_id=owner.user_id, session=s)] == [
            w.name for w in workspaces.list_workspaces(user_id=owner.user_id, session=s) if w.personal
        ]
        seen = user_for_token(token=token, session=s)
    assert seen is not None and seen.workspace_id == owner.workspace_id  # back in the personal workspace
    with pytest.raises(PermissionDenied, match="personal"), session_scope() as s:
        workspaces.delete_workspace(actor=owner, confirm_name="x", session=s)


def test_audit_trail_records_invite_and_role_filters_and_exports_csv() -> None:
    owner, token = _person(_email("own"))
    team = _team(owner, token)
    email = _email("v")
    link = _invite(team, email)
    viewer, _ = _person(email)
    with session_scope() as s:
        invitations.accept_invitation(token=link, user_id=viewer.user_id, session=s)
        members.change_role(actor=team, user_id=viewer.user_id, role="builder", session=s)
    with session_scope() as s:
        everything = list_events(actor=team, session=s)
        member_events = list_events(actor=team, session=s, where=AuditFilter(action="member"))
        by_viewer = list_events(actor=team, session=s, where=AuditFilter(actor_email=email))
    assert [e.action for e in everything] == [
        "member.role_changed",
        "member.joined",
        "member.invited",
        "workspace.created",
    ]
    assert [e.action for e in member_events] == ["member.role_changed", "member.joined", "member.invited"]
    assert [e.action for e in by_viewer] == ["member.joined"]
    assert f"Invited {email} as viewer" in everything[2].summary
    text = events_csv(everything)
    assert text.splitlines()[0] == "time_utc,actor,action,target_kind,target_id,summary"
    assert f"Changed {email}'s role from viewer to builder" in text


def test_audit_rows_cannot_be_changed_or_deleted() -> None:
    owner, token = _person(_email("own"))
    _team(owner, token)
    with get_engine().connect() as conn:
        for statement in ("UPDATE audit_events SET summary = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                conn.execute(sa.text(statement))
            conn.rollback()
    with session_scope() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.actor_user_id == owner.user_id)).first() is not None


def test_audit_summaries_never_keep_a_key() -> None:
    from backend.accounts.audit import record

    owner, _ = _person(_email("own"))
    with session_scope() as s:
        event = record(s, actor=owner, action="connection.updated", summary="key sk-abcdefghijklmnop1234 set")
    assert "sk-" not in event.summary and "[hidden]" in event.summary


def test_invitation_is_e_mailed_when_smtp_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.config import get_settings
    from tests.support.smtp_server import SMTPRecorder

    owner, token = _person(_email("own"))
    team = _team(owner, token, name="Mailers")
    with SMTPRecorder() as server:
        for name, value in {
            "AGENTHUB_SMTP_HOST": "127.0.0.1",
            "AGENTHUB_SMTP_PORT": str(server.port),
            "AGENTHUB_SMTP_SENDER": "hub@example.com",
            "AGENTHUB_SMTP_STARTTLS": "false",
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        try:
            email = _email("mailed")
            with session_scope() as s:
                invitation, link = invitations.invite(
                    actor=team, email=email, role="builder", base_url="http://hub.test", session=s
                )
            assert invitation.delivery == "email"
            assert invitations.deliver(
                invitation=invitation, link=link, workspace_name="Mailers", inviter_email="boss@example.com"
            )
        finally:
            monkeypatch.undo()
            get_settings.cache_clear()
    [message] = server.messages
    assert message["rcpt_to"] == [f"<{email}>"]
    assert link in message["data"] and "Mailers" in message["data"] and "builder" in message["data"]
    with session_scope() as s:  # without SMTP nothing is sent and the inviter copies the link
        plain, _ = invitations.invite(actor=team, email=_email("x"), role="viewer", base_url="http://x", session=s)
    assert plain.delivery == "link"
    assert not invitations.deliver(invitation=plain, link="http://x", workspace_name="M", inviter_email="b@example.com")
