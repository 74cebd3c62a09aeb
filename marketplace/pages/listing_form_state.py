"""State of the listing form (``/publisher/listing?agent=<agent id>``): create or edit the agent's
listing, then publish it. Field errors of :class:`ListingInvalid` show beside their fields."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.agents.service import list_agents
from backend.connections.service import list_connections
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session
from marketplace.errors import ListingInvalid, MarketplaceError
from marketplace.listings import listing_for_agent, listing_input, publish_listing, save_listing
from marketplace.pages.listing_fields import OWN_CONNECTION, field_errors, form_values
from marketplace.pages.listing_fields import listing_input as parse_form
from marketplace.pages.rows import PairRow
from marketplace.schemas import ListingInput, PublisherListing


def _load(
    actor: Actor, agent_id: str, session: Session
) -> tuple[str, PublisherListing | None, ListingInput, list[PairRow]]:
    """The agent's name, its listing (or None), the form's data and the workspace's connections."""
    agent = next((a for a in list_agents(actor=actor, session=session) if a.id == agent_id), None)
    if agent is None:
        raise NotFound("Agent not found.")
    listing = listing_for_agent(actor=actor, agent_id=agent_id, session=session)
    if listing is None:
        data = ListingInput(title=agent.name, tagline=agent.description[:160], icon=agent.avatar or "🤖")
    else:
        data = listing_input(actor=actor, listing_id=listing.id, session=session)
    conns = [PairRow(c.id, c.name) for c in list_connections(actor=actor, session=session)]
    return agent.name, listing, data, conns


class ListingFormState(rx.State):
    """The listing form."""

    agent_id: str = ""
    agent_name: str = ""
    listing_id: str = ""
    slug: str = ""
    status: str = ""
    form: dict[str, str] = {}
    errors: dict[str, str] = field_errors({})
    connections: list[PairRow] = []
    plan_kind: str = "free"
    loaded: bool = False
    missing: bool = False
    saving: bool = False
    notice: str = ""
    error: str = ""

    def _show(self, listing: PublisherListing | None) -> None:
        if listing is not None:
            self.listing_id, self.slug, self.status = listing.id, listing.slug, listing.status

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: the agent of ``?agent=`` and its listing (a new draft's fields from the agent)."""
        actor = await signed_in(self)
        self.agent_id = str(self.router.url.query_parameters.get("agent", "") or "")[:64]
        self.loaded = self.missing = False
        self.listing_id = self.slug = self.status = self.notice = self.error = ""
        self.errors = field_errors({})
        agent_id = self.agent_id
        try:
            name, listing, data, conns = await in_session(lambda s: _load(actor, agent_id, s))
        except (NotFound, PermissionDenied):
            self.missing, self.loaded = True, True
            return
        self.agent_name, self.connections, self.form = name, conns, form_values(data)
        self.plan_kind = data.plan_kind
        self._show(listing)
        self.loaded = True

    @rx.event
    def set_plan_kind(self, value: str) -> None:
        """The plan radio: shows the price fields of that plan."""
        self.plan_kind = value if value in ("free", "monthly", "per_run") else "free"

    @rx.event
    async def save(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Save the form: create the draft or update the listing; errors beside their fields."""
        actor = await signed_in(self)
        form = {**form, "plan_kind": self.plan_kind}
        data, parse_errors = parse_form(form)
        self.notice = self.error = ""
        self.form = {k: str(v) for k, v in form.items()}
        if parse_errors:
            self.errors = field_errors(parse_errors)
            self.error = "Some fields need a look (marked below)."
            return
        agent_id = self.agent_id
        self.saving = True
        yield
        try:
            listing = await in_session(lambda s: save_listing(actor=actor, agent_id=agent_id, data=data, session=s))
        except ListingInvalid as exc:
            self.errors, self.error = field_errors(exc.errors), "Some fields need a look (marked below)."
        except (NotFound, PermissionDenied, MarketplaceError) as exc:
            self.error = str(exc)
        else:
            self.errors = field_errors({})
            self._show(listing)
            self.form["slug"] = listing.slug
            self.notice = "Saved." + (" Publish it when you are ready." if listing.status != "published" else "")
        self.saving = False

    @rx.event
    async def publish(self):  # type: ignore[no-untyped-def]
        """Publish the saved listing (searchable, subscribable)."""
        actor = await signed_in(self)
        listing_id = self.listing_id
        self.notice = self.error = ""
        try:
            listing = await in_session(lambda s: publish_listing(actor=actor, listing_id=listing_id, session=s))
        except (NotFound, PermissionDenied, MarketplaceError) as exc:
            self.error = str(exc)
            return
        self._show(listing)
        self.notice = "Published: anyone can find it in the marketplace now."


__all__ = ["OWN_CONNECTION", "ListingFormState"]
