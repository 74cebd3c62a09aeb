"""Accounts behind provider identities: sign in, first sign-in creates the account, link, unlink.

The rule against account takeover: an identity that is not linked yet never signs anyone in to
an existing account because the e-mails match. The owner of that account signs in with their
password and links the provider on the Account page (the proof of the password). A first
sign-in creates an account only for an e-mail the provider says it verified.

Every function touches the database: call them from a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts import audit
from backend.accounts.actor import Actor, NotFound
from backend.accounts.oidc import ProviderUser
from backend.accounts.service import AuthError, create_account, open_session
from backend.models import User, UserIdentity, UserPublic
from backend.security import passwords


@dataclass
class IdentityError(AuthError):
    """A provider sign-in or link refused; ``code`` names why (``exists``: the e-mail has an
    account not linked to this identity; ``unverified``; ``no_email``; ``taken``: linked to
    another account; ``last``: the only way to sign in; ``gone``)."""

    code: str = "failed"


@dataclass(frozen=True)
class IdentityPublic:
    """A linked identity as the Account page shows it."""

    id: str
    provider: str
    email: str
    linked_at: datetime


def sign_in_with(who: ProviderUser, *, provider_name: str, session: Session) -> tuple[UserPublic, str]:
    """Open a session for the user linked to ``who``; on a first sign-in create the account.

    For an account with two-factor sign-in on, call :func:`account_for` instead and open the
    session only once the code is right.

    Args:
        provider_name: shown in messages ("Google").

    Returns:
        ``(user, token)`` as ``backend.accounts.service.sign_up``.

    Raises:
        AuthError: as :func:`account_for`.
    """
    return open_session(user=account_for(who, provider_name=provider_name, session=session), session=session)


def account_for(who: ProviderUser, *, provider_name: str, session: Session) -> User:
    """The account linked to ``who``; on a first sign-in, a new account (and identity) for it.

    Opens no session: the caller does, after any second factor.

    Raises:
        IdentityError: the e-mail belongs to an account not linked to this identity (``exists``:
            sign in with the password and link on the Account page), the provider did not verify
            the e-mail (``unverified``) or shared none (``no_email``), the account is gone
            (``gone``), or the same identity is being signed in at this moment (``taken``).
    """
    found = session.exec(
        select(UserIdentity).where(UserIdentity.provider == who.provider, UserIdentity.subject == who.subject)
    ).first()
    if found is not None:
        user = session.get(User, found.user_id)
        if user is None:
            raise IdentityError("Your account no longer exists.", None, "gone")
        return user
    email = passwords.normalize_email(who.email)
    if not email or passwords.validate_email(email) is not None:
        raise IdentityError(
            f"{provider_name} did not share an e-mail address, so no account can be made.", None, "no_email"
        )
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise IdentityError(
            f"An account with {email} already exists. Sign in with your password, "
            f"then link {provider_name} on the Account page.",
            None,
            "exists",
        )
    if not who.email_verified:
        raise IdentityError(
            f"{provider_name} has not verified {email}. Verify it there, then try again.", None, "unverified"
        )
    user, _ = create_account(email=email, password_hash="", session=session)
    try:
        with session.begin_nested():
            session.add(UserIdentity(provider=who.provider, subject=who.subject, user_id=user.id, email=email))
            session.flush()
    except IntegrityError as exc:  # the same identity signed in twice at once
        raise IdentityError("This sign-in is already being handled. Try again.", None, "taken") from exc
    return user


def link(who: ProviderUser, *, actor: Actor, provider_name: str, session: Session) -> IdentityPublic:
    """Link ``who`` to the signed-in user of ``actor`` (they proved who they are by their session).

    Writes the audit event ``identity.linked``. Linking an identity the user already has is a no-op.

    Raises:
        AuthError: the identity already belongs to another account.
    """
    found = session.exec(
        select(UserIdentity).where(UserIdentity.provider == who.provider, UserIdentity.subject == who.subject)
    ).first()
    if found is not None and found.user_id != actor.user_id:
        raise IdentityError(
            f"This {provider_name} account is already linked to another Agent Hub account.", None, "taken"
        )
    if found is None:
        found = UserIdentity(provider=who.provider, subject=who.subject, user_id=actor.user_id, email=who.email)
        session.add(found)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="identity.linked",
            target_kind="identity",
            target_id=found.id,
            summary=f"Linked {provider_name} ({who.email or 'no e-mail'})",
        )
    return _public(found)


def list_identities(*, actor: Actor, session: Session) -> list[IdentityPublic]:
    """The identities linked to the actor's own account, oldest first."""
    rows = session.exec(
        select(UserIdentity).where(UserIdentity.user_id == actor.user_id).order_by(col(UserIdentity.linked_at))
    ).all()
    return [_public(r) for r in rows]


def unlink(*, actor: Actor, identity_id: str, session: Session) -> None:
    """Unlink one of the actor's own identities; writes the audit event ``identity.unlinked``.

    Raises:
        NotFound: no such identity of this user (another user's counts as not found).
        AuthError: it is the last way to sign in (no password and no other identity).
    """
    row = session.get(UserIdentity, identity_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound("No such linked account.")
    user = session.get(User, actor.user_id)
    others = session.exec(
        select(UserIdentity).where(UserIdentity.user_id == actor.user_id, UserIdentity.id != identity_id)
    ).first()
    if others is None and (user is None or not user.password_hash):
        raise IdentityError("This is your only way to sign in: link another provider first.", None, "last")
    session.delete(row)
    audit.record(
        session,
        actor=actor,
        action="identity.unlinked",
        target_kind="identity",
        target_id=identity_id,
        summary=f"Unlinked {row.provider} ({row.email or 'no e-mail'})",
    )
    session.flush()


def _public(row: UserIdentity) -> IdentityPublic:
    return IdentityPublic(id=row.id, provider=row.provider, email=row.email, linked_at=row.linked_at)
