"""Run principals for tests: what the chat page's edge builds for a signed-in member."""

from __future__ import annotations

from backend.accounts.actor import Actor
from backend.accounts.principal import Caller, RunPrincipal, principal_for_member
from backend.db import session_scope
from backend.models import Conversation, Run


def member(actor: Actor, agent_id: str | None = None) -> RunPrincipal:
    """``actor`` as caller and end user of ``agent_id`` (``""``: a gateway call outside an agent),
    without the membership check (gateway tests; runs use :func:`for_conversation`)."""
    return RunPrincipal(
        actor.workspace_id, agent_id or "", Caller("member", actor.user_id, actor.user_id), actor.user_id
    )


def for_conversation(actor: Actor, conversation_id: str) -> RunPrincipal:
    """The member principal of a conversation's agent, checked like the chat page does."""
    with session_scope() as s:
        conv = s.get(Conversation, conversation_id)
        agent_id = conv.agent_id if conv is not None else ""
        return principal_for_member(actor, agent_id, s)


def for_run(actor: Actor, run_id: str) -> RunPrincipal:
    """The member principal of a run's agent (for resuming it)."""
    with session_scope() as s:
        run = s.get(Run, run_id)
        agent_id = run.agent_id if run is not None else ""
        return principal_for_member(actor, agent_id, s)
