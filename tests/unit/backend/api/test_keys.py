"""API keys: shown once and stored hashed, validated, scoped, listed, revoked, checked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.api.keys import (
    ApiKeyInputError,
    KeyInput,
    KeyRejected,
    authenticate,
    create_key,
    hash_key,
    list_keys,
    normalize_origin,
    revoke_key,
)
from backend.db import session_scope
from backend.models import ApiKey, Budget, Membership, RateLimitRule
from backend.models.common import utcnow
from tests.support import agents as support
from tests.support.api import api_key


def _member_of(owner: Actor, other: Actor, role: str = "member") -> Actor:
    with session_scope() as s:
        s.add(Membership(workspace_id=owner.workspace_id, user_id=other.user_id, role=role))
    return Actor(other.user_id, owner.workspace_id)


def test_a_key_is_shown_once_and_stored_only_as_its_hash(actor: Actor) -> None:
    with session_scope() as s:
        created = create_key(actor=actor, data=KeyInput(name="CI"), session=s)
    assert created.secret.startswith("ahk_") and len(created.secret) >= 40
    with session_scope() as s:
        row = s.get(ApiKey, created.key.id)
        assert row is not None
        stored = " ".join(str(v) for v in row.model_dump().values())
    assert created.secret not in stored and row.key_hash == hash_key(created.secret)
    assert created.key.prefix == created.secret[:8] and "key_hash" not in created.key.model_dump()


def test_the_keys_own_limits_become_gateway_rules_of_scope_api_key(actor: Actor) -> None:
    with session_scope() as s:
        created = create_key(
            actor=actor, data=KeyInput(name="Limited", requests_per_min=5, monthly_budget_usd="2.50"), session=s
        )
        rule = s.exec(select(RateLimitRule).where(RateLimitRule.scope_id == created.key.id)).one()
        budget = s.exec(select(Budget).where(Budget.scope_id == created.key.id)).one()
    assert (rule.scope, rule.requests_per_min) == ("api_key", 5)
    assert (budget.scope, budget.period, budget.limit_nano) == ("api_key", "month", 2_500_000_000)
    assert (created.key.requests_per_min, created.key.monthly_budget_nano) == (5, 2_500_000_000)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (KeyInput(name=""), "name"),
        (KeyInput(name="W", kind="publishable", scope="agent", scope_id="x"), "allowed_origins"),
        (KeyInput(name="W", allowed_origins=["not a url"]), "allowed_origins"),
        (KeyInput(name="W", allowed_origins=["https://a.example/path"]), "allowed_origins"),
        (KeyInput(name="W", kind="publishable", allowed_origins=["https://a.example"]), "scope"),
        (KeyInput(name="W", expires_in_days=0), "expires_in_days"),
        (KeyInput(name="W", requests_per_min=0), "requests_per_min"),
        (KeyInput(name="W", monthly_budget_usd="lots"), "monthly_budget_usd"),
        (KeyInput(name="W", scope="agent", scope_id="nope"), "scope_id"),
        (KeyInput(name="W", scope="listing", scope_id="nope"), "scope_id"),
        (KeyInput(name="W", scope="galaxy"), "scope"),
    ],
)
def test_bad_settings_get_a_message_per_field_and_store_nothing(actor: Actor, data: KeyInput, field: str) -> None:
    with session_scope() as s, pytest.raises(ApiKeyInputError) as caught:
        create_key(actor=actor, data=data, session=s)
    assert field in caught.value.errors
    with session_scope() as s:
        assert s.exec(select(ApiKey).where(ApiKey.workspace_id == actor.workspace_id)).first() is None


def test_a_key_cannot_be_scoped_to_another_workspaces_agent(make_actor: Callable[[], Actor], llm_server) -> None:  # type: ignore[no-untyped-def]
    owner, stranger = make_actor(), make_actor()
    agent_id = support.agent(owner, support.connection(owner, llm_server))
    with session_scope() as s, pytest.raises(ApiKeyInputError) as caught:
        create_key(actor=stranger, data=KeyInput(name="X", scope="agent", scope_id=agent_id), session=s)
    assert "scope_id" in caught.value.errors


def test_authenticate_refuses_missing_unknown_revoked_expired_and_foreign_origin(actor: Actor) -> None:
    good = api_key(actor)
    with session_scope() as s:
        for secret, status in ((None, 401), ("", 401), ("ahk_unknown", 401)):
            with pytest.raises(KeyRejected) as caught:
                authenticate(secret, None, s)
            assert caught.value.status == status
        identity = authenticate(good, None, s)
    assert identity.user_id == actor.user_id and identity.scope == "workspace"
    with session_scope() as s:
        row = s.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(good))).one()
        assert row.last_used_at is not None  # recorded on use
        row.expires_at = utcnow() - timedelta(minutes=1)
        s.add(row)
    with session_scope() as s, pytest.raises(KeyRejected, match="expired"):
        authenticate(good, None, s)
    with session_scope() as s:
        revoke_key(actor=actor, key_id=row.id, session=s)
    with session_scope() as s, pytest.raises(KeyRejected, match="revoked"):
        authenticate(good, None, s)


def test_a_publishable_key_works_only_from_its_origins(actor: Actor, llm_server) -> None:  # type: ignore[no-untyped-def]
    agent_id = support.agent(actor, support.connection(actor, llm_server))
    key = api_key(
        actor, kind="publishable", scope="agent", scope_id=agent_id, allowed_origins=["https://Shop.example:8443/"]
    )
    assert key.startswith("ahp_")
    with session_scope() as s:
        assert authenticate(key, "https://shop.example:8443", s).kind == "publishable"
        for origin in (None, "https://shop.example", "http://shop.example:8443", "https://evil.example"):
            with pytest.raises(KeyRejected) as caught:
                authenticate(key, origin, s)
            assert caught.value.status == 403


def test_a_key_stops_when_its_creator_leaves_the_workspace(make_actor: Callable[[], Actor]) -> None:
    owner = make_actor()
    member = _member_of(owner, make_actor())
    key = api_key(member)
    with session_scope() as s:
        assert authenticate(key, None, s).workspace_id == owner.workspace_id
        s.delete(s.get(Membership, (owner.workspace_id, member.user_id)))
    with session_scope() as s, pytest.raises(KeyRejected, match="left"):
        authenticate(key, None, s)


def test_members_see_and_revoke_their_own_keys_managers_all(make_actor: Callable[[], Actor]) -> None:
    owner = make_actor()
    member = _member_of(owner, make_actor())
    api_key(owner, name="Owner's")
    api_key(member, name="Member's")
    with session_scope() as s:
        assert {k.name for k in list_keys(actor=owner, session=s)} == {"Owner's", "Member's"}
        mine = list_keys(actor=member, session=s)
        assert [k.name for k in mine] == ["Member's"]
        owners = next(k for k in list_keys(actor=owner, session=s) if k.name == "Owner's")
    with session_scope() as s, pytest.raises(PermissionDenied):
        revoke_key(actor=member, key_id=owners.id, session=s)
    with session_scope() as s:
        assert revoke_key(actor=owner, key_id=mine[0].id, session=s).revoked_at is not None
    with session_scope() as s, pytest.raises(NotFound):
        revoke_key(actor=make_actor(), key_id=owners.id, session=s)


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://www.example.com", "https://www.example.com"),
        ("https://WWW.Example.com/", "https://www.example.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("ftp://example.com", None),
        ("https://example.com/page", None),
        ("https://user@example.com", None),
        ("example.com", None),
    ],
)
def test_normalize_origin(raw: str, origin: str | None) -> None:
    assert normalize_origin(raw) == origin
