"""A subscribed agent on the chat page: the subscriber's own conversations, pinned to the
listing's version, shown without the publisher's model; another user cannot open them; after
unsubscribing the history stays readable and sending is refused with a sentence."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backend.accounts.actor import Actor, NotFound
from backend.db import session_scope
from backend.runtime.run import RunRejected
from dashboard.chat.subscribed import PREFIX, PUBLISHERS_MODEL, conversations, edge, listing_of, load_messages
from marketplace.subscriptions import subscribe, unsubscribe
from tests.support.marketplace import listing, publisher_connection


def test_a_subscriber_chats_in_their_own_conversations(make_actor: Callable[[], Actor]) -> None:
    owner, fan, stranger = make_actor(), make_actor(), make_actor()
    pub = listing(owner, publisher_connection(owner), title="Tutor")
    agent = PREFIX + pub.id
    with session_scope() as s:
        subscribe(actor=fan, listing_id=pub.id, session=s)
        principal, conv_id = edge(fan, agent, "", s)
    assert conv_id is not None
    assert (principal.owner_workspace_id, principal.end_user_id) == (owner.workspace_id, fan.user_id)
    with session_scope() as s:
        listed = conversations(fan, agent, s)
        assert [(c.id, c.model, c.blueprint_version) for c in listed] == [(conv_id, PUBLISHERS_MODEL, 1)]
        assert listing_of(fan, conv_id, s) == agent
        assert load_messages(fan, conv_id, s) == []
        again, new = edge(fan, agent, conv_id, s)  # an open conversation: no new one
        assert new is None and again.end_user_id == fan.user_id
        assert listing_of(stranger, conv_id, s) is None
        with pytest.raises(NotFound):
            load_messages(stranger, conv_id, s)
        with pytest.raises(NotFound):
            load_messages(owner, conv_id, s)  # the publisher sees aggregates, not conversations


def test_after_unsubscribing_history_stays_and_sending_is_refused(make_actor: Callable[[], Actor]) -> None:
    owner, fan = make_actor(), make_actor()
    pub = listing(owner, publisher_connection(owner), title="Tutor")
    agent = PREFIX + pub.id
    with session_scope() as s:
        subscribe(actor=fan, listing_id=pub.id, session=s)
        _, conv_id = edge(fan, agent, "", s)
        unsubscribe(actor=fan, listing_id=pub.id, session=s)
    with session_scope() as s:
        assert [c.id for c in conversations(fan, agent, s)] == [conv_id]
        assert load_messages(fan, str(conv_id), s) == []
        with pytest.raises(RunRejected, match="not subscribed"):
            edge(fan, agent, str(conv_id), s)
