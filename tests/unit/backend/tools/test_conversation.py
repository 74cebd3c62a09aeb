"""summarize_conversation: the run's own conversation, recent messages oldest first, trimmed."""

from __future__ import annotations

from collections.abc import Callable

from backend.accounts.actor import Actor
from backend.chat.service import append_message, create_conversation, get_conversation
from backend.db import session_scope
from backend.tools.base import RunContext


def _conversation(actor: Actor, agent_id: str, texts: list[tuple[str, str]]) -> str:
    with session_scope() as s:
        conv_id = create_conversation(actor=actor, agent_id=agent_id, session=s).id
        conv = get_conversation(actor=actor, conversation_id=conv_id, session=s)
        for role, text in texts:
            append_message(conversation=conv, role=role, content=text, run_id=None, session=s)
    return conv_id


async def test_recent_messages(call_tool, actor: Actor, make_agent: Callable[..., str]) -> None:  # type: ignore[no-untyped-def]
    agent_id = make_agent(actor)
    texts = [("user" if i % 2 == 0 else "assistant", f"message {i}") for i in range(30)]
    texts.append(("assistant", ""))  # an empty (failed) reply is skipped
    texts.append(("user", "long " * 1000))
    conv_id = _conversation(actor, agent_id, texts)
    context = RunContext(conversation_id=conv_id)
    result = await call_tool("summarize_conversation", '{"max_messages": 5}', context=context, agent_id=agent_id)
    assert result.ok, result.error
    messages = result.output["messages"]
    assert result.output["total_messages"] == 31 and len(messages) == 5
    assert [m["content"] for m in messages[:4]] == ["message 26", "message 27", "message 28", "message 29"]
    assert (
        messages[-1]["role"] == "user" and len(messages[-1]["content"]) == 1501 and messages[-1]["content"][-1] == "…"
    )


async def test_no_conversation_or_someone_elses(  # type: ignore[no-untyped-def]
    call_tool, actor: Actor, make_actor: Callable[[], Actor], make_agent: Callable[..., str]
) -> None:
    missing = await call_tool("summarize_conversation")
    assert missing.status == "error" and "no conversation" in missing.error
    other = make_actor()
    conv_id = _conversation(other, make_agent(other), [("user", "private")])
    result = await call_tool("summarize_conversation", context=RunContext(conversation_id=conv_id))
    assert result.status == "error" and result.error == "Conversation not found."
