"""Two-factor sign-in: TOTP good, bad and replayed codes, recovery codes, the owner-only requirement."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyotp
import pytest
from sqlmodel import select

from backend.accounts import twofactor
from backend.accounts.actor import Actor, PermissionDenied
from backend.db import session_scope
from backend.models import AuditEvent, UserTwoFactor

T0 = 1_800_000_000.0  # a fixed instant (Unix seconds) at the start of a 30 s step


def _code(secret: str, at: float) -> str:
    return pyotp.TOTP(secret).at(datetime.fromtimestamp(at, UTC))


def _enabled(actor: Actor) -> tuple[str, list[str]]:
    with session_scope() as s:
        key = twofactor.start_setup(user_id=actor.user_id, session=s)
    with session_scope() as s:
        codes = twofactor.confirm_setup(actor=actor, code=_code(key.secret, T0), session=s, now=T0)
    return key.secret, codes


def test_setup_stores_the_secret_encrypted_and_shows_an_otpauth_uri(make_actor) -> None:  # type: ignore[no-untyped-def]
    actor = make_actor()
    with session_scope() as s:
        key = twofactor.start_setup(user_id=actor.user_id, session=s)
    assert key.uri.startswith("otpauth://totp/Agent%20Hub:") and f"secret={key.secret}" in key.uri
    with session_scope() as s:
        row = s.exec(select(UserTwoFactor).where(UserTwoFactor.user_id == actor.user_id)).first()
        assert row is not None and row.secret and key.secret not in row.secret
        assert not twofactor.is_enabled(user_id=actor.user_id, session=s)
        with pytest.raises(twofactor.TwoFactorError):
            twofactor.confirm_setup(actor=actor, code="000000", session=s, now=T0)


def test_good_bad_and_replayed_codes(make_actor) -> None:  # type: ignore[no-untyped-def]
    actor = make_actor()
    secret, _ = _enabled(actor)  # the set-up used the step of T0
    with session_scope() as s:
        assert not twofactor.verify(user_id=actor.user_id, code=_code(secret, T0), session=s, now=T0 + 1)  # replay
        good = _code(secret, T0 + 30)
        assert twofactor.verify(user_id=actor.user_id, code=good, session=s, now=T0 + 31)
    with session_scope() as s:
        assert not twofactor.verify(user_id=actor.user_id, code=good, session=s, now=T0 + 32)  # the same code again
        wrong = f"{(int(_code(secret, T0 + 60)) + 1) % 1_000_000:06d}"
        assert not twofactor.verify(user_id=actor.user_id, code=wrong, session=s, now=T0 + 61)
        assert not twofactor.verify(user_id=actor.user_id, code=_code(secret, T0 + 600), session=s, now=T0 + 61)
        assert twofactor.verify(user_id=actor.user_id, code=_code(secret, T0 + 60), session=s, now=T0 + 85)  # drift


def test_a_recovery_code_works_once_and_is_audited(make_actor) -> None:  # type: ignore[no-untyped-def]
    actor = make_actor()
    _, codes = _enabled(actor)
    assert len(codes) == twofactor.RECOVERY_CODES and len(set(codes)) == len(codes)
    with session_scope() as s:
        row = s.exec(select(UserTwoFactor).where(UserTwoFactor.user_id == actor.user_id)).first()
        assert row is not None and codes[0] not in row.recovery_hashes and len(json.loads(row.recovery_hashes)) == 10
        assert twofactor.verify(user_id=actor.user_id, code=codes[0].upper(), session=s, actor=actor)
    with session_scope() as s:
        assert not twofactor.verify(user_id=actor.user_id, code=codes[0], session=s, actor=actor)
        actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.actor_user_id == actor.user_id)).all()]
    assert "two_factor.enabled" in actions and "two_factor.recovery_used" in actions


def test_disable_needs_a_code(make_actor) -> None:  # type: ignore[no-untyped-def]
    actor = make_actor()
    secret, _ = _enabled(actor)
    with session_scope() as s, pytest.raises(twofactor.TwoFactorError):
        twofactor.disable(actor=actor, code="123456", session=s, now=T0 + 30)
    with session_scope() as s:
        twofactor.disable(actor=actor, code=_code(secret, T0 + 30), session=s, now=T0 + 30)
    with session_scope() as s:
        assert not twofactor.is_enabled(user_id=actor.user_id, session=s)


def test_only_an_owner_requires_two_factor_and_members_without_it_are_asked(make_actor) -> None:  # type: ignore[no-untyped-def]
    owner = make_actor()
    with session_scope() as s:
        assert not twofactor.needs_setup(user_id=owner.user_id, workspace_id=owner.workspace_id, session=s)
        twofactor.set_required(actor=owner, required=True, session=s)
    with session_scope() as s:
        assert twofactor.needs_setup(user_id=owner.user_id, workspace_id=owner.workspace_id, session=s)
    _enabled(owner)
    with session_scope() as s:
        assert not twofactor.needs_setup(user_id=owner.user_id, workspace_id=owner.workspace_id, session=s)
    stranger = make_actor()
    with session_scope() as s, pytest.raises(PermissionDenied):
        twofactor.set_required(
            actor=Actor(user_id=stranger.user_id, workspace_id=owner.workspace_id), required=False, session=s
        )
