"""Conversations of a run principal: keyed on (owner workspace, agent, end user).

The run path and the edges that serve non-members (a grant holder, later an API key) use these;
the principal was checked where it was built (``backend.accounts.principal``), so no membership
is required here. A conversation is found only by its own end user, with its own agent.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from backend.accounts.actor import NotFound
from backend.accounts.principal import RunPrincipal
from backend.chat.service import ConversationPublic, MessagePublic, messages_of, to_public
from backend.models import Agent, BlueprintVersion, Conversation


def conversation_for(*, principal: RunPrincipal, conversation_id: str, session: Session) -> Conversation:
    """The principal's end user's conversation with the principal's agent.

    Raises:
        NotFound: no such conversation for this end user, agent and owner.
    """
    conv = session.get(Conversation, conversation_id)
    if (
        conv is None
        or conv.workspace_id != principal.owner_workspace_id
        or conv.agent_id != principal.agent_id
        or conv.user_id != principal.end_user_id
    ):
        raise NotFound("Conversation not found.")
    return conv


def create_conversation_for(
    *, principal: RunPrincipal, session: Session, blueprint_version_id: str | None = None
) -> ConversationPublic:
    """Open a conversation of the end user with the agent, pinned to its current version, or to
    ``blueprint_version_id`` (a version of this agent: the marketplace pins a listing's version).

    Raises:
        NotFound: the agent was deleted, or ``blueprint_version_id`` is not a version of it.
    """
    agent = session.get(Agent, principal.agent_id)
    if agent is None or agent.deleted_at is not None or agent.workspace_id != principal.owner_workspace_id:
        raise NotFound("Agent not found.")
    if blueprint_version_id is not None:
        pinned = session.get(BlueprintVersion, blueprint_version_id)
        if pinned is None or pinned.agent_id != agent.id:
            raise NotFound("Version not found.")
        blueprint = pinned
    else:
        blueprint = session.exec(
            select(BlueprintVersion).where(
                BlueprintVersion.agent_id == agent.id, BlueprintVersion.version == agent.current_version
            )
        ).one()
    conv = Conversation(
        workspace_id=principal.owner_workspace_id,
        agent_id=agent.id,
        user_id=principal.end_user_id,
        blueprint_version_id=blueprint.id,
        model=blueprint.model,
    )
    session.add(conv)
    session.flush()
    return to_public(conv, session)


def list_conversations_for(*, principal: RunPrincipal, session: Session) -> list[ConversationPublic]:
    """The end user's conversations with the agent, most recent first, at most 100."""
    rows = session.exec(
        select(Conversation)
        .where(
            Conversation.workspace_id == principal.owner_workspace_id,
            Conversation.agent_id == principal.agent_id,
            Conversation.user_id == principal.end_user_id,
        )
        .order_by(col(Conversation.updated_at).desc())
        .limit(100)
    ).all()
    return [to_public(c, session) for c in rows]


def messages_for(*, principal: RunPrincipal, conversation_id: str, session: Session) -> list[MessagePublic]:
    """Messages of one of the principal's conversations (see ``chat.service.get_messages``).

    Raises:
        NotFound: not the principal's conversation.
    """
    return messages_of(conversation_for(principal=principal, conversation_id=conversation_id, session=session), session)
