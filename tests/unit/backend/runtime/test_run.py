"""The agent run: streamed events, stored messages and runs, failures and cancellation."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor
from backend.agents.service import create_agent
from backend.chat.service import create_conversation, get_messages
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.models import BlueprintFields, Run, UsageRecord
from backend.runtime.events import RunDone, RunFailed, RunStarted, TextDelta, UsageReport
from backend.runtime.run import RunRejected, run_agent
from tests.support.principal import for_conversation


def _conversation(actor: Actor, base_url: str, api_key: str | None, model: str = "test-model") -> str:
    with session_scope() as s:
        conn = create_connection(
            actor=actor, name="Local", provider="openai_compatible", api_key=api_key, base_url=base_url, session=s
        )
        fields = BlueprintFields(name="Echo", connection_id=conn.id, model=model, instructions="Be brief.")
        agent_id = create_agent(actor=actor, fields=fields, session=s)
        return create_conversation(actor=actor, agent_id=agent_id, session=s).id


async def _collect(actor: Actor, conv_id: str, text: str) -> list[object]:
    return [
        e async for e in run_agent(principal=for_conversation(actor, conv_id), conversation_id=conv_id, user_text=text)
    ]


async def test_streamed_reply_is_stored_with_tokens_cost_and_latency(actor: Actor, llm_server) -> None:  # type: ignore[no-untyped-def]
    conv = _conversation(actor, llm_server.base_url, llm_server.api_key)
    events = await _collect(actor, conv, "Hello there")
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunDone)
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1
    (usage,) = [e for e in events if isinstance(e, UsageReport)]
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert events[-1].status == "succeeded"
    with session_scope() as s:
        messages = get_messages(actor=actor, conversation_id=conv, session=s)
        run = s.get(Run, events[0].run_id)
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].content == "".join(deltas)
    assert messages[1].completion_tokens == usage.completion_tokens
    assert run is not None and run.status == "succeeded" and run.latency_ms is not None
    assert run.cost_note  # unknown custom model: counted as $0 with a note
    assert run.cost_nano_usd == 0


async def test_history_is_sent_on_the_second_turn(actor: Actor, llm_server) -> None:  # type: ignore[no-untyped-def]
    conv = _conversation(actor, llm_server.base_url, llm_server.api_key)
    await _collect(actor, conv, "first question")
    await _collect(actor, conv, "second question")
    sent = llm_server.chat_requests[-1].json["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[1]["content"] == "first question" and sent[-1]["content"] == "second question"


async def test_provider_error_is_a_failed_run_and_keeps_the_users_message(actor: Actor, llm_server) -> None:  # type: ignore[no-untyped-def]
    conv = _conversation(actor, llm_server.base_url, "sk-wrong-0000000000000000000")
    events = await _collect(actor, conv, "will this work?")
    (failed,) = [e for e in events if isinstance(e, RunFailed)]
    assert failed.kind == "auth" and "sk-wrong" not in failed.message
    assert events[-1].status == "failed"
    with session_scope() as s:
        messages = get_messages(actor=actor, conversation_id=conv, session=s)
        run = s.exec(select(Run).where(Run.conversation_id == conv)).one()
    assert messages[0].content == "will this work?"
    assert messages[-1].run_status == "failed" and messages[-1].error
    assert run.status == "failed" and run.error


async def test_server_error_is_recorded(actor: Actor, llm_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from backend.config import get_settings

    monkeypatch.setenv("AGENTHUB_LLM_RETRY_BASE_DELAY_S", "0.001")
    get_settings.cache_clear()
    try:
        conv = _conversation(actor, llm_server.base_url, llm_server.api_key)
        llm_server.fail_next(500, times=3)  # the gateway retries a 5xx twice before giving up
        events = await _collect(actor, conv, "hi")
    finally:
        monkeypatch.delenv("AGENTHUB_LLM_RETRY_BASE_DELAY_S")
        get_settings.cache_clear()
    assert any(isinstance(e, RunFailed) for e in events) and events[-1].status == "failed"
    run_id = next(e.run_id for e in events if isinstance(e, RunStarted))
    with session_scope() as s:
        run = s.get(Run, run_id)
        (record,) = s.exec(select(UsageRecord).where(UsageRecord.run_id == run_id)).all()
    assert run is not None and run.status == "failed" and run.error
    assert record.status == "error" and record.error_class == "provider"
    assert [a["outcome"] for a in record.fallback_path] == ["error"] and record.fallback_path[0]["tries"] == 3
    assert (run.prompt_tokens, run.completion_tokens, run.cost_nano_usd) == (0, 0, 0)


async def test_stop_keeps_partial_answer_and_marks_cancelled(actor: Actor, llm_server) -> None:  # type: ignore[no-untyped-def]
    llm_server.chunk_delay_ms = 30
    conv = _conversation(actor, llm_server.base_url, llm_server.api_key)
    gen = run_agent(principal=for_conversation(actor, conv), conversation_id=conv, user_text="long answer please")
    started = await gen.__anext__()
    first = await gen.__anext__()
    assert isinstance(first, TextDelta)
    await gen.aclose()
    with session_scope() as s:
        run = s.get(Run, started.run_id)
        messages = get_messages(actor=actor, conversation_id=conv, session=s)
    assert run is not None and run.status == "cancelled"
    assert messages[0].content == "long answer please" and messages[-1].content.startswith(first.text)


async def test_stop_run_totals_are_the_sum_of_its_usage_records(actor: Actor, llm_server) -> None:  # type: ignore[no-untyped-def]
    """Regression: after Stop the run row showed 0 tokens while its usage record charged them."""
    llm_server.chunk_delay_ms = 30
    conv = _conversation(actor, llm_server.base_url, llm_server.api_key)
    gen = run_agent(principal=for_conversation(actor, conv), conversation_id=conv, user_text="long answer please")
    started = await gen.__anext__()
    assert isinstance(await gen.__anext__(), TextDelta)
    assert isinstance(await gen.__anext__(), TextDelta)
    await gen.aclose()
    with session_scope() as s:
        run = s.get(Run, started.run_id)
        records = s.exec(select(UsageRecord).where(UsageRecord.run_id == started.run_id)).all()
        shown = get_messages(actor=actor, conversation_id=conv, session=s)[-1]
    assert run is not None and len(records) == 1 and records[0].status == "cancelled"
    assert records[0].prompt_tokens > 0 and records[0].completion_tokens > 0
    assert run.prompt_tokens == sum(r.prompt_tokens for r in records)
    assert run.completion_tokens == sum(r.completion_tokens for r in records)
    assert run.cost_nano_usd == sum(r.cost_nano_usd for r in records)
    assert (shown.prompt_tokens, shown.completion_tokens) == (run.prompt_tokens, run.completion_tokens)


async def test_empty_message_is_rejected_before_anything_is_stored(actor: Actor, llm_server) -> None:  # type: ignore[no-untyped-def]
    conv = _conversation(actor, llm_server.base_url, llm_server.api_key)
    with pytest.raises(RunRejected):
        await _collect(actor, conv, "   ")
    with session_scope() as s:
        assert get_messages(actor=actor, conversation_id=conv, session=s) == []
