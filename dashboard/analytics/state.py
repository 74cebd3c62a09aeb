"""State of ``/analytics``: the range, granularity, agent filter and time zone, and the loaded
figures. Loading runs in a background handler: the rollup catch-up and queries run in a worker
thread, never on the event loop."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date
from typing import Any

import reflex as rx

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.analytics.periods import (
    GRANULARITIES,
    MAX_HOURLY_DAYS,
    PRESETS,
    Period,
    custom_period,
    preset_period,
    zone,
)
from backend.analytics.publisher import PublisherView, listing_choices, publisher_view
from backend.analytics.service import Report, agent_choices, end_user_table, load_report
from backend.analytics.tables import Table
from backend.models.common import utcnow
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session

LINK_COLUMNS = ("conversation_id",)
"""Columns whose cells link to the conversation (``/chat?c=<id>``)."""
TZ_SCRIPT = "Intl.DateTimeFormat().resolvedOptions().timeZone"


@dataclasses.dataclass
class TotalRow:
    """A headline figure as shown: value, previous period's value and the change."""

    key: str = ""
    label: str = ""
    value: str = ""
    previous: str = ""
    change: str = ""
    up: bool = True


@dataclasses.dataclass
class TableView:
    """A table as shown: header, text cells, the column that links to a conversation (-1: none)."""

    key: str = ""
    title: str = ""
    columns: list[str] = dataclasses.field(default_factory=list)
    rows: list[list[str]] = dataclasses.field(default_factory=list)
    link_col: int = -1
    loading: bool = False


@dataclasses.dataclass
class AgentOption:
    """An agent of the filter."""

    id: str = ""
    name: str = ""


def _change(value: float | None, key: str) -> str:
    if value is None:
        return "—"
    unit = " pts" if key == "success_rate" else "%"
    return f"{value:+.1f}{unit}"


def _view(table: Table, loading: bool = False) -> TableView:
    link = next((i for i, c in enumerate(table.columns) if c in LINK_COLUMNS), -1)
    return TableView(table.key, table.title, list(table.columns), table.text_rows(), link, loading)


def _period(preset: str, first: str, last: str, tz: str, granularity: str) -> Period:
    if preset == "custom":
        try:
            start, end = date.fromisoformat(first), date.fromisoformat(last)
        except ValueError as exc:
            raise ValueError("Enter both dates of the custom range.") from exc
        return custom_period(start, end, tz, granularity)
    return preset_period(preset, tz, granularity, utcnow())


class AnalyticsState(rx.State):
    """The analytics page."""

    preset: str = "7d"
    first: str = ""
    last: str = ""
    granularity: str = "day"
    agent_id: str = ""
    tz: str = "UTC"
    loading: bool = False
    loaded: bool = False
    empty: bool = False
    error: str = ""
    series: list[dict[str, Any]] = []
    totals: list[TotalRow] = []
    tables: list[TableView] = []
    agents: list[AgentOption] = []
    listing_id: str = ""
    listings: list[AgentOption] = []
    publisher_series: list[dict[str, Any]] = []
    _generation: int = 0

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: take ``?agent=<id>``, then ask the browser for its time zone (which loads)."""
        self.agent_id = str(self.router.url.query_parameters.get("agent", "") or "")
        self.listing_id = str(self.router.url.query_parameters.get("listing", "") or "")
        self.error = ""
        return rx.call_script(TZ_SCRIPT, callback=AnalyticsState.set_tz)

    @rx.event
    def set_tz(self, name: Any):  # type: ignore[no-untyped-def]
        """The browser's IANA time zone (UTC if it sent none or an unknown one), then load."""
        try:
            zone(str(name or "UTC"))
            self.tz = str(name or "UTC")
        except ValueError:
            self.tz = "UTC"
        return AnalyticsState.refresh

    @rx.event
    def set_preset(self, value: str | list[str]):  # type: ignore[no-untyped-def]
        """Pick 24h / 7d / 30d / 90d (24h shows hours; long ranges leave hours for days)."""
        value = value if isinstance(value, str) else (value[0] if value else "7d")
        self.preset = value if value in PRESETS else "7d"
        if self.preset == "24h":
            self.granularity = "hour"
        elif self.granularity == "hour" and PRESETS[self.preset] > MAX_HOURLY_DAYS:
            self.granularity = "day"
        return AnalyticsState.refresh

    @rx.event
    def set_granularity(self, value: str):  # type: ignore[no-untyped-def]
        """Hour / day / week / month buckets."""
        self.granularity = value if value in GRANULARITIES else "day"
        return AnalyticsState.refresh

    @rx.event
    def set_agent(self, value: str):  # type: ignore[no-untyped-def]
        """Only one agent's figures (``"all"``: every agent)."""
        self.agent_id = "" if value == "all" else value
        return AnalyticsState.refresh

    @rx.event
    def set_listing(self, value: str):  # type: ignore[no-untyped-def]
        """Show one of the workspace's listings' publisher figures (``"none"``: none)."""
        self.listing_id = "" if value == "none" else value
        return AnalyticsState.refresh

    @rx.event
    def apply_custom(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """A custom from/to range (local dates, both included)."""
        self.first, self.last = str(form.get("first", "") or ""), str(form.get("last", "") or "")
        self.preset = "custom"
        return AnalyticsState.refresh

    @rx.event(background=True)
    async def refresh(self):  # type: ignore[no-untyped-def]
        """Load every figure of the chosen range (off the event loop), newest request wins."""
        async with self:
            actor = await signed_in(self)
            self._generation += 1
            generation, self.loading, self.error = self._generation, True, ""
            args = (self.preset, self.first, self.last, self.tz, self.granularity)
            agent_id, listing_id = self.agent_id or None, self.listing_id
        period, report, agents, error = await _fetch(actor, args, agent_id)
        listings, publisher, error = await _fetch_publisher(actor, period, listing_id, error)
        async with self:
            if generation != self._generation:
                return None
            self.loading, self.loaded, self.error = False, True, error
            if report is not None:
                self._show(report, agents)
                self._show_publisher(listings, publisher)
        if period is None:
            return None
        try:  # the slowest table with many end users comes second: the rest shows meanwhile
            users = await in_session(lambda s: end_user_table(actor=actor, period=period, agent_id=agent_id, session=s))
        except PermissionDenied:
            return None
        async with self:
            if generation == self._generation:
                self.tables = [_view(users) if t.key == users.key else t for t in self.tables]
        return None

    def _show(self, report: Report, agents: list[tuple[str, str]]) -> None:
        self.agents = [AgentOption(i, n) for i, n in agents]
        self.empty = report.overview.empty
        self.series = report.overview.series.records()
        self.totals = [
            TotalRow(t.key, t.label, t.value, t.previous, _change(t.change_pct, t.key), (t.change_pct or 0) >= 0)
            for t in report.overview.totals
        ]
        views = [_view(t, loading=t.key == "by_end_user") for t in report.tables() if t.key != "over_time"]
        self.tables = [*views, _view(report.overview.series)]

    def _show_publisher(self, listings: list[tuple[str, str]], view: PublisherView | None) -> None:
        self.listings = [AgentOption(i, t) for i, t in listings]
        self.publisher_series = [] if view is None else [_numbers(r) for r in view.series.records()]
        if view is not None:
            self.tables = [_view(view.totals), _view(view.series), *self.tables]

    def _table(self, key: str) -> Table | None:
        for view in self.tables:
            if view.key == key:
                return Table(view.key, view.title, tuple(view.columns), tuple(tuple(r) for r in view.rows))
        return None

    @rx.event
    def download_csv(self, key: str):  # type: ignore[no-untyped-def]
        """The table ``key`` as shown, as a CSV file."""
        table = self._table(key)
        if table is None:
            return None
        return rx.download(data=table.to_csv(), filename=f"analytics-{key}.csv", mime_type="text/csv")

    @rx.event
    def download_json(self, key: str):  # type: ignore[no-untyped-def]
        """The table ``key`` as shown, as JSON."""
        table = self._table(key)
        if table is None:
            return None
        return rx.download(data=table.to_json(), filename=f"analytics-{key}.json", mime_type="application/json")


def _numbers(record: dict[str, Any]) -> dict[str, Any]:
    """A publisher row for the charts: USD amounts (text with six decimals) as numbers."""
    return {k: float(v) if k.endswith("_usd") and v is not None else v for k, v in record.items()}


async def _fetch_publisher(
    actor: Actor, period: Period | None, listing_id: str, error: str
) -> tuple[list[tuple[str, str]], PublisherView | None, str]:
    """The workspace's listings and, when one is chosen, its publisher figures (off the loop)."""
    if period is None:
        return [], None, error
    try:
        listings = await in_session(lambda s: listing_choices(actor=actor, session=s))
        if not listing_id:
            return listings, None, error
        view = await in_session(lambda s: publisher_view(actor=actor, period=period, listing_id=listing_id, session=s))
    except (NotFound, PermissionDenied):
        return [], None, error or "That listing is not one of this workspace's."
    return listings, view, error


async def _fetch(
    actor: Actor, args: tuple[str, str, str, str, str], agent_id: str | None
) -> tuple[Period | None, Report | None, list[tuple[str, str]], str]:
    try:
        period = _period(*args)
        report = await asyncio.to_thread(load_report, actor=actor, period=period, agent_id=agent_id, end_users=False)
        agents = await in_session(lambda s: agent_choices(actor=actor, session=s))
    except ValueError as exc:
        return None, None, [], str(exc)
    except PermissionDenied as exc:
        return None, None, [], str(exc) or "You are not a member of this workspace."
    return period, report, agents, ""
