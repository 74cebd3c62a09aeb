"""Chatting with a subscribed marketplace agent on the chat page.

A subscribed agent appears in the agent picker as ``listing:<listing id>`` (``/chat?agent=listing:<id>``).
Its runs use the subscriber's principal (:func:`marketplace.subscriptions.subscriber_principal`;
conversations pinned to the listing's version by ``start_conversation``); the subscriber sees
only their own conversations with it, never its blueprint (instructions, model, connection):
the name, icon and starters come from the public listing, messages carry no figures.
After canceling, the history stays readable and sending is refused with a sentence.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.accounts.principal import RunPrincipal
from backend.chat.service import ConversationPublic, list_conversations
from backend.runtime.run import RunRejected
from dashboard.chat import citations
from dashboard.chat.format import AgentOption, ChatMessage, conversation_item
from dashboard.shell.db import in_session
from marketplace.catalog import listing_detail
from marketplace.errors import EntitlementRefused, MarketplaceError
from marketplace.subscriptions import (
    my_subscriptions,
    start_conversation,
    subscriber_conversations,
    subscriber_messages,
    subscriber_principal,
)

PREFIX = "listing:"
PUBLISHERS_MODEL = "chosen by the publisher"  # the chat shows "model chosen by the publisher · blueprint v2"


def is_subscribed(agent_id: str) -> bool:
    """Whether the picker's ``agent_id`` is a subscribed listing (``listing:<id>``)."""
    return agent_id.startswith(PREFIX)


def _listing(agent_id: str) -> str:
    return agent_id.removeprefix(PREFIX)


async def agent_options(actor: Actor) -> list[AgentOption]:
    """The picker entries of the actor's subscriptions (canceled ones too: their history)."""
    subs = await in_session(lambda s: my_subscriptions(actor=actor, session=s))
    return [
        AgentOption(
            PREFIX + x.listing_id,
            f"{x.listing_title} ({'subscribed' if x.status == 'active' else 'unsubscribed'})",
            x.icon,
        )
        for x in subs
    ]


def conversations(actor: Actor, agent_id: str, session: Session) -> list[ConversationPublic]:
    """The actor's conversations with ``agent_id``: their own agent's, or a subscribed listing's
    (the model withheld)."""
    if not is_subscribed(agent_id):
        return list_conversations(actor=actor, agent_id=agent_id, session=session)
    return [
        ConversationPublic(
            id=c.id,
            agent_id=agent_id,
            title=c.title,
            model=PUBLISHERS_MODEL,
            blueprint_version=c.version_number,
            updated_at=c.updated_at,
        )
        for c in subscriber_conversations(actor=actor, listing_id=_listing(agent_id), session=session)
    ]


async def pick(state: Any, actor: Actor, agent_id: str) -> None:
    """Select a subscribed agent on the chat page ``state``: public name, icon and example prompts,
    and the subscriber's own conversations.

    Raises:
        NotFound: the actor never subscribed to the listing, or it is gone.
    """

    def read(session: Session) -> tuple[Any, list[ConversationPublic], list[str]]:
        sub = next(
            (x for x in my_subscriptions(actor=actor, session=session) if PREFIX + x.listing_id == agent_id), None
        )
        if sub is None:
            raise NotFound("You are not subscribed to this agent.")
        try:
            starters = [e.prompt for e in listing_detail(slug=sub.listing_slug, viewer=actor, session=session).examples]
        except NotFound:  # suspended: history only
            starters = []
        return sub, conversations(actor, agent_id, session), starters

    sub, convs, starters = await in_session(read)
    state.agent_name, state.agent_avatar, state.agent_model = sub.listing_title, sub.icon, ""
    state.starters = starters if sub.status == "active" else []
    state.agent_id = agent_id
    state.conversations = [conversation_item(c) for c in convs]


def listing_of(actor: Actor, conversation_id: str, session: Session) -> str | None:
    """``listing:<id>`` of a subscribed listing whose conversation this is for the actor, or None."""
    for sub in my_subscriptions(actor=actor, session=session):
        try:
            subscriber_messages(
                actor=actor, listing_id=sub.listing_id, conversation_id=conversation_id, session=session
            )
        except NotFound:
            continue
        return PREFIX + sub.listing_id
    return None


def load_messages(actor: Actor, conversation_id: str, session: Session) -> list[ChatMessage]:
    """A conversation's messages as the chat shows them: the actor's own agent's (with figures and
    sources, :func:`dashboard.chat.citations.load_messages`), else one of their subscriber
    conversations (no figures, no link to the agent's limits: those are the publisher's).

    Raises:
        NotFound: neither.
    """
    try:
        return citations.load_messages(actor, conversation_id, session)
    except NotFound:
        listing = listing_of(actor, conversation_id, session)
        if listing is None:
            raise
    rows = subscriber_messages(
        actor=actor, listing_id=_listing(listing), conversation_id=conversation_id, session=session
    )
    return [ChatMessage(id=m.id, role=m.role, content=m.content, status=m.run_status, error=m.error) for m in rows]


class RefusedWithFix(RunRejected):
    """A run of a paid agent that billing refuses; ``fix_url``/``fix_label`` link to the fix."""

    def __init__(self, message: str, *, fix_url: str, fix_label: str) -> None:
        super().__init__(message)
        self.fix_url, self.fix_label = fix_url, fix_label


def edge(actor: Actor, agent_id: str, conversation_id: str, session: Session) -> tuple[RunPrincipal, str | None]:
    """Who a subscriber's run is for (checked again for every message) and, for a new
    conversation, its id (pinned to the listing's published version).

    Raises:
        RunRejected: the subscription ended or the listing was suspended; ``RefusedWithFix``
            when billing refuses a paid agent (with the page that fixes it).
    """
    listing_id = _listing(agent_id)
    try:
        principal = subscriber_principal(actor=actor, listing_id=listing_id, session=session)
        new = None if conversation_id else start_conversation(actor=actor, listing_id=listing_id, session=session).id
    except EntitlementRefused as exc:  # says why; the chat links to the fix
        raise RefusedWithFix(str(exc), fix_url=exc.fix_url, fix_label=exc.fix_label) from exc
    except (NotFound, PermissionDenied, MarketplaceError) as exc:
        raise RunRejected(f"{exc} Subscribe again in the marketplace to keep chatting.") from exc
    return principal, new
