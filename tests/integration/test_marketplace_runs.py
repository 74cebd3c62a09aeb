"""Subscribers and visitors run a publisher's listed agent through the real run path (local LLM
server): the pinned version answers, each keeps private conversations and memory, unsubscribing
stops runs but keeps history, and no marketplace function shows a subscriber the publisher's
instructions, knowledge, tool secret or connection, or another subscriber's conversations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlmodel import Session, select

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.accounts.principal import RunPrincipal
from backend.agents.service import save_agent
from backend.blueprints import get_blueprint
from backend.chat.service import list_conversations
from backend.db import session_scope
from backend.memory.conversation import update_memory_settings
from backend.memory.knowledge import add_text
from backend.memory.worker import run_pending
from backend.models import BlueprintFields, UsageRecord
from backend.models.tools import CustomToolCreate
from backend.runtime.events import RunDone, RunStarted
from backend.runtime.run import run_agent
from backend.tools.custom import create_custom_tool
from marketplace import catalog, listings, moderation, reviews, search, subscriptions, trial
from marketplace.schemas import PublisherListing
from tests.support.llm_server import LLMTestServer
from tests.support.marketplace import listing, publisher_connection

INSTRUCTIONS = "You are the Lisbon desk. Secret sauce: zebra-42."
KNOWLEDGE = "The door code of the Lisbon branch is 4417."
TOOL_SECRET = "tool-secret-value-987654"


def _publish(owner: Actor, server: LLMTestServer) -> tuple[PublisherListing, str]:
    """A listed agent with instructions, knowledge, memory on and a custom tool with a secret."""
    conn = publisher_connection(owner, server.base_url, server.api_key)
    pub = listing(owner, conn, instructions=INSTRUCTIONS, title="Lisbon desk", description="Answers office questions")
    with session_scope() as s:
        add_text(actor=owner, agent_id=pub.agent_id, title="Facts", text=KNOWLEDGE, session=s)
        update_memory_settings(
            actor=owner, agent_id=pub.agent_id, enabled=True, max_age_days=None, max_rows=None, session=s
        )
        create_custom_tool(
            actor=owner,
            data=CustomToolCreate(
                name="crm",
                description="Look up a customer.",
                url_template="https://crm.example.com/x",
                auth_header="Authorization",
                auth_secret=TOOL_SECRET,
            ),
            session=s,
        )
    return pub, conn


def _edit(owner: Actor, agent_id: str, instructions: str) -> None:
    with session_scope() as s:
        bp = get_blueprint(actor=owner, agent_id=agent_id, session=s)
        fields = BlueprintFields(**{name: getattr(bp, name) for name in BlueprintFields.model_fields})
        fields.instructions = instructions
        save_agent(actor=owner, agent_id=agent_id, fields=fields, session=s)


async def _run(principal: RunPrincipal, conversation_id: str, text: str) -> list[Any]:
    return [e async for e in run_agent(principal=principal, conversation_id=conversation_id, user_text=text)]


async def _subscriber_turn(user: Actor, listing_id: str, text: str, conv: str | None = None) -> tuple[str, list[Any]]:
    with session_scope() as s:  # the edge: a fresh principal for every run
        principal = subscriptions.subscriber_principal(actor=user, listing_id=listing_id, session=s)
        conv = conv or subscriptions.start_conversation(actor=user, listing_id=listing_id, session=s).id
    return conv, await _run(principal, conv, text)


def _system(server: LLMTestServer) -> str:
    return str(server.chat_requests[-1].json["messages"][0]["content"])


def _everything_a_subscriber_can_read(user: Actor, pub: PublisherListing, s: Session) -> str:
    """The text of every marketplace read a subscriber may make about the listing."""
    subs = subscriptions.my_subscriptions(actor=user, session=s)
    convs = subscriptions.subscriber_conversations(actor=user, listing_id=pub.id, session=s)
    msgs = [
        subscriptions.subscriber_messages(actor=user, listing_id=pub.id, conversation_id=c.id, session=s) for c in convs
    ]
    found = search.search_listings(query="office questions", session=s)
    detail = catalog.listing_detail(slug=pub.slug, viewer=user, session=s)
    revs = reviews.list_reviews(listing_id=pub.id, viewer_user_id=user.user_id, session=s)
    return repr((subs, convs, msgs, found, detail, revs))


async def test_subscribers_run_the_pinned_version_privately(
    make_actor: Callable[[], Actor], llm_server: LLMTestServer
) -> None:
    owner, ana, ben = make_actor(), make_actor(), make_actor()
    pub, conn = _publish(owner, llm_server)
    await run_pending()  # index the knowledge
    _edit(owner, pub.agent_id, "DRAFT v2 rules, not published.")
    with session_scope() as s:
        subscriptions.subscribe(actor=ana, listing_id=pub.id, session=s)
        subscriptions.subscribe(actor=ben, listing_id=pub.id, session=s)

    # Ana runs the published v1 (not the edited agent), served by the publisher's knowledge.
    conv, events = await _subscriber_turn(ana, pub.id, "What is the door code? My favourite colour is teal.")
    assert isinstance(events[-1], RunDone) and events[-1].status == "succeeded"
    assert _system(llm_server).startswith(INSTRUCTIONS) and "4417" in str(llm_server.chat_requests[-1].json)
    run_id = next(e.run_id for e in events if isinstance(e, RunStarted))
    with session_scope() as s:
        record = s.exec(select(UsageRecord).where(UsageRecord.run_id == run_id)).one()
    assert (record.workspace_id, record.end_user_id, record.caller_kind) == (owner.workspace_id, ana.user_id, "grant")

    # A new version reaches new conversations; the old one stays on v1.
    with session_scope() as s:
        listings.publish_version(actor=owner, listing_id=pub.id, changelog="Now with v2 rules.", session=s)
        assert (
            subscriptions.subscription_for(actor=ana, listing_id=pub.id, session=s).newer_changes[0].version_number == 2
        )  # type: ignore[union-attr]
    await _subscriber_turn(ana, pub.id, "Still there?", conv)
    assert _system(llm_server).startswith(INSTRUCTIONS)
    new_conv, _ = await _subscriber_turn(ana, pub.id, "What is my favourite colour?")
    assert _system(llm_server).startswith("DRAFT v2 rules") and "teal" in str(llm_server.chat_requests[-1].json)

    # Ben's memory and conversations are his own; the publisher sees none of Ana's.
    await _subscriber_turn(ben, pub.id, "What is my favourite colour?")
    assert "teal" not in str(llm_server.chat_requests[-1].json)
    with session_scope() as s:
        assert conv not in [
            c.id for c in subscriptions.subscriber_conversations(actor=ben, listing_id=pub.id, session=s)
        ]
        with pytest.raises(NotFound):
            subscriptions.subscriber_messages(actor=ben, listing_id=pub.id, conversation_id=conv, session=s)
        assert conv not in [c.id for c in list_conversations(actor=owner, agent_id=pub.agent_id, session=s)]
        mine = subscriptions.my_subscriptions(actor=ana, session=s)[0]
        assert (mine.running_version_number, mine.current_version_number, mine.newer_changes) == (2, 2, ())
        # The publisher sees aggregates: two subscribers, four runs, success and latency.
        row = listings.publisher_listings(actor=owner, session=s)[0]
        assert (row.subscribers, row.runs_30d) == (2, 4)
        trust = catalog.listing_detail(slug=pub.slug, viewer=None, session=s).trust
        assert trust.runs_30d == 4 and trust.success_rate_pct == 100.0 and trust.median_latency_ms is not None

    # Nothing Ana can read names the instructions, knowledge, tool secret or connection.
    with session_scope() as s:
        seen = _everything_a_subscriber_can_read(ana, pub, s)
    for secret in (
        INSTRUCTIONS,
        "zebra-42",
        KNOWLEDGE,
        "4417 is",
        TOOL_SECRET,
        conn,
        llm_server.base_url,
        "test-model",
    ):
        assert secret not in seen, secret
    assert new_conv in seen and "teal" in seen  # her own conversation is there

    # The publisher's side refuses her, also when she names the publisher's workspace.
    inside = Actor(ana.user_id, owner.workspace_id)
    for call in (
        lambda s: listings.listing_input(actor=inside, listing_id=pub.id, session=s),
        lambda s: listings.publisher_listings(actor=inside, session=s),
        lambda s: listings.listing_for_agent(actor=ana, agent_id=pub.agent_id, session=s),
        lambda s: listings.publish_version(actor=inside, listing_id=pub.id, changelog="x", session=s),
        lambda s: moderation.report_queue(actor=ana, session=s),
        lambda s: get_blueprint(actor=inside, agent_id=pub.agent_id, session=s),
    ):
        with pytest.raises((NotFound, PermissionDenied)), session_scope() as s:
            call(s)


async def test_unsubscribing_stops_runs_and_keeps_history(
    make_actor: Callable[[], Actor], llm_server: LLMTestServer
) -> None:
    owner, ana = make_actor(), make_actor()
    pub, _ = _publish(owner, llm_server)
    with session_scope() as s:
        subscriptions.subscribe(actor=ana, listing_id=pub.id, session=s)
    conv, _ = await _subscriber_turn(ana, pub.id, "Hello")
    with session_scope() as s:
        view = subscriptions.unsubscribe(actor=ana, listing_id=pub.id, session=s)
    assert (view.status, view.can_run) == ("canceled", False)
    with pytest.raises(NotFound), session_scope() as s:
        subscriptions.subscriber_principal(actor=ana, listing_id=pub.id, session=s)
    with pytest.raises(NotFound), session_scope() as s:
        subscriptions.start_conversation(actor=ana, listing_id=pub.id, session=s)
    with session_scope() as s:
        (msg, answer) = subscriptions.subscriber_messages(actor=ana, listing_id=pub.id, conversation_id=conv, session=s)
        assert msg.content == "Hello" and answer.role == "assistant"
        assert listings.publisher_listings(actor=owner, session=s)[0].subscribers == 0
        # A finished run earlier still lets her review; subscribing again runs again.
        assert reviews.save_review(actor=ana, listing_id=pub.id, stars=5, text="Great", session=s).stars == 5
        assert subscriptions.subscribe(actor=ana, listing_id=pub.id, session=s).status == "active"
    _, events = await _subscriber_turn(ana, pub.id, "Back again", conv)
    assert isinstance(events[-1], RunDone) and events[-1].status == "succeeded"


async def test_a_failed_run_tells_the_subscriber_nothing_of_the_provider(
    make_actor: Callable[[], Actor], llm_server: LLMTestServer
) -> None:
    owner, ana = make_actor(), make_actor()
    pub, _ = _publish(owner, llm_server)
    with session_scope() as s:
        subscriptions.subscribe(actor=ana, listing_id=pub.id, session=s)
    llm_server.fail_next(401, times=5)
    conv, events = await _subscriber_turn(ana, pub.id, "Hello")
    assert isinstance(events[-1], RunDone) and events[-1].status == "failed"
    with session_scope() as s:
        answer = subscriptions.subscriber_messages(actor=ana, listing_id=pub.id, conversation_id=conv, session=s)[-1]
    assert answer.error == "The agent could not finish this answer. Try again in a moment."


async def test_visitors_try_privately_and_only_a_few_times(
    make_actor: Callable[[], Actor], llm_server: LLMTestServer
) -> None:
    owner = make_actor()
    pub, _ = _publish(owner, llm_server)
    first, second = (
        trial.Visitor("browser-aaaaaaaaaaaaaaaa", "203.0.113.7"),
        trial.Visitor("browser-bbbbbbbbbbbbbbbb", "203.0.113.7"),
    )
    with session_scope() as s:
        conv = trial.start_trial(listing_id=pub.id, visitor=first, session=s).id
        principal = trial.trial_principal(listing_id=pub.id, visitor=first, session=s)
    events = await _run(principal, conv, "Hi, my favourite colour is teal.")
    assert isinstance(events[-1], RunDone) and events[-1].status == "succeeded"
    assert _system(llm_server).startswith(INSTRUCTIONS)
    run_id = next(e.run_id for e in events if isinstance(e, RunStarted))
    with session_scope() as s:
        record = s.exec(select(UsageRecord).where(UsageRecord.run_id == run_id)).one()
        assert (record.workspace_id, record.caller_kind, record.caller_id) == (owner.workspace_id, "visitor", pub.id)
        conv2 = trial.start_trial(listing_id=pub.id, visitor=second, session=s).id
        principal2 = trial.trial_principal(listing_id=pub.id, visitor=second, session=s)
        assert principal2.end_user_id != principal.end_user_id
        with pytest.raises(NotFound):  # one visitor cannot read the other's try
            trial.trial_messages(listing_id=pub.id, visitor=second, conversation_id=conv, session=s)
    await _run(principal2, conv2, "What is my favourite colour?")
    assert "teal" not in str(llm_server.chat_requests[-1].json)
    with session_scope() as s:
        seen = repr(trial.trial_messages(listing_id=pub.id, visitor=first, conversation_id=conv, session=s))
    assert "teal" in seen and "test-model" not in seen


async def test_the_listings_paying_connection_pays_subscriber_and_visitor_runs(
    make_actor: Callable[[], Actor], llm_server: LLMTestServer
) -> None:
    owner, ana, stranger = make_actor(), make_actor(), make_actor()
    own_key = "sk-blueprint-key-the-server-refuses"
    blueprint_conn = publisher_connection(owner, llm_server.base_url, own_key)
    paying = publisher_connection(owner, llm_server.base_url, llm_server.api_key)
    pub = listing(owner, blueprint_conn, paying_connection_id=paying, title="Paid desk")
    with session_scope() as s:
        subscriptions.subscribe(actor=ana, listing_id=pub.id, session=s)
        visitor = trial.Visitor("browser-cccccccccccccccc", "203.0.113.9")
        try_conv = trial.start_trial(listing_id=pub.id, visitor=visitor, session=s).id
        try_principal = trial.trial_principal(listing_id=pub.id, visitor=visitor, session=s)

    _, sub_events = await _subscriber_turn(ana, pub.id, "Hello")
    try_events = await _run(try_principal, try_conv, "Hi")
    for events in (sub_events, try_events):
        assert isinstance(events[-1], RunDone) and events[-1].status == "succeeded"
        run_id = next(e.run_id for e in events if isinstance(e, RunStarted))
        with session_scope() as s:
            record = s.exec(select(UsageRecord).where(UsageRecord.run_id == run_id)).one()
        assert (record.workspace_id, record.connection_id, record.model) == (owner.workspace_id, paying, "test-model")
    keys = {r.headers.get("authorization") for r in llm_server.chat_requests}
    assert keys == {f"Bearer {llm_server.api_key}"}  # the blueprint's own key was never sent

    # A paying connection of another workspace is refused, never called.
    theirs = publisher_connection(stranger, llm_server.base_url, "sk-stranger-key")
    sent = len(llm_server.chat_requests)
    with session_scope() as s:
        principal = subscriptions.subscriber_principal(actor=ana, listing_id=pub.id, session=s)
        conv = subscriptions.start_conversation(actor=ana, listing_id=pub.id, session=s).id
    events = await _run(replace(principal, connection_override=theirs), conv, "Hello again")
    assert isinstance(events[-1], RunDone) and events[-1].status == "failed"
    assert len(llm_server.chat_requests) == sent
