"""``/tasks``: the workspace's tasks (filed by people or by agents through ``create_task``).

Open / done / all filter, a Complete button per open task and an empty state.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import reflex as rx

from backend.accounts.actor import NotFound, PermissionDenied
from backend.models.tools import TaskPublic
from backend.tools.tasks import complete_task, list_tasks
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session
from dashboard.shell.forms import banner
from dashboard.shell.layout import page

FILTERS = ("open", "done", "all")


@dataclasses.dataclass
class TaskRow:
    """One task as the page shows it."""

    id: str = ""
    title: str = ""
    details: str = ""
    due_date: str = ""
    status: str = "open"
    by_agent: bool = False
    created_at: str = ""
    completed_at: str = ""


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _row(task: TaskPublic) -> TaskRow:
    return TaskRow(
        id=task.id,
        title=task.title,
        details=task.details,
        due_date=task.due_date or "",
        status=task.status,
        by_agent=bool(task.agent_id),
        created_at=_when(task.created_at),
        completed_at=_when(task.completed_at),
    )


class TasksState(rx.State):
    """The Tasks page: the filter, the rows and messages."""

    status: str = "open"
    tasks: list[TaskRow] = []
    loaded: bool = False
    error: str = ""
    message: str = ""

    async def _refresh(self, actor: Any) -> None:
        status = self.status
        rows = await in_session(lambda s: list_tasks(actor=actor, status=status, session=s))  # type: ignore[arg-type]
        self.tasks = [_row(t) for t in rows]

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: the tasks of the current filter."""
        self.error = self.message = ""
        actor = await signed_in(self)
        try:
            await self._refresh(actor)
        except PermissionDenied:
            self.error = "You are not a member of this workspace."
        self.loaded = True
        return None

    @rx.event
    async def set_status(self, value: str | list[str]):  # type: ignore[no-untyped-def]
        """Switch the open / done / all filter."""
        value = value if isinstance(value, str) else (value[0] if value else "open")
        actor = await signed_in(self)
        self.status = value if value in FILTERS else "open"
        self.message = ""
        await self._refresh(actor)
        return None

    @rx.event
    async def complete(self, task_id: str):  # type: ignore[no-untyped-def]
        """Mark a task done."""
        actor = await signed_in(self)
        self.error = self.message = ""
        try:
            done = await in_session(lambda s: complete_task(actor=actor, task_id=task_id, session=s))
            self.message = f"Completed “{done.title}”."
        except (NotFound, PermissionDenied):
            self.error = "That task no longer exists."
        await self._refresh(actor)
        return None


S: Any = TasksState


def _task(row: Any) -> rx.Component:  # a Var of TaskRow
    return rx.el.li(
        rx.hstack(
            rx.icon(
                rx.cond(row.status == "done", "circle_check", "circle"),
                size=20,
                color=rx.cond(row.status == "done", "var(--green-10)", "var(--gray-11)"),
            ),
            rx.vstack(
                rx.text(row.title, weight="medium", size="3"),
                rx.cond(row.details != "", rx.text(row.details, size="2", color="var(--gray-11)"), rx.fragment()),
                rx.hstack(
                    rx.text("Created " + row.created_at, size="1", color="var(--gray-11)"),
                    rx.cond(row.due_date != "", rx.badge("due " + row.due_date, size="1"), rx.fragment()),
                    rx.cond(row.by_agent, rx.badge("by an agent", size="1", color_scheme="violet"), rx.fragment()),
                    rx.cond(
                        row.status == "done",
                        rx.text("Done " + row.completed_at, size="1", color="var(--green-11)"),
                        rx.fragment(),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                spacing="1",
                min_width="0",
                flex="1",
            ),
            rx.cond(
                row.status == "open",
                rx.button(
                    rx.icon("check", size=16),
                    "Complete",
                    size="2",
                    variant="soft",
                    aria_label="Complete " + row.title,
                    on_click=S.complete(row.id),
                ),
                rx.fragment(),
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        style={"listStyle": "none", "padding": "12px 0", "borderBottom": "1px solid var(--gray-4)"},
    )


def _empty() -> rx.Component:
    return rx.callout(
        rx.cond(
            S.status == "done",
            "No completed tasks yet.",
            "No tasks yet — give an agent the “Create task” tool and ask it to file one.",
        ),
        icon="list_checks",
        color_scheme="gray",
        width="100%",
    )


def tasks_page() -> rx.Component:
    """The Tasks page: filter, list with Complete buttons, empty state."""
    body = rx.vstack(
        banner(S.error),
        banner(S.message, kind="success"),
        rx.segmented_control.root(
            rx.segmented_control.item("Open", value="open"),
            rx.segmented_control.item("Done", value="done"),
            rx.segmented_control.item("All", value="all"),
            value=S.status,
            on_change=S.set_status,
            aria_label="Show tasks",
        ),
        rx.cond(
            S.loaded,
            rx.cond(
                S.tasks.length() > 0,
                rx.el.ul(rx.foreach(S.tasks, _task), style={"padding": "0", "margin": "0", "width": "100%"}),
                _empty(),
            ),
            rx.hstack(rx.spinner(), rx.text("Loading…", size="2"), spacing="2"),
        ),
        spacing="4",
        width="100%",
    )
    return page("Tasks", body)
