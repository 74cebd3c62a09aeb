"""State of ``/team``: the workspace's members and invitations, and the workspace itself.

What a role may not do is hidden by the page (``dashboard.shell.auth.allowed``); every handler
still goes through the services, which refuse it (``backend.accounts.permissions``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import reflex as rx
from sqlmodel import Session

from backend.accounts import invitations, members, workspaces
from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.errors import FieldErrors
from backend.models import User
from dashboard.shell.auth import AuthState, signed_in
from dashboard.shell.db import in_session


@dataclasses.dataclass
class MemberRow:
    """One member of the table."""

    user_id: str = ""
    email: str = ""
    role: str = ""
    joined: str = ""
    is_me: bool = False


@dataclasses.dataclass
class InvitationRow:
    """One pending invitation."""

    id: str = ""
    email: str = ""
    role: str = ""
    expires: str = ""


class TeamState(rx.State):
    """``/team``: members, pending invitations, the last invitation link, and the workspace forms."""

    loaded: bool = False
    members: list[MemberRow] = []
    invitations: list[InvitationRow] = []
    invite_link: str = ""
    invite_sent_to: str = ""
    errors: dict[str, str] = {}
    notice: str = ""
    impact: str = ""  # what deleting the workspace loses, in words
    personal: bool = True

    def _error(self, key: str, exc: Exception) -> None:
        """Input errors go beside their field; a refusal (role, gone) goes to the page banner,
        which stays visible when the refusal also hides the form (the role was just changed)."""
        if isinstance(exc, FieldErrors):
            self.errors = dict(exc.errors)
        elif isinstance(exc, (PermissionDenied, NotFound)):
            self.errors = {"form": str(exc) or "That did not work."}
        else:
            self.errors = {key: str(exc) or "That did not work."}

    async def _refresh(self, actor: Actor) -> None:
        def work(s: Session) -> tuple[list[MemberRow], list[InvitationRow], bool]:
            rows = [
                MemberRow(m.user_id, m.email, m.role, f"{m.joined_at:%Y-%m-%d}", m.user_id == actor.user_id)
                for m in members.list_members(actor=actor, session=s)
            ]
            try:
                pending = [
                    InvitationRow(i.id, i.email, i.role, f"{i.expires_at:%Y-%m-%d %H:%M} UTC")
                    for i in invitations.list_invitations(actor=actor, session=s)
                ]
            except PermissionDenied:
                pending = []
            mine = [
                w for w in workspaces.list_workspaces(user_id=actor.user_id, session=s) if w.id == actor.workspace_id
            ]
            return rows, pending, bool(mine and mine[0].personal)

        self.members, self.invitations, self.personal = await in_session(work)

    @rx.event
    async def load(self) -> None:
        """``on_load``: members and invitations of the current workspace."""
        self.errors, self.notice, self.invite_link, self.impact = {}, "", "", ""
        actor = await signed_in(self)
        await self._refresh(actor)
        self.loaded = True

    @rx.event
    async def invite(self, form: dict[str, Any]) -> None:
        """Invite an email address with a role; e-mail the link when SMTP is configured, else show it to copy."""
        actor = await signed_in(self)
        self.errors, self.notice, self.invite_link = {}, "", ""
        email, role = str(form.get("email", "")), str(form.get("role", "") or "viewer")
        origin = self.router.headers.origin or ""
        try:
            invitation, link = await in_session(
                lambda s: invitations.invite(actor=actor, email=email, role=role, base_url=origin, session=s)
            )
        except (FieldErrors, PermissionDenied) as exc:
            self._error("email", exc)
            return

        def names(s: Session) -> str:
            user = s.get(User, actor.user_id)
            return user.email if user else ""

        inviter = await in_session(names)
        auth = await self.get_state(AuthState)
        sent = await _deliver(invitation, link, auth.workspace_name, inviter)
        self.invite_link, self.invite_sent_to = link, invitation.email
        self.notice = (
            f"Invitation e-mailed to {invitation.email}. You can also copy the link below."
            if sent
            else f"Copy this link and send it to {invitation.email}. It works once."
        )
        await self._refresh(actor)

    @rx.event
    async def revoke(self, invitation_id: str) -> None:
        """Withdraw a pending invitation (its link stops working)."""
        actor = await signed_in(self)
        self.errors, self.notice = {}, ""
        try:
            await in_session(
                lambda s: invitations.revoke_invitation(actor=actor, invitation_id=invitation_id, session=s)
            )
        except (NotFound, PermissionDenied) as exc:
            self._error("members", exc)
            return
        self.notice = "Invitation withdrawn."
        await self._refresh(actor)

    @rx.event
    async def change_role(self, user_id: str, role: str) -> None:
        """Give a member another role."""
        actor = await signed_in(self)
        self.errors, self.notice = {}, ""
        try:
            row = await in_session(lambda s: members.change_role(actor=actor, user_id=user_id, role=role, session=s))
        except (NotFound, PermissionDenied, ValueError) as exc:
            self._error("members", exc)
        else:
            self.notice = f"{row.email} is now {row.role}."
        await self._refresh(actor)

    @rx.event
    async def remove(self, user_id: str, email: str):  # type: ignore[no-untyped-def]
        """Remove a member (after the confirmation dialog); their sessions here end at once."""
        actor = await signed_in(self)
        self.errors, self.notice = {}, ""
        try:
            await in_session(lambda s: members.remove_member(actor=actor, user_id=user_id, session=s))
        except (NotFound, PermissionDenied) as exc:
            self._error("members", exc)
            return None
        if user_id == actor.user_id:
            return rx.redirect("/signin")  # left the workspace: this session ended with it
        self.notice = f"Removed {email}. Their sessions in this workspace have ended."
        await self._refresh(actor)
        return None

    @rx.event
    async def rename(self, form: dict[str, Any]) -> None:
        """Rename the current workspace."""
        actor = await signed_in(self)
        self.errors, self.notice = {}, ""
        name = str(form.get("name", ""))
        try:
            ws = await in_session(lambda s: workspaces.rename_workspace(actor=actor, name=name, session=s))
        except (FieldErrors, PermissionDenied) as exc:
            self._error("name", exc)
            return
        auth = await self.get_state(AuthState)
        auth.workspace_name = ws.name
        auth.workspaces = [dataclasses.replace(w, name=ws.name) if w.id == ws.id else w for w in auth.workspaces]
        self.notice = f"Renamed to {ws.name}."

    @rx.event
    async def create(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create a workspace (you are its owner) and switch to it."""
        actor = await signed_in(self)
        self.errors, self.notice = {}, ""
        name = str(form.get("new_name", ""))
        try:
            ws = await in_session(lambda s: workspaces.create_workspace(user_id=actor.user_id, name=name, session=s))
        except FieldErrors as exc:
            self.errors = {"new_name": exc.errors.get("name", str(exc))}
            return None
        return AuthState.switch_workspace(ws.id)  # type: ignore[operator]

    @rx.event
    async def show_impact(self) -> None:
        """Count what deleting the workspace would lose (shown in the confirmation)."""
        actor = await signed_in(self)
        self.errors = {}
        try:
            i = await in_session(lambda s: workspaces.deletion_impact(actor=actor, session=s))
        except (NotFound, PermissionDenied) as exc:
            self._error("delete", exc)
            return
        self.impact = (
            f"Deleting {i.name} removes it for all {i.members} member(s): {i.agents} agent(s), "
            f"{i.conversations} conversation(s), {i.connections} connection(s) and {i.knowledge_sources} "
            "knowledge source(s) become unreachable, pending invitations stop working and its marketplace "
            "listings are unlisted. This cannot be undone."
        )

    @rx.event
    async def delete(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Delete the workspace once its name was typed; go back to the personal workspace."""
        actor = await signed_in(self)
        self.errors = {}
        confirm = str(form.get("confirm_name", ""))
        try:
            await in_session(lambda s: workspaces.delete_workspace(actor=actor, confirm_name=confirm, session=s))
        except (FieldErrors, PermissionDenied, NotFound) as exc:
            self._error("confirm_name", exc)
            return None
        return rx.redirect("/agents")


async def _deliver(invitation: Any, link: str, workspace_name: str, inviter: str) -> bool:
    """E-mail the link off the event loop (SMTP is blocking network I/O)."""
    return await asyncio.to_thread(
        invitations.deliver, invitation=invitation, link=link, workspace_name=workspace_name, inviter_email=inviter
    )
