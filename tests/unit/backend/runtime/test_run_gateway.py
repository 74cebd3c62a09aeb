"""The agent run through the gateway: fallbacks recorded on the run, limits and budgets as failures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor
from backend.chat.service import create_conversation
from backend.config import get_settings
from backend.db import session_scope
from backend.gateway import admin
from backend.gateway.ratelimit import get_rate_limiter
from backend.models import Run, UsageRecord
from backend.runtime.events import RunDone, RunFailed, UsageReport
from backend.runtime.run import run_agent
from tests.support.gateway import add_agent, add_connection
from tests.support.llm_server import LLMTestServer
from tests.support.principal import for_conversation


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AGENTHUB_LLM_RETRY_BASE_DELAY_S", "0.001")
    get_settings.cache_clear()
    get_rate_limiter.cache_clear()
    yield
    monkeypatch.delenv("AGENTHUB_LLM_RETRY_BASE_DELAY_S")
    get_settings.cache_clear()
    get_rate_limiter.cache_clear()


def _conversation(actor: Actor, agent_id: str) -> str:
    with session_scope() as s:
        return create_conversation(actor=actor, agent_id=agent_id, session=s).id


async def _collect(actor: Actor, conv: str, text: str = "hello") -> list[object]:
    return [e async for e in run_agent(principal=for_conversation(actor, conv), conversation_id=conv, user_text=text)]


async def test_a_fallback_answers_and_the_run_records_it(actor: Actor, llm_server: LLMTestServer) -> None:
    with LLMTestServer(api_key="sk-test-fallback-0000000000") as backup:
        first = add_connection(actor, llm_server)
        second = add_connection(actor, backup, "Backup")
        agent = add_agent(actor, first, "gpt-4o-mini", fallbacks=[{"connection_id": second, "model": "test-model"}])
        conv = _conversation(actor, agent)
        llm_server.fail_next(500, times=3)
        events = await _collect(actor, conv)
    (usage,) = [e for e in events if isinstance(e, UsageReport)]
    assert usage.model == "test-model" and usage.connection_id == second and usage.provider == "openai_compatible"
    assert [a["outcome"] for a in usage.fallback_path] == ["error", "ok"]
    assert isinstance(events[-1], RunDone) and events[-1].status == "succeeded"
    with session_scope() as s:
        run = s.get(Run, events[-1].run_id)
        record = s.exec(select(UsageRecord).where(UsageRecord.run_id == events[-1].run_id)).one()
    assert run is not None and run.model == "test-model" and run.connection_id == second
    assert [a["model"] for a in run.fallback_path] == ["gpt-4o-mini", "test-model"]
    assert record.agent_id == agent and record.end_user_id == actor.user_id and record.status == "ok"
    figures = (record.prompt_tokens, record.completion_tokens, record.cost_nano_usd)
    assert (run.prompt_tokens, run.completion_tokens, run.cost_nano_usd) == figures
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cost_nano_usd) == figures


async def test_rate_limit_and_budget_fail_the_run_with_plain_words(actor: Actor, llm_server: LLMTestServer) -> None:
    cid = add_connection(actor, llm_server)
    agent = add_agent(actor, cid)
    conv = _conversation(actor, agent)
    with session_scope() as s:
        admin.set_rate_limit(actor=actor, scope="agent", scope_id=agent, requests_per_min=1, session=s)
    assert (await _collect(actor, conv))[-1].status == "succeeded"  # type: ignore[attr-defined]
    events = await _collect(actor, conv)
    (failed,) = [e for e in events if isinstance(e, RunFailed)]
    assert failed.kind == "rate_limit" and failed.message.startswith("rate limited — retry in ")
    with session_scope() as s:
        admin.set_rate_limit(actor=actor, scope="agent", scope_id=agent, requests_per_min=100, session=s)
        admin.set_budget(actor=actor, scope="agent", scope_id=agent, period="day", limit_usd=0.000001, session=s)
    events = await _collect(actor, conv)
    (failed,) = [e for e in events if isinstance(e, RunFailed)]
    assert failed.kind == "budget" and "This agent's daily budget would not cover this call" in failed.message
    assert len(llm_server.chat_requests) == 1


async def test_stop_settles_the_budget_hold(actor: Actor, llm_server: LLMTestServer) -> None:
    llm_server.chunk_delay_ms = 40
    cid = add_connection(actor, llm_server)
    agent = add_agent(actor, cid)
    with session_scope() as s:
        admin.set_budget(actor=actor, scope="agent", scope_id=agent, period="month", limit_usd=1, session=s)
    conv = _conversation(actor, agent)
    gen = run_agent(principal=for_conversation(actor, conv), conversation_id=conv, user_text="long answer")
    await gen.__anext__()
    await gen.__anext__()
    await gen.aclose()
    with session_scope() as s:
        [budget] = admin.list_budgets(actor=actor, session=s)
        record = s.exec(select(UsageRecord).where(UsageRecord.agent_id == agent)).one()
    assert record.status == "cancelled" and record.cost_nano_usd > 0
    assert budget.reserved_nano == 0 and budget.spent_nano == record.cost_nano_usd
