"""The OpenAI-compatible endpoint over real HTTP, driven by the official ``openai`` package."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import openai
import pytest
from sqlmodel import select

from backend.accounts.actor import Actor
from backend.api.edge import agent_model_id, own_agents, set_listing_access
from backend.api.routes import api
from backend.chat.service import get_messages, list_conversations
from backend.db import session_scope
from backend.models import Agent, ApiKey, Listing, Run, UsageRecord
from backend.models.common import utcnow
from marketplace.developer import ACCESS
from marketplace.subscriptions import subscribe
from tests.support import agents as support
from tests.support.api import api_key, serve
from tests.support.llm_server import DEFAULT_REPLY, LLMTestServer
from tests.support.marketplace import listing as make_listing


@pytest.fixture
def api_url() -> Iterator[str]:
    set_listing_access(ACCESS)
    with serve(api) as url:
        yield url


def _model(agent_id: str) -> str:
    with session_scope() as s:
        agent = s.get(Agent, agent_id)
        assert agent is not None
        return next(agent_model_id(a) for a in own_agents(agent.workspace_id, s) if a.id == agent_id)


def _client(api_url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{api_url}/api/v1", api_key=key, max_retries=0, timeout=30)


def _usage_of(run_id: str) -> tuple[int, int]:
    with session_scope() as s:
        rows = s.exec(select(UsageRecord).where(UsageRecord.run_id == run_id)).all()
        return sum(r.prompt_tokens for r in rows), sum(r.completion_tokens for r in rows)


def test_non_streaming_completion_runs_the_agent_and_reports_usage_records(
    api_url: str, actor: Actor, llm_server: LLMTestServer
) -> None:
    agent_id = support.agent(actor, support.connection(actor, llm_server), name="Support bot")
    client = _client(api_url, api_key(actor))
    reply = client.chat.completions.create(
        model=_model(agent_id),
        messages=[
            {"role": "user", "content": "My name is Ada."},
            {"role": "assistant", "content": "Hello Ada."},
            {"role": "user", "content": "What is my name?"},
        ],
    )
    assert reply.choices[0].message.content == DEFAULT_REPLY
    assert reply.choices[0].finish_reason == "stop"
    run_id = reply.id.removeprefix("chatcmpl-")
    prompt, completion = _usage_of(run_id)
    assert reply.usage is not None and (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (
        prompt,
        completion,
    )
    assert completion > 0
    # the earlier messages became the conversation's history, seen by the model
    assert "My name is Ada." in str(llm_server.received_messages[-1])
    # the run is in the key creator's chat history like a chat-page run
    with session_scope() as s:
        convs = list_conversations(actor=actor, agent_id=agent_id, session=s)
        messages = get_messages(actor=actor, conversation_id=convs[0].id, session=s)
        run = s.get(Run, run_id)
    assert [m.content for m in messages][-2:] == ["What is my name?", DEFAULT_REPLY]
    assert run is not None and run.status == "succeeded"


def test_streaming_completion_yields_chunks_and_usage(api_url: str, actor: Actor, llm_server: LLMTestServer) -> None:
    agent_id = support.agent(actor, support.connection(actor, llm_server))
    client = _client(api_url, api_key(actor))
    stream = client.chat.completions.create(
        model=_model(agent_id),
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == DEFAULT_REPLY
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    usage = chunks[-1].usage
    prompt, completion = _usage_of(chunks[0].id.removeprefix("chatcmpl-"))
    assert usage is not None and (usage.prompt_tokens, usage.completion_tokens) == (prompt, completion)


def test_models_lists_what_the_key_may_use(api_url: str, actor: Actor, llm_server: LLMTestServer) -> None:
    conn = support.connection(actor, llm_server)
    first, second = support.agent(actor, conn, name="Alpha"), support.agent(actor, conn, name="Beta")
    all_ids = {m.id for m in _client(api_url, api_key(actor)).models.list()}
    assert all_ids == {_model(first), _model(second)}
    one = {m.id for m in _client(api_url, api_key(actor, scope="agent", scope_id=first)).models.list()}
    assert one == {_model(first)}


def test_auth_matrix(api_url: str, make_actor, llm_server: LLMTestServer) -> None:  # type: ignore[no-untyped-def]
    owner, stranger = make_actor(), make_actor()
    conn = support.connection(owner, llm_server)
    agent_id, other = support.agent(owner, conn, name="Scoped"), support.agent(owner, conn, name="Other")
    model = _model(agent_id)
    ask = [{"role": "user", "content": "Hi"}]

    with pytest.raises(openai.AuthenticationError):  # no such key
        _client(api_url, "ahk_not-a-key").chat.completions.create(model=model, messages=ask)  # type: ignore[arg-type]
    missing = httpx.post(f"{api_url}/api/v1/chat/completions", json={"model": model, "messages": ask}, timeout=10)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "invalid_api_key"

    revoked = api_key(owner)
    expired = api_key(owner, expires_in_days=1)
    with session_scope() as s:
        for row in s.exec(select(ApiKey).where(ApiKey.workspace_id == owner.workspace_id)).all():
            if row.prefix == revoked[:8]:
                row.revoked_at = utcnow()
            if row.prefix == expired[:8]:
                row.expires_at = utcnow() - timedelta(seconds=1)
            s.add(row)
    for key, words in ((revoked, "revoked"), (expired, "expired")):
        with pytest.raises(openai.AuthenticationError, match=words):
            _client(api_url, key).chat.completions.create(model=model, messages=ask)  # type: ignore[arg-type]

    with pytest.raises(openai.NotFoundError):  # another workspace's key does not see the agent
        _client(api_url, api_key(stranger)).chat.completions.create(model=model, messages=ask)  # type: ignore[arg-type]
    with pytest.raises(openai.PermissionDeniedError):  # a key scoped to another agent
        _client(api_url, api_key(owner, scope="agent", scope_id=other)).chat.completions.create(
            model=model,
            messages=ask,  # type: ignore[arg-type]
        )
    with pytest.raises(openai.UnprocessableEntityError):  # the last message must be the user's
        _client(api_url, api_key(owner)).chat.completions.create(
            model=model,
            messages=[{"role": "assistant", "content": "Hi"}],
        )
    assert not llm_server.chat_requests  # nothing reached the model


def test_the_keys_own_rate_limit_answers_429_with_retry_after(
    api_url: str, actor: Actor, llm_server: LLMTestServer
) -> None:
    agent_id = support.agent(actor, support.connection(actor, llm_server))
    client = _client(api_url, api_key(actor, requests_per_min=1))
    ask = [{"role": "user", "content": "Hi"}]
    client.chat.completions.create(model=_model(agent_id), messages=ask)  # type: ignore[arg-type]
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=_model(agent_id), messages=ask, stream=True)  # type: ignore[arg-type]
    assert int(caught.value.response.headers["retry-after"]) >= 1
    assert "API key" in caught.value.message
    # another key of the same workspace is not limited by it
    _client(api_url, api_key(actor)).chat.completions.create(model=_model(agent_id), messages=ask)  # type: ignore[arg-type]


def test_a_subscription_key_runs_the_listing_and_billing_refusal_is_402(
    api_url: str, make_actor, llm_server: LLMTestServer
) -> None:  # type: ignore[no-untyped-def]
    publisher, subscriber = make_actor(), make_actor()
    slug = f"tax-helper-{uuid.uuid4().hex[:8]}"  # listing slugs are unique across the test session
    row = make_listing(publisher, support.connection(publisher, llm_server), title="Tax helper", slug=slug)
    with session_scope() as s:
        subscribe(actor=subscriber, listing_id=row.id, session=s)
    key = api_key(subscriber, scope="listing", scope_id=row.id)
    client = _client(api_url, key)
    assert [m.id for m in client.models.list()] == [slug]
    reply = client.chat.completions.create(model=slug, messages=[{"role": "user", "content": "Hi"}])
    assert reply.choices[0].message.content == DEFAULT_REPLY
    with session_scope() as s:
        records = s.exec(select(UsageRecord).where(UsageRecord.run_id == reply.id.removeprefix("chatcmpl-"))).all()
        assert records and all(r.caller_kind == "api_key" for r in records)
        listing = s.get(Listing, row.id)
        assert listing is not None
        listing.plan_kind = "monthly"  # billing now refuses (entitlement_check)
        s.add(listing)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=slug, messages=[{"role": "user", "content": "Hi"}])
    assert caught.value.status_code == 402


def test_a_subscribed_listing_streams_through_the_openai_package(
    api_url: str, make_actor, llm_server: LLMTestServer
) -> None:  # type: ignore[no-untyped-def]
    """Issue 15's "Done when": a subscriber's key calls the subscribed agent with the official
    ``openai`` package, streamed, and sees the reply and the usage (tokens from the usage records,
    which are the publisher's workspace's and the key's)."""
    publisher, subscriber = make_actor(), make_actor()
    slug = f"stream-helper-{uuid.uuid4().hex[:8]}"
    row = make_listing(publisher, support.connection(publisher, llm_server), title="Stream helper", slug=slug)
    with session_scope() as s:
        subscribe(actor=subscriber, listing_id=row.id, session=s)
    client = _client(api_url, api_key(subscriber, scope="listing", scope_id=row.id))
    stream = client.chat.completions.create(
        model=slug,
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1  # streamed in pieces
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == DEFAULT_REPLY
    assert all(c.model == slug for c in chunks)
    usage, run_id = chunks[-1].usage, chunks[0].id.removeprefix("chatcmpl-")
    assert usage is not None and (usage.prompt_tokens, usage.completion_tokens) == _usage_of(run_id)
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens > 0
    with session_scope() as s:
        run = s.get(Run, run_id)
        records = s.exec(select(UsageRecord).where(UsageRecord.run_id == run_id)).all()
    assert run is not None and run.status == "succeeded" and run.user_id == subscriber.user_id
    assert records and all(r.workspace_id == publisher.workspace_id and r.caller_kind == "api_key" for r in records)
