"""Admin service for the Limits & budgets panel and the catalog: validation and actor checks."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.db import session_scope
from backend.gateway import admin
from backend.gateway.admin import LimitInputError
from backend.models import Budget, Membership
from tests.support.gateway import add_agent, add_connection
from tests.support.llm_server import LLMTestServer


def _member_of(owner: Actor, make_actor: Callable[[], Actor], role: str = "member") -> Actor:
    """A second user added to ``owner``'s workspace with ``role``."""
    other = make_actor()
    with session_scope() as s:
        s.add(Membership(workspace_id=owner.workspace_id, user_id=other.user_id, role=role))
    return Actor(user_id=other.user_id, workspace_id=owner.workspace_id)


def test_budget_crud_and_upsert(actor: Actor, llm_server: LLMTestServer) -> None:
    agent = add_agent(actor, add_connection(actor, llm_server))
    with session_scope() as s:
        first = admin.set_budget(actor=actor, scope="agent", scope_id=agent, period="day", limit_usd=0.01, session=s)
        again = admin.set_budget(
            actor=actor, scope="agent", scope_id=agent, period="day", limit_usd=0.02, token_limit=5000, session=s
        )
        admin.set_budget(actor=actor, scope="workspace", scope_id="", period="month", limit_usd=10, session=s)
        assert again.id == first.id and again.limit_nano == 20_000_000 and again.token_limit == 5000
        assert again.spent_nano == 0 and again.resets_at > again.period_start
        assert [b.scope for b in admin.list_budgets(actor=actor, session=s)] == ["agent", "workspace"]
        assert [b.id for b in admin.list_budgets(actor=actor, scope="agent", scope_id=agent, session=s)] == [first.id]
        admin.delete_budget(actor=actor, budget_id=first.id, session=s)
        assert [b.scope for b in admin.list_budgets(actor=actor, session=s)] == ["workspace"]


def test_budget_input_errors(actor: Actor) -> None:
    with session_scope() as s:
        with pytest.raises(LimitInputError) as info:
            admin.set_budget(actor=actor, scope="workspace", scope_id="", period="week", limit_usd=-1, session=s)
        assert set(info.value.errors) == {"period", "limit_usd"}
        with pytest.raises(LimitInputError):
            admin.set_budget(actor=actor, scope="workspace", scope_id="", period="day", limit_usd=None, session=s)
        with pytest.raises(LimitInputError):
            admin.set_budget(actor=actor, scope="team", scope_id="", period="day", limit_usd=1, session=s)
        with pytest.raises(NotFound):
            admin.set_budget(actor=actor, scope="agent", scope_id="nope", period="day", limit_usd=1, session=s)
        with pytest.raises(NotFound):
            admin.set_budget(actor=actor, scope="end_user", scope_id="nobody", period="day", limit_usd=1, session=s)


def test_end_user_scope_refuses_people_outside_the_workspace(actor: Actor, make_actor: Callable[[], Actor]) -> None:
    """Another workspace's user is "not found", exactly like an id that does not exist (no oracle)."""
    stranger = make_actor()
    with session_scope() as s:
        for scope_id in (stranger.user_id, "nobody"):
            with pytest.raises(NotFound, match="User not found"):
                admin.set_budget(actor=actor, scope="end_user", scope_id=scope_id, period="day", limit_usd=1, session=s)
            with pytest.raises(NotFound, match="User not found"):
                admin.set_rate_limit(actor=actor, scope="end_user", scope_id=scope_id, requests_per_min=3, session=s)
        assert admin.list_budgets(actor=actor, session=s) == []


def test_members_read_but_only_owners_and_admins_change(
    actor: Actor, make_actor: Callable[[], Actor], llm_server: LLMTestServer
) -> None:
    cid = add_connection(actor, llm_server)
    member = _member_of(actor, make_actor)
    manager = _member_of(actor, make_actor, role="admin")
    with session_scope() as s:
        with pytest.raises(PermissionDenied):
            admin.set_budget(actor=member, scope="workspace", scope_id="", period="day", limit_usd=1, session=s)
        with pytest.raises(PermissionDenied):
            admin.set_rate_limit(actor=member, scope="workspace", scope_id="", requests_per_min=3, session=s)
        with pytest.raises(PermissionDenied):
            admin.set_model_override(
                actor=member, connection_id=cid, model="m", input_usd_per_1m=1, output_usd_per_1m=1, session=s
            )
        budget = admin.set_budget(actor=manager, scope="workspace", scope_id="", period="day", limit_usd=1, session=s)
        rule = admin.set_rate_limit(
            actor=manager, scope="end_user", scope_id=member.user_id, requests_per_min=3, session=s
        )
        assert [b.id for b in admin.list_budgets(actor=member, session=s)] == [budget.id]
        assert [r.id for r in admin.list_rate_limits(actor=member, session=s)] == [rule.id]
        with pytest.raises(PermissionDenied):
            admin.delete_budget(actor=member, budget_id=budget.id, session=s)
        with pytest.raises(PermissionDenied):
            admin.delete_rate_limit(actor=member, rule_id=rule.id, session=s)


def test_other_workspaces_are_invisible(
    actor: Actor, make_actor: Callable[[], Actor], llm_server: LLMTestServer
) -> None:
    cid = add_connection(actor, llm_server)
    agent = add_agent(actor, cid)
    stranger = make_actor()
    with session_scope() as s:
        budget = admin.set_budget(actor=actor, scope="agent", scope_id=agent, period="day", limit_usd=1, session=s)
        rule = admin.set_rate_limit(actor=actor, scope="agent", scope_id=agent, requests_per_min=3, session=s)
        assert admin.list_budgets(actor=stranger, session=s) == []
        assert admin.list_rate_limits(actor=stranger, session=s) == []
        with pytest.raises(NotFound):
            admin.set_budget(actor=stranger, scope="agent", scope_id=agent, period="day", limit_usd=1, session=s)
        with pytest.raises(NotFound):
            admin.set_budget(
                actor=stranger, scope="workspace", scope_id=actor.workspace_id, period="day", limit_usd=1, session=s
            )
        with pytest.raises(NotFound):
            admin.delete_budget(actor=stranger, budget_id=budget.id, session=s)
        with pytest.raises(NotFound):
            admin.delete_rate_limit(actor=stranger, rule_id=rule.id, session=s)
        with pytest.raises(NotFound):
            admin.set_model_override(
                actor=stranger, connection_id=cid, model="m", input_usd_per_1m=1, output_usd_per_1m=1, session=s
            )
        assert admin.get_catalog(actor=stranger, session=s) == []
    outsider = Actor(user_id=stranger.user_id, workspace_id=actor.workspace_id)
    with session_scope() as s, pytest.raises(PermissionDenied):
        admin.list_budgets(actor=outsider, session=s)


def test_rate_limit_crud_and_validation(actor: Actor) -> None:
    with session_scope() as s:
        rule = admin.set_rate_limit(actor=actor, scope="workspace", scope_id="", requests_per_min=3, session=s)
        again = admin.set_rate_limit(
            actor=actor, scope="workspace", scope_id="", requests_per_min=5, tokens_per_min=1000, session=s
        )
        assert again.id == rule.id and (again.requests_per_min, again.tokens_per_min) == (5, 1000)
        assert again.scope_id == actor.workspace_id
        with pytest.raises(LimitInputError) as info:
            admin.set_rate_limit(
                actor=actor, scope="workspace", scope_id="", requests_per_min=0, tokens_per_min=-5, session=s
            )
        assert set(info.value.errors) == {"requests_per_min", "tokens_per_min"}
        with pytest.raises(LimitInputError):
            admin.set_rate_limit(actor=actor, scope="workspace", scope_id="", requests_per_min=None, session=s)
        admin.delete_rate_limit(actor=actor, rule_id=rule.id, session=s)
        assert admin.list_rate_limits(actor=actor, session=s) == []


def test_model_override_validation_and_delete(actor: Actor, llm_server: LLMTestServer) -> None:
    cid = add_connection(actor, llm_server)
    with session_scope() as s:
        with pytest.raises(LimitInputError) as info:
            admin.set_model_override(
                actor=actor,
                connection_id=cid,
                model=" ",
                input_usd_per_1m=1,
                output_usd_per_1m=None,
                context_window=0,
                session=s,
            )
        assert set(info.value.errors) == {"model", "input_usd_per_1m", "context_window"}
        entry = admin.set_model_override(
            actor=actor,
            connection_id=cid,
            model="llama3",
            input_usd_per_1m=0.2,
            output_usd_per_1m=0.4,
            context_window=8192,
            session=s,
        )
        assert (entry.input_usd_per_1m, entry.output_usd_per_1m, entry.context_window, entry.price_source) == (
            0.2,
            0.4,
            8192,
            "override",
        )
        assert any(e.model == "llama3" for e in admin.get_catalog(actor=actor, session=s))
        admin.delete_model_override(actor=actor, connection_id=cid, model="llama3", session=s)
        assert not any(e.model == "llama3" for e in admin.get_catalog(actor=actor, session=s))
        with pytest.raises(NotFound):
            admin.delete_model_override(actor=actor, connection_id=cid, model="llama3", session=s)


def test_end_users_and_manager_check(actor: Actor, make_actor: Callable[[], Actor]) -> None:
    member = _member_of(actor, make_actor)
    stranger = make_actor()
    with session_scope() as s:
        users = admin.list_end_users(actor=actor, session=s)
        assert {u.user_id for u in users} == {actor.user_id, member.user_id}
        assert [u.email for u in users] == sorted(u.email for u in users) and all("@" in u.email for u in users)
        assert admin.can_manage_limits(actor=actor, session=s) is True
        assert admin.can_manage_limits(actor=member, session=s) is False
        assert [u.user_id for u in admin.list_end_users(actor=stranger, session=s)] == [stranger.user_id]
    outsider = Actor(user_id=stranger.user_id, workspace_id=actor.workspace_id)
    with session_scope() as s:
        with pytest.raises(PermissionDenied):
            admin.list_end_users(actor=outsider, session=s)
        with pytest.raises(PermissionDenied):
            admin.can_manage_limits(actor=outsider, session=s)


def test_dollar_caps_are_stored_as_exact_nano_usd(actor: Actor) -> None:
    with session_scope() as s:
        typed = admin.set_budget(actor=actor, scope="workspace", scope_id="", period="day", limit_usd="0.30", session=s)
        exact = admin.set_budget(
            actor=actor, scope="workspace", scope_id="", period="month", limit_usd=Decimal("0.0000000025"), session=s
        )
        stored = s.exec(select(Budget).where(Budget.id == typed.id)).one()
    assert typed.limit_nano == 300_000_000 and stored.limit_nano == 300_000_000 and stored.limit_usd == Decimal("0.3")
    assert exact.limit_nano == 3  # 2.5 nano-dollars, rounded half up
    for bad in ("abc", "NaN", "Infinity", "0", "0.0000000004", "1000000.01"):
        errors = admin.apply_change(
            lambda s, bad=bad: admin.set_budget(
                actor=actor, scope="workspace", scope_id="", period="day", limit_usd=bad, session=s
            )
        )
        assert set(errors) == {"limit_usd"}, bad
    with session_scope() as s:
        assert [b.limit_nano for b in admin.list_budgets(actor=actor, scope="workspace", session=s)] == [300_000_000, 3]


def test_apply_change_reports_input_errors_missing_records_and_success(actor: Actor, make_actor) -> None:  # type: ignore[no-untyped-def]
    def set_workspace_budget(limit: float):  # type: ignore[no-untyped-def]
        return lambda s: admin.set_budget(
            actor=actor, scope="workspace", scope_id="", period="day", limit_usd=limit, session=s
        )

    assert "limit_usd" in admin.apply_change(set_workspace_budget(-1))
    assert admin.apply_change(set_workspace_budget(2.5)) == {}
    with session_scope() as s:
        (budget,) = admin.list_budgets(actor=actor, session=s)
    assert budget.limit_nano == 2_500_000_000
    stranger = make_actor()
    errors = admin.apply_change(lambda s: admin.delete_budget(actor=stranger, budget_id=budget.id, session=s))
    assert set(errors) == {"form"} and errors["form"]
    with session_scope() as s:
        assert len(admin.list_budgets(actor=actor, session=s)) == 1
