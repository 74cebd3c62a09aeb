"""Built-in tool ``summarize_conversation``: the recent messages of the current chat, trimmed,
so the model can summarise them (the tool gathers; the model writes the summary)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, func, select

from backend.chat.service import get_conversation
from backend.db import session_scope
from backend.models import Message
from backend.tools.base import Tool, ToolContext, ToolError, object_schema

DEFAULT_MESSAGES = 20
MAX_MESSAGES = 50
MAX_CHARS_PER_MESSAGE = 1500


def recent_messages(context: ToolContext, max_messages: int = DEFAULT_MESSAGES) -> dict[str, Any]:
    """The last ``max_messages`` non-empty messages of the run's conversation, oldest first.

    Returns:
        ``{"conversation_id", "title", "total_messages", "messages": [{"role", "content"}]}``;
        each ``content`` trimmed to 1,500 characters (``…`` marks a cut).

    Raises:
        ToolError: the run has no conversation.
        NotFound: the conversation is not the actor's.
    """
    if not context.run.conversation_id:
        raise ToolError("This run has no conversation to summarise.")
    limit = max(1, min(max_messages, MAX_MESSAGES))
    with session_scope() as session:
        conv = get_conversation(actor=context.actor, conversation_id=context.run.conversation_id, session=session)
        where = (Message.conversation_id == conv.id, Message.content != "")
        total = session.exec(select(func.count()).select_from(Message).where(*where)).one()
        rows = session.exec(
            select(Message.role, Message.content).where(*where).order_by(col(Message.position).desc()).limit(limit)
        ).all()
        title = conv.title
    messages = [
        {"role": role, "content": text if len(text) <= MAX_CHARS_PER_MESSAGE else text[:MAX_CHARS_PER_MESSAGE] + "…"}
        for role, text in reversed(rows)
    ]
    return {"conversation_id": conv.id, "title": title, "total_messages": int(total), "messages": messages}


def _run(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
    return recent_messages(context, arguments.get("max_messages", DEFAULT_MESSAGES))


TOOL = Tool(
    name="summarize_conversation",
    title="Summarize conversation",
    description=(
        "Get the recent messages of this conversation (oldest first, long ones trimmed) in order to "
        "write a summary of it."
    ),
    parameters=object_schema(
        {"max_messages": {"type": "integer", "minimum": 1, "maximum": MAX_MESSAGES, "default": DEFAULT_MESSAGES}}
    ),
    handler=_run,
    risk="read",
    summarize=lambda out: f"{len(out['messages'])} of {out['total_messages']} message(s)",
)
