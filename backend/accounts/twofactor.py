"""Two-factor sign-in: TOTP (RFC 6238, 6 digits, 30-second steps) with one-time recovery codes.

- Set-up: :func:`start_setup` makes a secret (stored vault-encrypted, pending); the user adds it
  to an authenticator app and proves it with a code (:func:`confirm_setup`), which enables the
  factor and returns 10 recovery codes, shown once and stored as argon2 hashes.
- Sign-in: :func:`verify` accepts a code of the current step or one step either side (clock
  drift), never a step at or before the last one accepted (a replayed or older code is refused,
  RFC 6238 section 5.2), or an unused recovery code, which is then spent.
- A workspace owner can require the factor of every member (:func:`set_required`, action
  ``workspace.security``); :func:`needs_setup` tells the sign-in to ask for set-up first.

Every change writes an audit event (``two_factor.enabled``, ``two_factor.disabled``,
``two_factor.recovery_used``, ``workspace.two_factor_required``). Functions hash or touch the
database: call them from a thread.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
from sqlmodel import Session, select

from backend.accounts import audit
from backend.accounts.actor import Actor
from backend.accounts.permissions import WORKSPACE_SECURITY, require
from backend.models import User, UserTwoFactor, Workspace
from backend.models.common import utcnow
from backend.security import passwords
from backend.security.keys import get_vault

ISSUER = "Agent Hub"
RECOVERY_CODES = 10
DRIFT_STEPS = 1
"""Codes of one step (30 s) before or after the current one are accepted."""


class TwoFactorError(Exception):
    """A two-factor request refused; ``str(exc)`` is safe to show."""


@dataclass(frozen=True)
class SetupKey:
    """What an authenticator app needs: ``secret`` (base32, to type in) and ``uri`` (the
    ``otpauth://totp/...`` URI a QR code carries). Shown once to the user; never logged."""

    secret: str
    uri: str


def _row(session: Session, user_id: str) -> UserTwoFactor | None:
    return session.exec(select(UserTwoFactor).where(UserTwoFactor.user_id == user_id)).first()


def _ad(user_id: str) -> str:
    return f"totp:{user_id}"


def start_setup(*, user_id: str, session: Session) -> SetupKey:
    """Make a new pending secret for ``user_id`` (replacing a pending one).

    Raises:
        TwoFactorError: two-factor sign-in is already on (turn it off first).
    """
    row = _row(session, user_id)
    if row is not None and row.enabled_at is not None:
        raise TwoFactorError("Two-factor sign-in is already on.")
    user = session.get(User, user_id)
    secret = pyotp.random_base32()
    row = row or UserTwoFactor(user_id=user_id)
    row.secret = get_vault().encrypt(secret, associated_data=_ad(user_id))
    row.last_step, row.recovery_hashes = 0, "[]"
    session.add(row)
    session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email if user else user_id, issuer_name=ISSUER)
    return SetupKey(secret=secret, uri=uri)


def _matching_step(row: UserTwoFactor, code: str, now: float) -> int | None:
    if not row.secret or not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(get_vault().decrypt(row.secret, associated_data=_ad(row.user_id)))
    current = totp.timecode(datetime.fromtimestamp(now, UTC))
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_totp(row: UserTwoFactor, code: str, now: float) -> bool:
    step = _matching_step(row, code, now)
    if step is None or step <= row.last_step:
        return False
    row.last_step = step
    return True


def confirm_setup(*, actor: Actor, code: str, session: Session, now: float | None = None) -> list[str]:
    """Enable the pending factor once ``code`` matches; returns the recovery codes (shown once).

    Raises:
        TwoFactorError: no pending set-up, or the code does not match.
    """
    row = _row(session, actor.user_id)
    if row is None or row.enabled_at is not None:
        raise TwoFactorError("Start the set-up again.")
    if not _accept_totp(row, code.strip().replace(" ", ""), time.time() if now is None else now):
        raise TwoFactorError("That code is not right. Check the time on your device and try the next code.")
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    row.recovery_hashes = json.dumps([passwords.hash_password(c) for c in codes])
    row.enabled_at = utcnow()
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="two_factor.enabled",
        target_kind="user",
        target_id=actor.user_id,
        summary="Turned on two-factor sign-in",
    )
    return codes


def is_enabled(*, user_id: str, session: Session) -> bool:
    """True when ``user_id`` signs in with a second factor."""
    row = _row(session, user_id)
    return row is not None and row.enabled_at is not None


def verify(*, user_id: str, code: str, session: Session, now: float | None = None, actor: Actor | None = None) -> bool:
    """Check a sign-in code: a TOTP code not used before, or an unused recovery code (spent).

    Args:
        code: 6 digits, or a recovery code ``xxxxxx-xxxxxx``.
        now: Unix seconds (tests); default the current time.
        actor: where to write the ``two_factor.recovery_used`` audit event (the user's workspace).

    Returns:
        False for a wrong, replayed or older code, or when the factor is not on.
    """
    row = _row(session, user_id)
    if row is None or row.enabled_at is None:
        return False
    code = code.strip().replace(" ", "").lower()
    if _accept_totp(row, code, time.time() if now is None else now):
        session.add(row)
        return True
    hashes: list[str] = json.loads(row.recovery_hashes or "[]")
    for index, hashed in enumerate(hashes):
        if len(code) == 13 and passwords.verify_password(hashed, code):
            row.recovery_hashes = json.dumps(hashes[:index] + hashes[index + 1 :])
            session.add(row)
            if actor is not None:
                audit.record(
                    session,
                    actor=actor,
                    action="two_factor.recovery_used",
                    target_kind="user",
                    target_id=user_id,
                    summary=f"Signed in with a recovery code ({len(hashes) - 1} left)",
                )
            return True
    return False


def disable(*, actor: Actor, code: str, session: Session, now: float | None = None) -> None:
    """Turn the factor off after a valid code (TOTP or recovery).

    Raises:
        TwoFactorError: the code does not match, or a workspace of the user requires the factor.
    """
    if not verify(user_id=actor.user_id, code=code, session=session, now=now):
        raise TwoFactorError("That code is not right.")
    row = _row(session, actor.user_id)
    if row is not None:
        session.delete(row)
    audit.record(
        session,
        actor=actor,
        action="two_factor.disabled",
        target_kind="user",
        target_id=actor.user_id,
        summary="Turned off two-factor sign-in",
    )
    session.flush()


def set_required(*, actor: Actor, required: bool, session: Session) -> None:
    """Require (or stop requiring) two-factor sign-in of every member of the actor's workspace.

    Raises:
        PermissionDenied: the actor is not an owner (action ``workspace.security``).
    """
    require(actor, WORKSPACE_SECURITY, session)
    workspace = session.get(Workspace, actor.workspace_id)
    if workspace is None or workspace.require_two_factor == required:
        return
    workspace.require_two_factor = required
    session.add(workspace)
    audit.record(
        session,
        actor=actor,
        action="workspace.two_factor_required",
        target_kind="workspace",
        target_id=workspace.id,
        summary="Required two-factor sign-in" if required else "Stopped requiring two-factor sign-in",
    )


def needs_setup(*, user_id: str, workspace_id: str, session: Session) -> bool:
    """True when the workspace requires two-factor sign-in and the user has not set it up."""
    workspace = session.get(Workspace, workspace_id)
    return bool(workspace and workspace.require_two_factor) and not is_enabled(user_id=user_id, session=session)
