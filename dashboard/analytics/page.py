"""``/analytics``: runs, success rate, tokens, cost and latency over time, totals against the
previous period, breakdown tables, cost insights, and a CSV/JSON download per table.

``/analytics?agent=<id>`` shows one agent's figures with its top conversation starters and its
slowest and failed runs, each linking to its conversation. ``/analytics?listing=<id>`` (or the
"Listing" filter) adds a publisher's figures of one listing: subscribers, MRR, revenue, platform
fee, LLM cost, margin, rating and trial → paid conversion — aggregates only.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.analytics.state import AnalyticsState

__all__ = ["AnalyticsState", "analytics_page"]
from dashboard.shell.forms import banner
from dashboard.shell.layout import page

S: Any = AnalyticsState
PRESET_LABELS = [("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days"), ("90d", "90 days")]


def _labelled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", weight="medium", as_="label"), control, spacing="1")


def _controls() -> rx.Component:
    presets = rx.segmented_control.root(
        *[rx.segmented_control.item(text, value=key) for key, text in PRESET_LABELS],
        value=S.preset,
        on_change=S.set_preset,
        aria_label="Date range",
    )
    granularity = rx.select(
        ["hour", "day", "week", "month"], value=S.granularity, on_change=S.set_granularity, aria_label="Granularity"
    )
    agent = rx.select.root(
        rx.select.trigger(placeholder="All agents", aria_label="Agent"),
        rx.select.content(
            rx.select.item("All agents", value="all"),
            rx.foreach(S.agents, lambda a: rx.select.item(a.name, value=a.id)),
        ),
        value=rx.cond(S.agent_id == "", "all", S.agent_id),
        on_change=S.set_agent,
    )
    listing = rx.select.root(
        rx.select.trigger(placeholder="No listing", aria_label="Listing"),
        rx.select.content(
            rx.select.item("No listing", value="none"),
            rx.foreach(S.listings, lambda a: rx.select.item(a.name, value=a.id)),
        ),
        value=rx.cond(S.listing_id == "", "none", S.listing_id),
        on_change=S.set_listing,
    )
    custom = rx.form(
        rx.hstack(
            _labelled(
                "From", rx.input(type="date", name="first", id="first", default_value=S.first, aria_label="From")
            ),
            _labelled("To", rx.input(type="date", name="last", id="last", default_value=S.last, aria_label="To")),
            rx.button("Apply", type="submit", variant="soft"),
            align="end",
            spacing="2",
        ),
        on_submit=S.apply_custom,
    )
    return rx.flex(
        _labelled("Range", presets),
        _labelled("Granularity", granularity),
        _labelled("Agent", agent),
        rx.cond(S.listings.length() > 0, _labelled("Listing (publisher figures)", listing), rx.fragment()),
        custom,
        rx.text("Times in ", S.tz, size="1", color="var(--gray-11)"),
        wrap="wrap",
        spacing="4",
        align="end",
        width="100%",
    )


def _total(t: Any) -> rx.Component:
    return rx.card(
        rx.text(t.label, size="1", color="var(--gray-11)"),
        rx.heading(t.value, size="5", as_="p"),
        rx.text(
            t.change,
            " vs ",
            rx.cond(t.previous == "", "—", t.previous),
            size="1",
            color=rx.cond(t.up, "var(--green-11)", "var(--red-11)"),
        ),
        min_width="160px",
        id="total-" + t.key,
    )


def _chart(title: str, kind: str, keys: list[tuple[str, str]], data: Any = S.series) -> rx.Component:
    chart, series = {
        "bar": (rx.recharts.bar_chart, lambda k, c: rx.recharts.bar(data_key=k, fill=c, stack_id="a")),
        "area": (rx.recharts.area_chart, lambda k, c: rx.recharts.area(data_key=k, stroke=c, fill=c)),
        "line": (rx.recharts.line_chart, lambda k, c: rx.recharts.line(data_key=k, stroke=c, dot=False)),
    }[kind]
    return rx.card(
        rx.heading(title, size="3", as_="h2"),
        chart(
            *[series(key, color) for key, color in keys],
            rx.recharts.x_axis(data_key="period"),
            rx.recharts.y_axis(),
            rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
            rx.recharts.graphing_tooltip(),
            rx.recharts.legend(),
            data=data,
            width="100%",
            height=240,
        ),
        width="100%",
    )


def _charts() -> rx.Component:
    return rx.grid(
        _chart(
            "Runs", "bar", [("succeeded", "var(--green-9)"), ("failed", "var(--red-9)"), ("cancelled", "var(--gray-9)")]
        ),
        _chart("Tokens", "area", [("prompt_tokens", "var(--blue-9)"), ("completion_tokens", "var(--violet-9)")]),
        _chart("Cost (USD)", "line", [("cost_usd", "var(--amber-10)")]),
        _chart(
            "Latency (ms)",
            "line",
            [
                ("latency_p50_ms", "var(--blue-9)"),
                ("latency_p95_ms", "var(--red-9)"),
                ("ttft_p50_ms", "var(--green-9)"),
                ("ttft_p95_ms", "var(--teal-9)"),
            ],
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
    )


def _publisher_charts() -> rx.Component:
    """Subscribers and money of the chosen listing (aggregates only: no subscriber's data)."""
    data = S.publisher_series
    people = [("subscribers", "var(--blue-9)"), ("new_subscribers", "var(--green-9)"), ("churned", "var(--red-9)")]
    money = [
        ("gross_revenue_usd", "var(--green-9)"),
        ("platform_fee_usd", "var(--gray-9)"),
        ("llm_cost_usd", "var(--amber-10)"),
        ("margin_usd", "var(--blue-9)"),
    ]
    return rx.grid(
        _chart("Subscribers", "line", people, data),
        _chart("Revenue, fee, LLM cost and margin (USD)", "bar", money, data),
        _chart("MRR (USD)", "line", [("mrr_usd", "var(--violet-9)")], data),
        _chart("Rating", "line", [("rating_avg", "var(--amber-10)")], data),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
        id="publisher-charts",
    )


def _cell(cell: Any, i: Any, table: Any) -> rx.Component:
    return rx.table.cell(
        rx.cond(
            (i == table.link_col) & (cell != ""),
            rx.link("Open conversation", href="/chat?c=" + cell),
            rx.text(cell),
        )
    )


def _table(table: Any) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.heading(table.title, size="3", as_="h2"),
            rx.spacer(),
            rx.button(
                rx.icon("download", size=14),
                "CSV",
                size="1",
                variant="soft",
                aria_label="Download CSV of " + table.title,
                on_click=S.download_csv(table.key),
            ),
            rx.button(
                "JSON",
                size="1",
                variant="ghost",
                aria_label="Download JSON of " + table.title,
                on_click=S.download_json(table.key),
            ),
            width="100%",
            align="center",
        ),
        rx.cond(
            table.loading,
            rx.hstack(rx.spinner(size="1"), rx.text("Loading…", size="2"), role="status"),
            rx.fragment(),
        ),
        rx.cond(
            table.rows.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(rx.foreach(table.columns, lambda c: rx.table.column_header_cell(c)))),
                rx.table.body(
                    rx.foreach(
                        table.rows, lambda row: rx.table.row(rx.foreach(row, lambda cell, i: _cell(cell, i, table)))
                    )
                ),
                size="1",
                width="100%",
            ),
            rx.cond(table.loading, rx.fragment(), rx.text("Nothing in this period.", size="2", color="var(--gray-11)")),
        ),
        width="100%",
        overflow_x="auto",
        id="table-" + table.key,
    )


def _empty() -> rx.Component:
    return rx.callout(
        rx.text(
            "No runs in this period yet. Create an agent on the ",
            rx.link("Agents", href="/agents"),
            " page and chat with it on the ",
            rx.link("Chat", href="/chat"),
            " page: its runs, tokens, cost and latency show up here within seconds.",
        ),
        icon="chart_line",
        width="100%",
    )


def analytics_page() -> rx.Component:
    """The page body inside the shell."""
    return page(
        "Analytics",
        _controls(),
        banner(S.error),
        rx.cond(S.loading, rx.hstack(rx.spinner(), rx.text("Loading figures…"), role="status"), rx.fragment()),
        rx.cond(
            S.loaded & (S.error == ""),
            rx.vstack(
                rx.cond(S.empty, _empty(), rx.fragment()),
                rx.flex(rx.foreach(S.totals, _total), wrap="wrap", spacing="3", width="100%"),
                rx.cond(S.publisher_series.length() > 0, _publisher_charts(), rx.fragment()),
                _charts(),
                rx.foreach(S.tables, _table),
                spacing="4",
                width="100%",
            ),
            rx.fragment(),
        ),
    )
