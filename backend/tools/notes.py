"""Workspace notes: the service and the built-in tools ``create_note`` and ``search_notes``.

Search is a case-insensitive substring match on title and body (SQL ``LIKE``/``ILIKE`` with
escaped wildcards), which runs the same on SQLite and PostgreSQL; every word of the query must
appear. Notes belong to a workspace.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from backend.accounts.actor import Actor, require_member
from backend.db import session_scope
from backend.models.tools import Note, NotePublic
from backend.tools.base import InvalidInput, Tool, ToolContext, object_schema

MAX_TITLE = 200
MAX_BODY = 20000
MAX_RESULTS = 50
SNIPPET_CHARS = 500


def create_note(*, actor: Actor, title: str, body: str, agent_id: str | None = None, session: Session) -> NotePublic:
    """Save a note in the actor's workspace.

    Args:
        title: 1-200 characters.
        body: Up to 20,000 characters.

    Raises:
        InvalidInput: per-field messages (``title``, ``body``).
        PermissionDenied: the actor is not a member of the workspace.
    """
    require_member(actor, session)
    errors: dict[str, str] = {}
    title = title.strip()
    if not title:
        errors["title"] = "Give the note a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Titles are at most {MAX_TITLE} characters."
    if len(body) > MAX_BODY:
        errors["body"] = f"Notes are at most {MAX_BODY:,} characters."
    if errors:
        raise InvalidInput(errors)
    row = Note(workspace_id=actor.workspace_id, title=title, body=body, created_by=actor.user_id, agent_id=agent_id)
    session.add(row)
    session.flush()
    return NotePublic.model_validate(row, from_attributes=True)


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_notes(*, actor: Actor, query: str, limit: int = 10, session: Session) -> list[NotePublic]:
    """Notes whose title or body contains every word of ``query`` (case-insensitive), newest first.

    Args:
        query: Words to look for; empty lists the newest notes.
        limit: 1-50.

    Raises:
        PermissionDenied: the actor is not a member of the workspace.
    """
    require_member(actor, session)
    limit = max(1, min(limit, MAX_RESULTS))
    statement = select(Note).where(Note.workspace_id == actor.workspace_id)
    words = query.split()[:10]
    if words:
        statement = statement.where(
            and_(
                *(
                    or_(col(Note.title).ilike(_like(w), escape="\\"), col(Note.body).ilike(_like(w), escape="\\"))
                    for w in words
                )
            )
        )
    rows = session.exec(statement.order_by(col(Note.created_at).desc(), col(Note.id)).limit(limit)).all()
    return [NotePublic.model_validate(r, from_attributes=True) for r in rows]


def _create(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
    with session_scope() as session:
        note = create_note(
            actor=context.actor,
            title=arguments["title"],
            body=arguments.get("body", ""),
            agent_id=context.agent_id,
            session=session,
        )
    return {"created": {"id": note.id, "title": note.title}}


def _search(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
    with session_scope() as session:
        notes = search_notes(
            actor=context.actor, query=arguments.get("query", ""), limit=arguments.get("limit", 10), session=session
        )
    return {
        "notes": [
            {
                "id": n.id,
                "title": n.title,
                "body": n.body[:SNIPPET_CHARS] + ("…" if len(n.body) > SNIPPET_CHARS else ""),
                "created_at": n.created_at.isoformat(timespec="seconds"),
            }
            for n in notes
        ],
        "count": len(notes),
    }


TOOLS = [
    Tool(
        name="create_note",
        title="Create note",
        description="Save a note (title and text) in the workspace, to find again later with search_notes.",
        parameters=object_schema(
            {
                "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE},
                "body": {"type": "string", "maxLength": MAX_BODY, "description": "The note's text."},
            },
            ["title"],
        ),
        handler=_create,
        risk="write",
        summarize=lambda out: f"Saved note {out['created']['title']!r}",
    ),
    Tool(
        name="search_notes",
        title="Search notes",
        description="Find workspace notes containing all the given words (case-insensitive), newest first.",
        parameters=object_schema(
            {
                "query": {"type": "string", "maxLength": 200, "description": "Words to look for."},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS, "default": 10},
            },
            ["query"],
        ),
        handler=_search,
        risk="read",
        summarize=lambda out: f"{out['count']} note(s) found",
    ),
]
