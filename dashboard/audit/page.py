"""``/audit``: the workspace's audit trail for owners and admins, filtered by kind of action, by
member and by date (UTC), newest first, exportable as CSV."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import reflex as rx

from backend.accounts.actor import PermissionDenied
from backend.accounts.audit import AuditFilter, events_csv, list_events
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session
from dashboard.shell.forms import banner, labelled, text_field
from dashboard.shell.layout import loaded_for_this_visit, page

__all__ = ["AuditState", "audit_page"]

KINDS = [
    ("", "All actions"),
    ("member", "Members and roles"),
    ("invitation", "Invitations"),
    ("workspace", "Workspace"),
    ("connection", "Connections"),
    ("agent", "Agents and versions"),
    ("listing", "Publishing"),
    ("limits", "Budgets, limits and prices"),
    ("billing", "Billing"),
    ("api_key", "API keys"),
]


@dataclasses.dataclass
class EventRow:
    """One row of the audit table."""

    time: str = ""
    actor: str = ""
    action: str = ""
    summary: str = ""


def _day(text: str, errors: dict[str, str], key: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        errors[key] = "Use a date like 2026-12-31."
        return None


class AuditState(rx.State):
    """The filter as typed and the matching events."""

    loaded: bool = False
    rows: list[EventRow] = []
    error: str = ""
    errors: dict[str, str] = {}
    kind: str = ""
    actor_email: str = ""
    since: str = ""
    until: str = ""

    def _filter(self) -> AuditFilter | None:
        errors: dict[str, str] = {}
        since, until = _day(self.since, errors, "since"), _day(self.until, errors, "until")
        self.errors = errors
        if errors:
            return None
        return AuditFilter(self.kind, self.actor_email, since, until + timedelta(days=1) if until else None)

    async def _query(self) -> list[Any] | None:
        where = self._filter()
        if where is None:
            return None
        actor = await signed_in(self)
        try:
            return await in_session(lambda s: list_events(actor=actor, session=s, where=where))
        except PermissionDenied as exc:
            self.error, self.rows = str(exc), []
            return None

    @rx.event
    async def load(self) -> None:
        """``on_load``: the newest events, no filter."""
        self.error, self.kind, self.actor_email, self.since, self.until = "", "", "", "", ""
        await self._apply({})

    @rx.event
    async def apply(self, form: dict[str, Any]) -> None:
        """Apply the filter form (empty fields: no filter)."""
        await self._apply(form)

    async def _apply(self, form: dict[str, Any]) -> None:
        if form:
            self.kind = str(form.get("kind", ""))
            self.actor_email = str(form.get("actor_email", ""))
            self.since, self.until = str(form.get("since", "")), str(form.get("until", ""))
        events = await self._query()
        if events is not None:
            self.rows = [
                EventRow(f"{e.created_at:%Y-%m-%d %H:%M:%S}", e.actor_email, e.action, e.summary) for e in events
            ]
        self.loaded = True

    @rx.event
    async def export_csv(self):  # type: ignore[no-untyped-def]
        """Download the filtered events as CSV."""
        events = await self._query()
        if events is None:
            return None
        return rx.download(data=events_csv(events), filename=f"audit-{datetime.now(UTC):%Y%m%d-%H%M}.csv")


def _filters() -> rx.Component:
    select = rx.el.select(
        *[rx.el.option(label, value=value) for value, label in KINDS],
        id="kind",
        name="kind",
        style={"padding": "6px", "borderRadius": "6px", "border": "1px solid var(--gray-7)"},
    )
    return rx.form(
        rx.hstack(
            rx.box(labelled("Kind of action", select, "kind"), width="220px"),
            rx.box(text_field("Member's email", "actor_email", placeholder="any"), width="240px"),
            rx.box(
                text_field("From (UTC)", "since", type="date", error=AuditState.errors.get("since", "")), width="160px"
            ),  # type: ignore[attr-defined]
            rx.box(
                text_field("To (UTC)", "until", type="date", error=AuditState.errors.get("until", "")), width="160px"
            ),  # type: ignore[attr-defined]
            rx.button("Filter", type="submit"),
            rx.button("Export CSV", type="button", variant="soft", on_click=AuditState.export_csv),
            align="end",
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        on_submit=AuditState.apply,
        reset_on_submit=False,
        width="100%",
    )


def _row(e: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(e.time, white_space="nowrap"),
        rx.table.cell(e.actor),
        rx.table.cell(rx.code(e.action)),
        rx.table.cell(e.summary),
    )


def _table() -> rx.Component:
    return rx.cond(
        AuditState.rows.length() > 0,  # type: ignore[attr-defined]
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Time (UTC)"),
                    rx.table.column_header_cell("Who"),
                    rx.table.column_header_cell("Action"),
                    rx.table.column_header_cell("What"),
                )
            ),
            rx.table.body(rx.foreach(AuditState.rows, _row)),
            width="100%",
            aria_label="Audit events",
        ),
        rx.text("No events match this filter.", size="2", color="var(--gray-11)"),
    )


def audit_page() -> rx.Component:
    """``/audit``: the filter form, Export CSV and the events table."""
    return page(
        "Audit log",
        rx.text(
            "Who did what and when in this workspace. Entries cannot be edited or deleted; keys are never recorded.",
            size="2",
            color="var(--gray-11)",
        ),
        banner(AuditState.error),
        _filters(),
        rx.cond(
            loaded_for_this_visit(AuditState.loaded),
            _table(),
            rx.hstack(rx.spinner(), rx.text("Loading events…", size="2"), spacing="2"),
        ),
    )
