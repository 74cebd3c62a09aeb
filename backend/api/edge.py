"""The developer API's edge: which agent a key may run as which ``model``, and its run principal.

Model ids: an own agent is ``<slug of its name>-<first 8 characters of its id>`` (its raw id is
accepted too); a marketplace listing is its slug. The principal is built here, once per request,
and never re-derived below (``backend.accounts.principal``):

* secret key, scope ``agent`` / ``workspace``: owner = the key's workspace, caller =
  ``Caller("api_key", key id)``, end user = the key's creator (runs show in their chat history);
* secret key, scope ``listing``: the creator's subscription, checked on every request by the
  :class:`ListingAccess` the app wires in (the marketplace: subscription, suspension, billing's
  entitlement); the caller becomes the key;
* publishable key (the embed widget): end user = a visitor user per browser id; on a listing,
  the listing's trial rules count every run.

The backend cannot import the marketplace, so ``dashboard/app.py`` calls
:func:`set_listing_access` at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Protocol

from sqlmodel import Session, col, select

from backend.accounts.actor import NotFound
from backend.accounts.principal import Caller, RunPrincipal
from backend.api.keys import KeyIdentity
from backend.chat.principal import conversation_for, create_conversation_for
from backend.models import Agent, BlueprintVersion, Listing


class ScopeDenied(Exception):
    """The key exists and works but may not use this model or route (HTTP 403)."""


class BillingRefused(Exception):
    """Billing refuses the subscription's run (HTTP 402); ``str(exc)`` says why."""


class TryRefused(Exception):
    """A listing's trial rules refuse this visitor now (HTTP 429); ``retry_after_s`` seconds."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ListingAccess(Protocol):
    """The marketplace's side of the edge (wired in by the app)."""

    def subscriber(self, *, user_id: str, listing_id: str, session: Session) -> RunPrincipal:
        """The subscriber's principal for a run. Raises NotFound, BillingRefused."""
        ...

    def visitor(self, *, listing_id: str, browser_id: str, ip: str | None, session: Session) -> RunPrincipal:
        """A try of the listing (counted). Raises NotFound, TryRefused, ValueError (browser id)."""
        ...

    def visitor_user(self, *, browser_id: str, ip: str | None, session: Session) -> str:
        """The visitor user of a browser. Raises TryRefused, ValueError (browser id)."""
        ...


_access: list[ListingAccess] = []


def set_listing_access(access: ListingAccess) -> None:
    """Wire the marketplace in (called once by ``dashboard/app.py`` and by tests)."""
    _access[:] = [access]


def _listing_access() -> ListingAccess:
    if not _access:
        raise NotFound("Marketplace agents are not available on this server.")
    return _access[0]


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by ``-`` (at most 40 characters), ``agent`` if none."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-") or "agent"


@dataclass(frozen=True)
class OwnAgent:
    """A live agent of the key's workspace: its id and current name."""

    id: str
    name: str


def agent_model_id(agent: OwnAgent) -> str:
    """An own agent's model id: ``<slug of its name>-<first 8 characters of its id>``."""
    return f"{slugify(agent.name)}-{agent.id[:8]}"


@dataclass(frozen=True)
class Target:
    """What a request runs: ``principal``; ``model`` (its model id); ``version_id`` the version
    new conversations are pinned to (a listing's; None: the agent's current); ``listing`` True
    for a marketplace agent (its model, cost and connection stay the publisher's secret)."""

    principal: RunPrincipal
    model: str
    title: str
    version_id: str | None
    listing: bool


def own_agents(workspace_id: str, session: Session) -> list[OwnAgent]:
    """The workspace's live agents with the names of their current versions."""
    rows = session.exec(
        select(Agent.id, BlueprintVersion.name)
        .join(BlueprintVersion, col(BlueprintVersion.agent_id) == col(Agent.id))
        .where(
            Agent.workspace_id == workspace_id,
            col(Agent.deleted_at).is_(None),
            col(BlueprintVersion.version) == col(Agent.current_version),
        )
    ).all()
    return [OwnAgent(agent_id, name) for agent_id, name in rows]


def _own_agents(identity: KeyIdentity, session: Session) -> list[OwnAgent]:
    return own_agents(identity.workspace_id, session)


def available(identity: KeyIdentity, session: Session) -> list[tuple[str, str, str]]:
    """``(model id, title, owned_by)`` of every model the key may use."""
    if identity.scope == "listing":
        listing = session.get(Listing, identity.scope_id)
        if listing is None or listing.status == "suspended":
            return []
        return [(listing.slug, listing.title, "marketplace")]
    agents = _own_agents(identity, session)
    if identity.scope == "agent":
        agents = [a for a in agents if a.id == identity.scope_id]
    return [(agent_model_id(a), a.name, "workspace") for a in sorted(agents, key=lambda a: a.name.lower())]


def _find_agent(identity: KeyIdentity, model: str, session: Session) -> OwnAgent | None:
    for agent in _own_agents(identity, session):
        if model in (agent.id, agent_model_id(agent)):
            return agent
    return None


def _end_user(identity: KeyIdentity, browser_id: str | None, ip: str | None, session: Session) -> str:
    if identity.kind != "publishable":
        return identity.user_id
    return _listing_access().visitor_user(browser_id=browser_id or "", ip=ip, session=session)


def resolve(
    identity: KeyIdentity, model: str, session: Session, *, browser_id: str | None = None, ip: str | None = None
) -> Target:
    """The target of ``model`` for this key, checked now (call once per run).

    Args:
        browser_id: The widget's visitor id (publishable keys only; at least 16 characters).
        ip: The client address (counts new visitors and tries per IP).

    Raises:
        NotFound: no such model for this key (also for another workspace's agents).
        ScopeDenied: a model of the workspace the key's scope does not cover.
        BillingRefused: the subscription's plan is refused by billing.
        TryRefused: a publishable listing key whose visitor used up the trial.
        ValueError: a publishable key without a usable browser id.
    """
    caller = Caller("api_key", identity.id, None)
    if identity.scope == "listing":
        listing = session.get(Listing, identity.scope_id)
        if listing is None or model not in (listing.slug, listing.id):
            if _find_agent(identity, model, session) is not None:
                raise ScopeDenied("This API key may only use its subscription's agent.")
            raise NotFound(f"The model '{model}' does not exist or this key cannot use it.")
        access = _listing_access()
        if identity.kind == "publishable":
            principal = access.visitor(listing_id=listing.id, browser_id=browser_id or "", ip=ip, session=session)
        else:
            principal = access.subscriber(user_id=identity.user_id, listing_id=listing.id, session=session)
        return Target(replace(principal, caller=caller), listing.slug, listing.title, listing.version_id, True)
    agent = _find_agent(identity, model, session)
    if agent is None:
        raise NotFound(f"The model '{model}' does not exist or this key cannot use it.")
    if identity.scope == "agent" and agent.id != identity.scope_id:
        raise ScopeDenied("This API key may only use one agent, and this is not it.")
    end_user = _end_user(identity, browser_id, ip, session)
    principal = RunPrincipal(identity.workspace_id, agent.id, caller, end_user)
    return Target(principal, agent_model_id(agent), agent.name, None, False)


def open_conversation(target: Target, conversation_id: str | None, session: Session) -> str:
    """The conversation of the run: ``conversation_id`` if it is the principal's, else a new one
    (pinned to ``target.version_id`` when set).

    Raises:
        NotFound: ``conversation_id`` is not the principal's conversation.
    """
    if conversation_id:
        return conversation_for(principal=target.principal, conversation_id=conversation_id, session=session).id
    return create_conversation_for(
        principal=target.principal, session=session, blueprint_version_id=target.version_id
    ).id
