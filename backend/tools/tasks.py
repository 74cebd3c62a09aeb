"""Workspace tasks: the Tasks page's service and the built-in tools ``create_task``,
``list_tasks`` and ``complete_task``.

Tasks belong to a workspace: every member sees and completes them; nobody else does.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlmodel import Session, col, select

from backend.accounts.actor import Actor, NotFound, require_member
from backend.db import session_scope
from backend.models.common import utcnow
from backend.models.tools import Task, TaskPublic
from backend.tools.base import InvalidInput, Tool, ToolContext, object_schema

MAX_TITLE = 200
MAX_DETAILS = 4000
MAX_LIST = 100
StatusFilter = Literal["open", "done", "all"]


def _public(row: Task) -> TaskPublic:
    return TaskPublic.model_validate(row, from_attributes=True)


def create_task(
    *,
    actor: Actor,
    title: str,
    details: str = "",
    due_date: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    session: Session,
) -> TaskPublic:
    """File an open task in the actor's workspace.

    Args:
        title: 1-200 characters.
        details: Up to 4,000 characters.
        due_date: ISO date ``YYYY-MM-DD`` or None.
        agent_id, run_id: Set when an agent files it.

    Raises:
        InvalidInput: per-field messages (``title``, ``details``, ``due_date``).
        PermissionDenied: the actor is not a member of the workspace.
    """
    require_member(actor, session)
    errors: dict[str, str] = {}
    title = title.strip()
    if not title:
        errors["title"] = "Give the task a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Titles are at most {MAX_TITLE} characters."
    if len(details) > MAX_DETAILS:
        errors["details"] = f"Details are at most {MAX_DETAILS:,} characters."
    due = (due_date or "").strip() or None
    if due is not None:
        try:
            due = date.fromisoformat(due).isoformat()
        except ValueError:
            errors["due_date"] = f"Not a date: {due_date!r}; use YYYY-MM-DD."
    if errors:
        raise InvalidInput(errors)
    row = Task(
        workspace_id=actor.workspace_id,
        title=title,
        details=details.strip(),
        due_date=due,
        created_by=actor.user_id,
        agent_id=agent_id,
        run_id=run_id,
    )
    session.add(row)
    session.flush()
    return _public(row)


def list_tasks(
    *, actor: Actor, status: StatusFilter = "open", limit: int = MAX_LIST, session: Session
) -> list[TaskPublic]:
    """The workspace's tasks: open ones oldest first, done ones most recently completed first.

    Args:
        status: ``open``, ``done`` or ``all`` (open first, then done).
        limit: At most this many (1-100).

    Raises:
        PermissionDenied: the actor is not a member of the workspace.
    """
    require_member(actor, session)
    limit = max(1, min(limit, MAX_LIST))
    query = select(Task).where(Task.workspace_id == actor.workspace_id)
    if status != "all":
        query = query.where(Task.status == status)
    query = query.order_by(
        col(Task.status).desc(),  # "open" before "done"
        col(Task.completed_at).desc(),
        col(Task.created_at),
        col(Task.id),
    )
    return [_public(r) for r in session.exec(query.limit(limit)).all()]


def complete_task(*, actor: Actor, task_id: str, session: Session) -> TaskPublic:
    """Mark a task done (again: a no-op that keeps the first completion time).

    Raises:
        NotFound: no such task in the actor's workspace.
        PermissionDenied: the actor is not a member of the workspace.
    """
    require_member(actor, session)
    row = session.get(Task, task_id) if isinstance(task_id, str) else None
    if row is None or row.workspace_id != actor.workspace_id:
        raise NotFound(f"No task with id {task_id!r} in this workspace.")
    if row.status != "done":
        row.status, row.completed_at = "done", utcnow()
        session.add(row)
        session.flush()
    return _public(row)


def _task_out(task: TaskPublic) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "details": task.details,
        "due_date": task.due_date,
        "status": task.status,
    }


def _create(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
    with session_scope() as session:
        task = create_task(
            actor=context.actor,
            title=arguments["title"],
            details=arguments.get("details", ""),
            due_date=arguments.get("due_date"),
            agent_id=context.agent_id,
            run_id=context.run_id,
            session=session,
        )
    return {"created": _task_out(task)}


def _list(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
    with session_scope() as session:
        tasks = list_tasks(
            actor=context.actor,
            status=arguments.get("status", "open"),
            limit=arguments.get("limit", 20),
            session=session,
        )
    return {"tasks": [_task_out(t) for t in tasks], "count": len(tasks)}


def _complete(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
    with session_scope() as session:
        task = complete_task(actor=context.actor, task_id=arguments["task_id"], session=session)
    return {"completed": _task_out(task)}


TOOLS = [
    Tool(
        name="create_task",
        title="Create task",
        description="File a task on the workspace's Tasks page (a title, optional details and due date).",
        parameters=object_schema(
            {
                "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE, "description": "Short title."},
                "details": {"type": "string", "maxLength": MAX_DETAILS, "description": "More information."},
                "due_date": {"type": "string", "description": "Due date as YYYY-MM-DD.", "maxLength": 10},
            },
            ["title"],
        ),
        handler=_create,
        risk="write",
        summarize=lambda out: f"Created task {out['created']['title']!r}",
    ),
    Tool(
        name="list_tasks",
        title="List tasks",
        description="List the workspace's tasks (open by default) with their ids, titles and due dates.",
        parameters=object_schema(
            {
                "status": {"type": "string", "enum": ["open", "done", "all"], "default": "open"},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIST, "default": 20},
            }
        ),
        handler=_list,
        risk="read",
        summarize=lambda out: f"{out['count']} task(s)",
    ),
    Tool(
        name="complete_task",
        title="Complete task",
        description="Mark a task as done, by the id list_tasks or create_task returned.",
        parameters=object_schema({"task_id": {"type": "string", "minLength": 1, "maxLength": 32}}, ["task_id"]),
        handler=_complete,
        risk="write",
        summarize=lambda out: f"Completed task {out['completed']['title']!r}",
    ),
]
