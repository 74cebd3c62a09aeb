"""Every role x every mutating service call: allowed calls succeed, the others raise
``PermissionDenied`` and change nothing (the workspace's rows keep their fingerprint)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from backend.accounts import invitations, members, permissions, twofactor, workspaces
from backend.accounts.actor import Actor, PermissionDenied
from backend.accounts.audit import list_events
from backend.agents import drafts
from backend.agents.service import create_agent, delete_agent, restore_version, save_agent
from backend.analytics.periods import custom_period
from backend.analytics.publisher import publisher_view
from backend.analytics.service import agent_choices
from backend.api.keys import KeyInput, create_key
from backend.blueprints import get_blueprint
from backend.connections.service import create_connection, delete_connection, list_connections, update_connection
from backend.db import session_scope
from backend.gateway.admin import (
    delete_budget,
    set_budget,
    set_model_override,
    set_rate_limit,
)
from backend.gateway.catalog import get_catalog
from backend.memory.conversation import update_memory_settings
from backend.memory.embedder import clear_embedding_model
from backend.memory.knowledge import add_text
from backend.models import BlueprintFields, Membership
from backend.models.tools import CustomToolCreate
from backend.tools.custom import create_custom_tool
from billing.earnings import publisher_earnings
from billing.errors import BillingError
from billing.manage import payout_onboarding_url
from marketplace.listings import publish_listing, save_listing, unlist_listing
from marketplace.schemas import ListingInput
from tests.support.marketplace import listing, publisher_connection
from tests.support.teams import fingerprint, new_user


@dataclass
class World:
    """An owner's workspace with an agent, a connection, a budget and a draft listing."""

    owner: Actor
    agent_id: str
    connection_id: str
    budget_id: str
    listing_id: str
    other_user_id: str


@pytest.fixture(scope="module")
def people() -> dict[str, str]:
    """User ids (signed up once for the module): an owner, one member per other role, and a viewer to manage."""
    return {name: new_user() for name in ("owner", *permissions.ROLES[1:], "other", "stranger")}


@pytest.fixture
def world(people: dict[str, str]) -> World:
    with session_scope() as s:
        workspace = workspaces.create_workspace(user_id=people["owner"], name="Team", session=s)
    owner = Actor(people["owner"], workspace.id)
    conn = publisher_connection(owner)
    row = listing(owner, conn, publish=False)
    with session_scope() as s:
        for role in permissions.ROLES[1:]:
            s.add(Membership(workspace_id=workspace.id, user_id=people[role], role=role))
        s.add(Membership(workspace_id=workspace.id, user_id=people["other"], role=permissions.VIEWER))
        budget = set_budget(actor=owner, scope="workspace", scope_id="", period="day", limit_usd="5", session=s)
    return World(owner, row.agent_id, conn, budget.id, row.id, people["other"])


def _fields(w: World, s: Session, actor: Actor) -> BlueprintFields:
    bp = get_blueprint(actor=actor, agent_id=w.agent_id, session=s)
    return BlueprintFields(**{n: getattr(bp, n) for n in BlueprintFields.model_fields})


def _tool() -> CustomToolCreate:
    return CustomToolCreate(name="lookup", description="Look up.", method="GET", url_template="https://example.com/x")


def _payout_onboarding(a: Actor, w: World, s: Session) -> None:
    """Allowed roles reach the payout set-up, which test mode then declines (payouts are simulated)."""
    with pytest.raises(BillingError, match="Test mode"):
        payout_onboarding_url(actor=a, refresh_url="http://x/earnings", return_url="http://x/earnings", session=s)


_PERIOD = custom_period(date(2026, 5, 1), date(2026, 5, 2), "UTC", "day")

CALLS: dict[str, tuple[str, Callable[[Actor, World, Session], Any]]] = {
    "create_agent": (
        permissions.AGENTS_EDIT,
        lambda a, w, s: create_agent(actor=a, fields=_fields(w, s, a), session=s),
    ),
    "save_agent": (
        permissions.AGENTS_EDIT,
        lambda a, w, s: save_agent(actor=a, agent_id=w.agent_id, fields=_fields(w, s, a), session=s),
    ),
    "update_draft": (
        permissions.AGENTS_EDIT,
        lambda a, w, s: drafts.update_draft(actor=a, agent_id=w.agent_id, changes={"description": "x"}, session=s),
    ),
    "save_version": (
        permissions.AGENTS_EDIT,
        lambda a, w, s: drafts.save_version(actor=a, agent_id=w.agent_id, session=s),
    ),
    "discard_draft": (
        permissions.AGENTS_EDIT,
        lambda a, w, s: drafts.discard_draft(actor=a, agent_id=w.agent_id, session=s),
    ),
    "restore_version": (
        permissions.AGENTS_EDIT,
        lambda a, w, s: restore_version(actor=a, agent_id=w.agent_id, version=1, session=s),
    ),
    "delete_agent": (permissions.AGENTS_EDIT, lambda a, w, s: delete_agent(actor=a, agent_id=w.agent_id, session=s)),
    "add_knowledge_text": (
        permissions.AGENTS_EDIT,
        lambda a, w, s: add_text(actor=a, agent_id=w.agent_id, title="t", text="hello", session=s),
    ),
    "memory_settings": (
        permissions.AGENTS_EDIT,
        lambda a, w, s: update_memory_settings(
            actor=a, agent_id=w.agent_id, enabled=True, max_age_days=None, max_rows=None, session=s
        ),
    ),
    "create_custom_tool": (
        permissions.TOOLS_MANAGE,
        lambda a, w, s: create_custom_tool(actor=a, data=_tool(), session=s),
    ),
    "list_connections": (permissions.CONNECTIONS_VIEW, lambda a, w, s: list_connections(actor=a, session=s)),
    "model_catalog": (permissions.CONNECTIONS_VIEW, lambda a, w, s: get_catalog(actor=a, session=s)),
    "create_connection": (
        permissions.CONNECTIONS_MANAGE,
        lambda a, w, s: create_connection(
            actor=a, name="New", provider="openai", api_key="sk-test-1234567890", base_url=None, session=s
        ),
    ),
    "update_connection": (
        permissions.CONNECTIONS_MANAGE,
        lambda a, w, s: update_connection(
            actor=a,
            connection_id=w.connection_id,
            name="Renamed",
            base_url="http://127.0.0.1:9/v1",
            api_key=None,
            session=s,
        ),
    ),
    "delete_connection": (
        permissions.CONNECTIONS_MANAGE,
        lambda a, w, s: delete_connection(actor=a, connection_id=w.connection_id, session=s),
    ),
    "set_budget": (
        permissions.LIMITS_MANAGE,
        lambda a, w, s: set_budget(actor=a, scope="workspace", scope_id="", period="month", limit_usd="9", session=s),
    ),
    "delete_budget": (
        permissions.LIMITS_MANAGE,
        lambda a, w, s: delete_budget(actor=a, budget_id=w.budget_id, session=s),
    ),
    "set_rate_limit": (
        permissions.LIMITS_MANAGE,
        lambda a, w, s: set_rate_limit(actor=a, scope="workspace", scope_id="", requests_per_min=5, session=s),
    ),
    "set_price": (
        permissions.LIMITS_MANAGE,
        lambda a, w, s: set_model_override(
            actor=a, connection_id=w.connection_id, model="m", input_usd_per_1m=1.0, output_usd_per_1m=2.0, session=s
        ),
    ),
    "clear_embedding_model": (permissions.LIMITS_MANAGE, lambda a, w, s: clear_embedding_model(actor=a, session=s)),
    "save_listing": (
        permissions.MARKETPLACE_PUBLISH,
        lambda a, w, s: save_listing(
            actor=a, agent_id=w.agent_id, data=ListingInput(title="Changed", description="d"), session=s
        ),
    ),
    "publish_listing": (
        permissions.MARKETPLACE_PUBLISH,
        lambda a, w, s: publish_listing(actor=a, listing_id=w.listing_id, session=s),
    ),
    "unlist_listing": (
        permissions.MARKETPLACE_PUBLISH,
        lambda a, w, s: unlist_listing(actor=a, listing_id=w.listing_id, session=s),
    ),
    "invite": (
        permissions.MEMBERS_MANAGE,
        lambda a, w, s: invitations.invite(
            actor=a, email="new@example.com", role="viewer", base_url="http://x", session=s
        ),
    ),
    "list_invitations": (permissions.MEMBERS_MANAGE, lambda a, w, s: invitations.list_invitations(actor=a, session=s)),
    "change_role": (
        permissions.MEMBERS_MANAGE,
        lambda a, w, s: members.change_role(actor=a, user_id=w.other_user_id, role="builder", session=s),
    ),
    "remove_member": (
        permissions.MEMBERS_MANAGE,
        lambda a, w, s: members.remove_member(actor=a, user_id=w.other_user_id, session=s),
    ),
    "analytics_agents": (
        permissions.ANALYTICS_VIEW,
        lambda a, w, s: agent_choices(actor=a, session=s),
    ),
    "audit_events": (permissions.AUDIT_VIEW, lambda a, w, s: list_events(actor=a, session=s)),
    "rename_workspace": (
        permissions.WORKSPACE_RENAME,
        lambda a, w, s: workspaces.rename_workspace(actor=a, name="Renamed", session=s),
    ),
    "require_two_factor": (
        permissions.WORKSPACE_SECURITY,
        lambda a, w, s: twofactor.set_required(actor=a, required=False, session=s),
    ),
    "deletion_impact": (permissions.WORKSPACE_DELETE, lambda a, w, s: workspaces.deletion_impact(actor=a, session=s)),
    "create_api_key": (
        permissions.API_KEYS_MANAGE,
        lambda a, w, s: create_key(actor=a, data=KeyInput(name="CI key", requests_per_min=5), session=s),
    ),
    "publisher_earnings": (
        permissions.BILLING_VIEW,
        lambda a, w, s: publisher_earnings(actor=a, session=s),
    ),
    "payout_onboarding": (permissions.BILLING_MANAGE, _payout_onboarding),
    "publisher_analytics": (
        permissions.ANALYTICS_VIEW,
        lambda a, w, s: publisher_view(actor=a, period=_PERIOD, listing_id=w.listing_id, session=s),
    ),
}


def test_every_action_of_the_matrix_is_exercised() -> None:
    exercised = {action for action, _ in CALLS.values()}
    untested = set(permissions.ALLOWED) - exercised
    # agents.use and members.view are reads every member may do.
    assert untested <= {
        "agents.use",
        "members.view",
    }


@pytest.mark.parametrize("role", permissions.ROLES)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_role_matrix(call: str, role: str, world: World, people: dict[str, str]) -> None:
    action, fn = CALLS[call]
    actor = world.owner if role == permissions.OWNER else Actor(people[role], world.owner.workspace_id)
    before = fingerprint(world.owner.workspace_id)
    if permissions.role_allows(role, action):
        with session_scope() as s:
            fn(actor, world, s)
        return
    with pytest.raises(PermissionDenied), session_scope() as s:
        fn(actor, world, s)
    assert fingerprint(world.owner.workspace_id) == before


def test_a_stranger_is_refused_everything(world: World, people: dict[str, str]) -> None:
    stranger = Actor(people["stranger"], world.owner.workspace_id)
    before = fingerprint(world.owner.workspace_id)
    for name, (_, fn) in CALLS.items():
        with pytest.raises(PermissionDenied), session_scope() as s:
            fn(stranger, world, s)
        assert fingerprint(world.owner.workspace_id) == before, name
