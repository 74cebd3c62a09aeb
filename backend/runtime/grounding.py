"""Knowledge and memory for a run: retrieve passages, put them in context, cite, remember.

The run loop calls these four steps; none of them may fail the run, so retrieval or storage
problems are logged and the run goes on without them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sqlmodel import Session, col, select

from backend.accounts.actor import Actor
from backend.accounts.principal import RunPrincipal
from backend.chat.service import get_conversation
from backend.db import session_scope
from backend.memory.conversation import remember_exchange
from backend.memory.retrieval import Passage, SearchPlan, cited_passages, format_context, retrieve_for_run
from backend.models import Message, MessageCitation
from backend.models.memory import CitationPublic
from backend.runtime.events import Citation

log = logging.getLogger(__name__)


async def retrieve(*, principal: RunPrincipal, query: str, plan: SearchPlan | None) -> list[Passage]:
    """The owner's knowledge for the agent and the end user's memories of it, for this message
    (empty on any failure). ``plan``: the run's ``search_plan``, read when the run started."""
    try:
        return await retrieve_for_run(
            workspace_id=principal.owner_workspace_id,
            agent_id=principal.agent_id,
            end_user_id=principal.end_user_id,
            query=query,
            plan=plan,
        )
    except Exception:
        log.exception("retrieval failed; answering without knowledge")
        return []


def with_context(messages: list[dict[str, str]], passages: Sequence[Passage]) -> list[dict[str, str]]:
    """``messages`` with the passages as a system message after the instructions (if any)."""
    context = format_context(passages)
    if not context:
        return messages
    at = 1 if messages and messages[0]["role"] == "system" else 0
    return [*messages[:at], {"role": "system", "content": context}, *messages[at:]]


def citations(answer: str, passages: Sequence[Passage]) -> list[Citation]:
    """The ``Citation`` events for an answer (cited ``[n]`` labels, else the documents used)."""
    return [
        Citation(
            source_id=p.source_id, title=p.title, snippet=p.snippet, kind=p.kind, location=p.location, label=p.label
        )
        for p in cited_passages(answer, passages)
    ]


async def record(
    *,
    principal: RunPrincipal,
    conversation_id: str,
    run_id: str,
    message_id: str | None,
    user_text: str,
    answer: str,
    cited: Sequence[Citation],
    title: str = "",
) -> None:
    """Store the answer's citations and, if the agent's memory switch is on, the exchange (as
    the end user's memory of the agent, in the owner workspace)."""
    try:
        if message_id is not None and cited:
            await asyncio.to_thread(_store_citations, message_id, cited)
        await remember_exchange(
            workspace_id=principal.owner_workspace_id,
            agent_id=principal.agent_id,
            end_user_id=principal.end_user_id,
            conversation_id=conversation_id,
            run_id=run_id,
            user_text=user_text,
            answer=answer,
            title=title,
        )
    except Exception:
        log.exception("storing citations or memory for run %s failed", run_id)


def _store_citations(message_id: str, cited: Sequence[Citation]) -> None:
    """Store an answer's citations (one transaction; blocking: runs in a worker thread)."""
    with session_scope() as session:
        for position, c in enumerate(cited):
            session.add(
                MessageCitation(
                    message_id=message_id,
                    position=position,
                    kind=c.kind,
                    source_id=c.source_id,
                    title=c.title[:255],
                    location=c.location[:60],
                    label=c.label[:40],
                    snippet=c.snippet,
                )
            )


def list_citations(*, actor: Actor, conversation_id: str, session: Session) -> dict[str, list[CitationPublic]]:
    """Stored citations of a conversation's answers, by message id (for re-opening a chat).

    Raises:
        NotFound: not the actor's conversation. PermissionDenied.
    """
    conv = get_conversation(actor=actor, conversation_id=conversation_id, session=session)
    rows = session.exec(
        select(MessageCitation)
        .join(Message, col(Message.id) == col(MessageCitation.message_id))
        .where(Message.conversation_id == conv.id)
        .order_by(col(MessageCitation.message_id), col(MessageCitation.position))
    ).all()
    out: dict[str, list[CitationPublic]] = {}
    for r in rows:
        out.setdefault(r.message_id, []).append(CitationPublic.model_validate(r))
    return out
