"""An API key's own rate limit and budget (scope ``api_key``) bind only calls made with that key,
also when the key's workspace is not the agent's owner (a subscriber's key)."""

from __future__ import annotations

from collections.abc import Callable

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.gateway.budgets import applicable_budgets
from backend.gateway.ratelimit import rules_for
from backend.models import Budget, RateLimitRule


def test_a_keys_rules_apply_to_its_calls_only(make_actor: Callable[[], Actor]) -> None:
    owner, subscriber = make_actor(), make_actor()
    with session_scope() as s:
        # the subscriber's key lives in the subscriber's workspace; the agent is the owner's
        s.add(RateLimitRule(workspace_id=subscriber.workspace_id, scope="api_key", scope_id="key1", requests_per_min=3))
        s.add(
            Budget(workspace_id=subscriber.workspace_id, scope="api_key", scope_id="key1", period="month", limit_nano=5)
        )
        s.add(RateLimitRule(workspace_id=owner.workspace_id, scope="agent", scope_id="agent1", requests_per_min=9))
    with session_scope() as s:
        with_key = rules_for(
            s, workspace_id=owner.workspace_id, agent_id="agent1", end_user_id=subscriber.user_id, api_key_id="key1"
        )
        other_key = rules_for(
            s, workspace_id=owner.workspace_id, agent_id="agent1", end_user_id=subscriber.user_id, api_key_id="key2"
        )
        budgets = applicable_budgets(
            s, workspace_id=owner.workspace_id, agent_id="agent1", end_user_id=subscriber.user_id, api_key_id="key1"
        )
        no_key = applicable_budgets(s, workspace_id=owner.workspace_id, agent_id="agent1", end_user_id=None)
    assert sorted((r.scope, r.requests_per_min) for r in with_key) == [("agent", 9), ("api_key", 3)]
    assert [(r.scope, r.requests_per_min) for r in other_key] == [("agent", 9)]
    assert [(b.scope, b.limit_nano) for b in budgets] == [("api_key", 5)]
    assert no_key == []
