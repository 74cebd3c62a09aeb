"""The gateway router through LiteLLM's real HTTP path to local test servers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.gateway import admin
from backend.gateway.budgets import BudgetExceeded, UnpricedModel
from backend.gateway.candidates import RetryPolicy, Target
from backend.gateway.llm import GatewayError
from backend.gateway.ratelimit import RateLimited
from backend.gateway.router import ChatUsage, TextDelta, complete_chat, stream_chat
from backend.models import Budget, BudgetCounter, BudgetReservation, UsageRecord
from backend.models.gateway import usd_to_nano
from tests.support.db_events import watch_engine
from tests.support.gateway import add_agent, add_connection
from tests.support.llm_server import LLMTestServer

Kwargs = Callable[..., dict[str, Any]]


async def _events(kwargs: dict[str, Any]) -> list[object]:
    return [e async for e in stream_chat(**kwargs)]


def _usage(events: list[object]) -> ChatUsage:
    assert isinstance(events[-1], ChatUsage)
    return events[-1]


def _record(usage_id: str) -> UsageRecord:
    with session_scope() as s:
        row = s.get(UsageRecord, usage_id)
    assert row is not None
    return row


def _records(actor: Actor) -> list[UsageRecord]:
    with session_scope() as s:
        return list(s.exec(select(UsageRecord).where(UsageRecord.workspace_id == actor.workspace_id)).all())


async def test_streamed_call_is_recorded_with_exact_cost(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    agent = add_agent(actor, cid)
    kwargs = chat_kwargs(actor, [Target(cid, "gpt-4o-mini")], agent_id=agent, end_user_id=actor.user_id, run_id="r1")
    events = await _events(kwargs)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    usage = _usage(events)
    assert text == llm_server.reply
    assert usage.model == "gpt-4o-mini" and usage.connection_id == cid and not usage.fell_back
    expected = (usage.prompt_tokens * 0.15 + usage.completion_tokens * 0.6) / 1_000_000
    assert usage.cost_nano_usd == usd_to_nano(expected) and usage.cost_nano_usd > 0 and usage.cost_note == ""
    row = _record(usage.usage_id)
    assert (row.agent_id, row.end_user_id, row.run_id, row.status, row.streamed) == (
        agent,
        actor.user_id,
        "r1",
        "ok",
        True,
    )
    assert row.prompt_tokens == usage.prompt_tokens > 0 and row.completion_tokens == usage.completion_tokens > 0
    assert row.cost_nano_usd == usage.cost_nano_usd and row.ttft_ms is not None and row.latency_ms >= row.ttft_ms
    assert [a["outcome"] for a in row.fallback_path] == ["ok"]


async def test_streamed_and_non_streamed_calls_record_the_same_cost(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    streamed = _usage(await _events(chat_kwargs(actor, [Target(cid, "gpt-4o-mini")])))
    text, whole = await complete_chat(**chat_kwargs(actor, [Target(cid, "gpt-4o-mini")]))
    assert text == llm_server.reply
    assert (whole.prompt_tokens, whole.completion_tokens) == (streamed.prompt_tokens, streamed.completion_tokens)
    assert whole.cost_nano_usd == streamed.cost_nano_usd > 0
    assert whole.ttft_ms is None
    assert (_record(streamed.usage_id).streamed, _record(whole.usage_id).streamed) == (True, False)
    assert _record(streamed.usage_id).cost_nano_usd == _record(whole.usage_id).cost_nano_usd


async def test_retryable_errors_are_retried_then_succeed(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    llm_server.fail_next(500, times=2)
    usage = _usage(await _events(chat_kwargs(actor, [Target(cid, "gpt-4o-mini")])))
    assert len(llm_server.chat_requests) == 3
    assert usage.fallback_path[0]["tries"] == 3 and usage.fallback_path[0]["outcome"] == "ok"


async def test_retries_stop_at_the_policy_limit(actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs) -> None:
    cid = add_connection(actor, llm_server)
    llm_server.fail_next(503, times=10)
    policy = RetryPolicy(max_retries=1, base_delay_s=0.001, max_delay_s=0.01)
    with pytest.raises(GatewayError) as info:
        await _events(chat_kwargs(actor, [Target(cid, "gpt-4o-mini")], retry=policy))
    assert info.value.kind == "provider" and info.value.status_code == 503
    assert len(llm_server.chat_requests) == 2
    [row] = _records(actor)
    assert row.status == "error" and row.error_class == "provider" and row.cost_nano_usd == 0
    assert row.fallback_path[0]["tries"] == 2


async def test_no_retry_and_no_fallback_on_401(
    actor: Actor, llm_server: LLMTestServer, second_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    llm_server.api_key = "sk-test-other-key-0000000000"  # the stored key is now wrong
    bad = add_connection(actor, llm_server)
    llm_server.api_key = "sk-right-key-111111111111111111"
    good = add_connection(actor, second_server, "Second")
    with pytest.raises(GatewayError) as info:
        await _events(chat_kwargs(actor, [Target(bad, "gpt-4o-mini"), Target(good, "gpt-4o-mini")]))
    assert info.value.kind == "auth"
    assert len(llm_server.chat_requests) == 1 and second_server.chat_requests == []
    [row] = _records(actor)
    assert row.status == "error" and row.error_class == "auth"
    assert "sk-test-other" not in row.error and "sk-right" not in row.error


@pytest.mark.parametrize("failure", [500, 429, "hang"])
async def test_fallback_answers_when_the_first_endpoint_fails(
    failure: int | str, actor: Actor, llm_server: LLMTestServer, second_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    first = add_connection(actor, llm_server)
    second = add_connection(actor, second_server, "Second")
    llm_server.fail_next(failure, times=3, retry_after_s=30)  # Retry-After 30 s: fall back, do not wait
    kwargs = chat_kwargs(actor, [Target(first, "gpt-4o-mini"), Target(second, "test-model")], timeout_s=0.5)
    events = await _events(kwargs)
    usage = _usage(events)
    assert usage.model == "test-model" and usage.connection_id == second and usage.fell_back
    assert [a["outcome"] for a in usage.fallback_path] == ["error", "ok"]
    expected_kind = {500: "provider", 429: "rate_limit", "hang": "timeout"}[failure]
    assert usage.fallback_path[0]["error_kind"] == expected_kind
    assert len(second_server.chat_requests) == 1
    if failure == 429:
        assert len(llm_server.chat_requests) == 1  # Retry-After longer than the policy allows
    row = _record(usage.usage_id)
    assert row.connection_id == second and row.model == "test-model" and row.status == "ok"


async def test_fallback_with_a_smaller_context_window_is_skipped(
    actor: Actor, llm_server: LLMTestServer, second_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    first = add_connection(actor, llm_server)
    small = add_connection(actor, second_server, "Small")
    with session_scope() as s:
        admin.set_model_override(
            actor=actor,
            connection_id=small,
            model="tiny",
            input_usd_per_1m=1,
            output_usd_per_1m=2,
            context_window=8,
            session=s,
        )
    second_server.models.append("tiny")
    llm_server.fail_next(500, times=3)
    long_prompt = [{"role": "user", "content": "word " * 40}]
    targets = [Target(first, "gpt-4o-mini"), Target(small, "tiny"), Target(small, "test-model")]
    usage = _usage(await _events(chat_kwargs(actor, targets, messages=long_prompt)))
    assert [(a["model"], a["outcome"], a["error_kind"]) for a in usage.fallback_path] == [
        ("gpt-4o-mini", "error", "provider"),
        ("tiny", "skipped", "context_window"),
        ("test-model", "ok", ""),
    ]
    assert [r.json["model"] for r in second_server.chat_requests if r.json] == ["test-model"]


async def test_context_window_too_small_everywhere_is_a_clear_error(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    with session_scope() as s:
        admin.set_model_override(
            actor=actor,
            connection_id=cid,
            model="test-model",
            input_usd_per_1m=None,
            output_usd_per_1m=None,
            context_window=4,
            session=s,
        )
    with pytest.raises(GatewayError, match="too long for every model"):
        await _events(chat_kwargs(actor, [Target(cid, "test-model")]))
    assert llm_server.chat_requests == []


async def test_every_candidate_failing_names_them_all(
    actor: Actor, llm_server: LLMTestServer, second_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    first = add_connection(actor, llm_server)
    second = add_connection(actor, second_server, "Second")
    llm_server.fail_next(500, times=3)
    second_server.fail_next(502, times=3)
    with pytest.raises(GatewayError) as info:
        await _events(chat_kwargs(actor, [Target(first, "gpt-4o-mini"), Target(second, "test-model")]))
    assert "gpt-4o-mini (provider)" in info.value.message and "test-model (provider)" in info.value.message


async def test_missing_fallback_connection_is_skipped(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    llm_server.fail_next(500, times=3)
    with pytest.raises(GatewayError):
        await _events(chat_kwargs(actor, [Target(cid, "gpt-4o-mini"), Target("gone", "x")]))
    [row] = _records(actor)
    assert [a["outcome"] for a in row.fallback_path] == ["error", "skipped"]


async def test_over_budget_fails_fast_with_which_budget_and_when(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    agent = add_agent(actor, cid)
    with session_scope() as s:
        admin.set_budget(actor=actor, scope="agent", scope_id=agent, period="day", limit_usd=0.00001, session=s)
    with pytest.raises(BudgetExceeded) as info:  # worst case: 1000 output tokens x $0.60/1M = $0.0006
        await _events(chat_kwargs(actor, [Target(cid, "gpt-4o-mini")], agent_id=agent, max_tokens=1000))
    assert info.value.kind == "budget" and info.value.scope == "agent" and info.value.period == "day"
    message = info.value.message
    assert message.startswith("This agent's daily budget would not cover this call") and "resets at" in message
    assert "it could cost up to $0.0006" in message and "only $0.00001 is left ($0 of $0.00001 spent)" in message
    assert llm_server.chat_requests == []
    [row] = _records(actor)
    assert row.status == "rejected" and row.error_class == "budget"


async def test_a_dollar_budget_refuses_a_model_without_a_price_instead_of_counting_it_as_free(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    agent = add_agent(actor, cid, model="test-model")
    with session_scope() as s:
        admin.set_budget(actor=actor, scope="agent", scope_id=agent, period="day", limit_usd="0.01", session=s)
    with pytest.raises(UnpricedModel) as info:
        await _events(chat_kwargs(actor, [Target(cid, "test-model")], agent_id=agent))
    assert info.value.kind == "budget" and info.value.scope == "agent"
    assert "the price of test-model on this connection is unknown" in info.value.message
    assert "Set the model's price on the connection, or use a token cap" in info.value.message
    assert llm_server.chat_requests == []
    [row] = _records(actor)
    assert row.status == "rejected" and row.error_class == "budget"
    with session_scope() as s:  # a token cap binds any model: the same call now goes through
        admin.set_budget(
            actor=actor, scope="agent", scope_id=agent, period="day", limit_usd=None, token_limit=10**6, session=s
        )
    usage = _usage(await _events(chat_kwargs(actor, [Target(cid, "test-model")], agent_id=agent)))
    assert usage.completion_tokens > 0 and "price unknown" in usage.cost_note


async def test_budget_is_settled_to_the_actual_cost(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    with session_scope() as s:
        admin.set_budget(actor=actor, scope="workspace", scope_id="", period="month", limit_usd=1.0, session=s)
    usage = _usage(await _events(chat_kwargs(actor, [Target(cid, "gpt-4o-mini")])))
    with session_scope() as s:
        [budget] = admin.list_budgets(actor=actor, session=s)
    assert budget.reserved_nano == 0 and budget.spent_nano == usage.cost_nano_usd
    assert budget.spent_tokens == usage.prompt_tokens + usage.completion_tokens


async def test_rate_limit_fails_fast_with_retry_hint(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    agent = add_agent(actor, cid)
    with session_scope() as s:
        admin.set_rate_limit(actor=actor, scope="agent", scope_id=agent, requests_per_min=3, session=s)
    for _ in range(3):
        await _events(chat_kwargs(actor, [Target(cid, "gpt-4o-mini")], agent_id=agent))
    with pytest.raises(RateLimited) as info:
        await _events(chat_kwargs(actor, [Target(cid, "gpt-4o-mini")], agent_id=agent))
    assert info.value.kind == "rate_limit" and info.value.message.startswith("rate limited — retry in ")
    assert "3 requests per minute" in info.value.message and 1 <= (info.value.retry_after_s or 0) <= 60
    assert len(llm_server.chat_requests) == 3
    assert sorted(r.status for r in _records(actor)) == ["ok", "ok", "ok", "rejected"]


async def test_tokens_per_minute_are_counted_after_the_call(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    with session_scope() as s:
        admin.set_rate_limit(
            actor=actor, scope="workspace", scope_id="", requests_per_min=None, tokens_per_min=10, session=s
        )
    await _events(chat_kwargs(actor, [Target(cid, "gpt-4o-mini")]))  # ~13 tokens: over 10 afterwards
    with pytest.raises(RateLimited, match="10 tokens per minute"):
        await _events(chat_kwargs(actor, [Target(cid, "gpt-4o-mini")]))


async def test_stopping_mid_stream_records_what_was_streamed(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    llm_server.chunk_delay_ms = 50
    cid = add_connection(actor, llm_server)
    with session_scope() as s:
        admin.set_budget(actor=actor, scope="workspace", scope_id="", period="day", limit_usd=1.0, session=s)
    gen = stream_chat(**chat_kwargs(actor, [Target(cid, "gpt-4o-mini")]))
    first = await gen.__anext__()
    assert isinstance(first, TextDelta)
    await gen.aclose()
    [row] = _records(actor)
    assert row.status == "cancelled" and row.completion_tokens > 0 and row.prompt_tokens > 0 and row.cost_nano_usd > 0
    with session_scope() as s:
        [budget] = admin.list_budgets(actor=actor, session=s)
        counters = set(s.exec(select(BudgetCounter.id).where(BudgetCounter.budget_id == budget.id)).all())
        held = s.exec(select(BudgetReservation).where(BudgetReservation.settled == False)).all()  # noqa: E712
    assert budget.reserved_nano == 0 and budget.spent_nano == row.cost_nano_usd
    assert counters, "the reply was charged to a counter of this budget"
    assert not [r for r in held if r.counter_id in counters], "the hold of the stopped reply was released"


async def test_control_characters_are_stripped_and_size_is_capped(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    messages = [{"role": "user", "content": "hi\x00 there\x1b[31m\tok\n"}]
    await _events(chat_kwargs(actor, [Target(cid, "test-model")], messages=messages))
    body = llm_server.chat_requests[0].json
    assert body is not None and body["messages"][0]["content"] == "hi there[31m\tok\n"
    with pytest.raises(GatewayError, match="too long: 100,001 characters"):
        await _events(
            chat_kwargs(actor, [Target(cid, "test-model")], messages=[{"role": "user", "content": "x" * 100_001}])
        )
    assert len(llm_server.chat_requests) == 1


async def test_no_priced_record_has_tokens_but_no_cost(
    actor: Actor, llm_server: LLMTestServer, second_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    first = add_connection(actor, llm_server)
    second = add_connection(actor, second_server, "Second")
    targets = [Target(first, "gpt-4o-mini"), Target(second, "gpt-4o-mini")]
    await _events(chat_kwargs(actor, targets))
    await complete_chat(**chat_kwargs(actor, targets))
    llm_server.fail_next(500, times=3)
    await _events(chat_kwargs(actor, targets))
    llm_server.chunk_delay_ms = 30
    gen = stream_chat(**chat_kwargs(actor, targets))
    await gen.__anext__()
    await gen.aclose()
    rows = _records(actor)
    assert len(rows) == 4
    for row in rows:
        assert row.model == "gpt-4o-mini"
        assert not (row.prompt_tokens + row.completion_tokens > 0 and row.cost_nano_usd == 0), row


async def test_unknown_price_model_costs_zero_with_a_note(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    usage = _usage(await _events(chat_kwargs(actor, [Target(cid, "test-model")])))
    assert usage.cost_nano_usd == 0 and usage.cost_note == "price unknown for test-model: counted as $0"


async def test_price_override_prices_a_custom_model(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    with session_scope() as s:
        admin.set_model_override(
            actor=actor, connection_id=cid, model="test-model", input_usd_per_1m=2.0, output_usd_per_1m=10.0, session=s
        )
    usage = _usage(await _events(chat_kwargs(actor, [Target(cid, "test-model")])))
    assert usage.cost_nano_usd == (usage.prompt_tokens * 2 + usage.completion_tokens * 10) * 1000
    assert usage.cost_note == ""


async def test_another_workspaces_connection_is_refused(
    actor: Actor, make_actor: Callable[[], Actor], llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    from backend.accounts.actor import NotFound

    cid = add_connection(actor, llm_server)
    stranger = make_actor()
    with pytest.raises(NotFound):
        await _events(chat_kwargs(stranger, [Target(cid, "gpt-4o-mini")]))
    assert llm_server.chat_requests == []


async def test_a_call_with_a_budget_takes_two_short_transactions(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    agent = add_agent(actor, cid)
    with session_scope() as s:
        admin.set_budget(actor=actor, scope="workspace", scope_id="", period="month", limit_usd=10.0, session=s)
    kwargs = chat_kwargs(actor, [Target(cid, "gpt-4o-mini")], agent_id=agent, end_user_id=actor.user_id)
    _usage(await _events(kwargs))  # the first call of a period also creates the budget's counter
    with watch_engine() as seen:
        usage = _usage(await _events(kwargs))
    # plan + hold in one transaction, settle + usage record in the other
    assert seen.transactions == 2
    assert _record(usage.usage_id).status == "ok"
    with session_scope() as s:
        budget = s.exec(select(Budget).where(Budget.workspace_id == actor.workspace_id)).one()
        counter = s.exec(select(BudgetCounter).where(BudgetCounter.budget_id == budget.id)).one()
        held = s.exec(select(BudgetReservation).where(BudgetReservation.counter_id == counter.id)).all()
    assert held == []  # settled holds are deleted
    assert counter.reserved_nanousd == 0 and counter.spent_nanousd > 0
