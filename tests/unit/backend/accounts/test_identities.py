"""Provider identities: the account-takeover rule, link, unlink and their audit events."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from backend.accounts import identities
from backend.accounts.actor import Actor, NotFound
from backend.accounts.oidc import ProviderUser
from backend.accounts.service import sign_up
from backend.db import session_scope
from backend.models import AuditEvent


def _who(email: str = "", verified: bool = True) -> ProviderUser:
    return ProviderUser("oidc", uuid.uuid4().hex, email or f"p{uuid.uuid4().hex[:8]}@example.com", verified)


def test_first_sign_in_makes_a_passwordless_account_that_cannot_drop_its_only_identity() -> None:
    who = _who()
    with session_scope() as s:
        user, _ = identities.sign_in_with(who, provider_name="Local ID", session=s)
    actor = Actor(user_id=user.id, workspace_id=user.workspace_id)
    with session_scope() as s:
        [row] = identities.list_identities(actor=actor, session=s)
        with pytest.raises(identities.IdentityError) as refused:
            identities.unlink(actor=actor, identity_id=row.id, session=s)
    assert refused.value.code == "last"


def test_unlink_writes_an_audit_event_and_another_users_identity_is_not_found(make_actor) -> None:  # type: ignore[no-untyped-def]
    owner, other = make_actor(), make_actor()
    with session_scope() as s:
        linked = identities.link(_who(verified=False), actor=owner, provider_name="Local ID", session=s)
    with session_scope() as s, pytest.raises(NotFound):
        identities.unlink(actor=other, identity_id=linked.id, session=s)
    with session_scope() as s:
        identities.unlink(actor=owner, identity_id=linked.id, session=s)
    with session_scope() as s:
        actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.target_id == linked.id)).all()]
        assert sorted(actions) == ["identity.linked", "identity.unlinked"]
        assert identities.list_identities(actor=owner, session=s) == []


def test_an_identity_linked_to_one_account_cannot_be_linked_to_another(make_actor) -> None:  # type: ignore[no-untyped-def]
    first, second, who = make_actor(), make_actor(), _who()
    with session_scope() as s:
        identities.link(who, actor=first, provider_name="Local ID", session=s)
    with session_scope() as s, pytest.raises(identities.IdentityError) as refused:
        identities.link(who, actor=second, provider_name="Local ID", session=s)
    assert refused.value.code == "taken"


def test_a_password_account_is_never_signed_into_by_a_matching_email() -> None:
    email = f"m{uuid.uuid4().hex[:8]}@example.com"
    with session_scope() as s:
        sign_up(email=email, password="correct horse battery", session=s)
    with session_scope() as s, pytest.raises(identities.IdentityError) as refused:
        identities.sign_in_with(_who(email.upper(), verified=True), provider_name="Local ID", session=s)
    assert refused.value.code == "exists"
