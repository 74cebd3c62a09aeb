"""Workspace tasks: the service for the Tasks page and the create/list/complete tools."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.db import session_scope
from backend.tools.base import InvalidInput
from backend.tools.tasks import complete_task, create_task, list_tasks


def test_create_list_complete(actor: Actor) -> None:
    with session_scope() as s:
        first = create_task(actor=actor, title="  Call the bank ", details="about the card", session=s)
        second = create_task(actor=actor, title="Pay rent", due_date="2026-12-01", session=s)
    assert first.title == "Call the bank" and first.status == "open" and second.due_date == "2026-12-01"
    with session_scope() as s:
        done = complete_task(actor=actor, task_id=first.id, session=s)
        again = complete_task(actor=actor, task_id=first.id, session=s)
    assert done.status == "done" and done.completed_at is not None and again.completed_at == done.completed_at
    with session_scope() as s:
        assert [t.title for t in list_tasks(actor=actor, session=s)] == ["Pay rent"]
        assert [t.title for t in list_tasks(actor=actor, status="done", session=s)] == ["Call the bank"]
        assert [t.title for t in list_tasks(actor=actor, status="all", session=s)] == ["Pay rent", "Call the bank"]


def test_validation_errors_by_field(actor: Actor) -> None:
    with session_scope() as s, pytest.raises(InvalidInput) as info:
        create_task(actor=actor, title=" ", details="x" * 5000, due_date="next friday", session=s)
    assert set(info.value.errors) == {"title", "details", "due_date"}
    assert "YYYY-MM-DD" in info.value.errors["due_date"]


def test_workspaces_are_isolated(make_actor: Callable[[], Actor]) -> None:
    alice, bob = make_actor(), make_actor()
    with session_scope() as s:
        task = create_task(actor=alice, title="Alice's", session=s)
    with session_scope() as s:
        assert list_tasks(actor=bob, status="all", session=s) == []
        with pytest.raises(NotFound):
            complete_task(actor=bob, task_id=task.id, session=s)
    intruder = Actor(user_id=bob.user_id, workspace_id=alice.workspace_id)  # not a member there
    with session_scope() as s, pytest.raises(PermissionDenied):
        list_tasks(actor=intruder, session=s)


async def test_tools(call_tool, actor: Actor) -> None:  # type: ignore[no-untyped-def]
    tools = ["create_task", "list_tasks", "complete_task"]
    created = await call_tool("create_task", '{"title": "File the report", "due_date": "2026-03-01"}', allow=tools)
    assert created.ok and created.summary == "Created task 'File the report'"
    task_id = created.output["created"]["id"]
    listed = await call_tool("list_tasks", "{}", allow=tools)
    assert listed.ok and [t["id"] for t in listed.output["tasks"]] == [task_id]
    done = await call_tool("complete_task", f'{{"task_id": "{task_id}"}}', allow=tools)
    assert done.ok and done.output["completed"]["status"] == "done"
    bad_date = await call_tool("create_task", '{"title": "x", "due_date": "soon"}', allow=tools)
    assert bad_date.status == "error" and "due_date" in bad_date.error
    unknown = await call_tool("complete_task", '{"task_id": "nope"}', allow=tools)
    assert unknown.status == "error" and "No task with id 'nope'" in unknown.error
    with session_scope() as s:
        row = list_tasks(actor=actor, status="done", session=s)[0]
    assert row.agent_id == "agent-under-test"
