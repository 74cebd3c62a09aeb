"""The builder's preview runs the agent's draft; existing conversations keep their version."""

from __future__ import annotations

from sqlmodel import select

from backend.accounts.actor import Actor
from backend.agents.drafts import open_preview, update_draft
from backend.chat.service import list_conversations
from backend.db import session_scope
from backend.models import BlueprintVersion, Run, UsageRecord
from backend.runtime.events import RunDone
from tests.support import agents
from tests.support.llm_server import LLMTestServer


def _system(messages: list[dict[str, object]]) -> str:
    return "\n".join(str(m.get("content")) for m in messages if m.get("role") == "system")


async def test_preview_runs_the_draft_as_the_owner_and_old_conversations_keep_v1(
    actor: Actor, llm_server: LLMTestServer
) -> None:
    agent_id = agents.agent(actor, agents.connection(actor, llm_server))
    old_conv = agents.conversation(actor, agent_id)
    with session_scope() as s:
        update_draft(actor=actor, agent_id=agent_id, changes={"instructions": "Answer like a pirate."}, session=s)
        preview = open_preview(actor=actor, agent_id=agent_id, session=s)

    events = await agents.run(actor, preview, "Hello?")
    assert isinstance(events[-1], RunDone) and events[-1].status == "succeeded"
    assert "Answer like a pirate." in _system(llm_server.received_messages[-1])

    await agents.run(actor, old_conv, "Hello again")
    assert "Be brief." in _system(llm_server.received_messages[-1])
    assert "pirate" not in _system(llm_server.received_messages[-1])

    with session_scope() as s:
        runs = {r.conversation_id: r for r in s.exec(select(Run).where(Run.agent_id == agent_id)).all()}
        draft_run, old_run = runs[preview], runs[old_conv]
        assert s.get(BlueprintVersion, draft_run.blueprint_version_id).version == 0  # type: ignore[union-attr]
        assert s.get(BlueprintVersion, old_run.blueprint_version_id).version == 1  # type: ignore[union-attr]
        usage = s.exec(select(UsageRecord).where(UsageRecord.run_id == draft_run.id)).all()
        assert usage and all(u.workspace_id == actor.workspace_id for u in usage)  # charged to the owner
        # the chat page lists the real conversation only, not the builder's preview
        assert [c.id for c in list_conversations(actor=actor, agent_id=agent_id, session=s)] == [old_conv]
