"""The agent's "Tools" card on ``/agents/<id>`` (allowlist, approval, domains, custom tools) and
its "Audit log" card."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.custom_panel import custom_tools
from dashboard.builder.custom_state import CustomToolsState
from dashboard.builder.tools_state import ToolsState
from dashboard.shell.forms import banner, labelled

T: Any = ToolsState
MUTED = "var(--gray-11)"
RISK_COLORS = {"read": "green", "write": "amber", "external": "red"}


def risk_badge(risk: Any) -> rx.Component:
    """A coloured badge for a risk level (read / write / external)."""
    return rx.badge(
        risk,
        color_scheme=rx.match(risk, ("read", "green"), ("write", "amber"), ("external", "red"), "gray"),
        variant="soft",
        size="1",
        title="Risk level",
    )


def _option(opt: Any) -> rx.Component:  # a Var of ToolOption
    box_id = "tool-" + opt.name
    return rx.el.li(
        rx.hstack(
            rx.checkbox(id=box_id, checked=opt.checked, on_change=lambda v: T.toggle(opt.name, v), margin_top="3px"),
            rx.vstack(
                rx.hstack(
                    rx.el.label(opt.title, html_for=box_id, style={"fontWeight": "500", "fontSize": "14px"}),
                    risk_badge(opt.risk),
                    rx.cond(opt.source == "custom", rx.badge("custom", size="1", variant="outline"), rx.fragment()),
                    rx.text(opt.name, size="1", color="var(--gray-11)", font_family="monospace"),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(opt.description, size="1", color=MUTED),
                spacing="0",
                flex="1",
                min_width="0",
            ),
            rx.cond(
                opt.checked,
                rx.hstack(
                    rx.switch(
                        id="approve-" + opt.name,
                        checked=opt.approval,
                        disabled=opt.always_approval,
                        on_change=lambda v: T.toggle_approval(opt.name, v),
                        size="1",
                    ),
                    rx.el.label(
                        "Needs approval",
                        html_for="approve-" + opt.name,
                        aria_label="Needs approval: " + opt.title,
                        style={"fontSize": "12px", "whiteSpace": "nowrap"},
                    ),
                    spacing="1",
                    align="center",
                ),
                rx.fragment(),
            ),
            spacing="2",
            align="start",
            width="100%",
        ),
        style={"listStyle": "none", "padding": "6px 0", "borderBottom": "1px solid var(--gray-3)"},
    )


def _domains() -> rx.Component:
    area = rx.text_area(
        id="allowed_domains",
        name="allowed_domains",
        key=T.domains_rev,
        default_value=T.domains,
        on_change=lambda value: T.domains_typed(value, T.domains_rev).debounce(700),
        on_blur=lambda value: T.domains_typed(value, T.domains_rev),
        rows="3",
        placeholder="api.example.com\n*.example.org",
        width="100%",
    )
    warnings = rx.foreach(
        T.domain_warnings,
        lambda w: rx.text(rx.icon("triangle_alert", size=12), " ", w, size="1", color="var(--amber-11)"),
    )
    return rx.vstack(
        labelled(
            "Allowed domains for HTTP request",
            area,
            "allowed_domains",
            error=T.domains_error,
            hint="One web site per line, e.g. api.example.com; *.example.com also allows its sub-sites.",
        ),
        rx.box(warnings, role="status", aria_live="polite", width="100%"),
        spacing="1",
        width="100%",
    )


def _planner() -> rx.Component:
    """The "Plan complex requests" switch (planner mode) with its help text."""
    return rx.vstack(
        rx.hstack(
            rx.switch(
                id="plan_complex",
                checked=T.plan_complex,
                on_change=T.toggle_plan,
                size="2",
                aria_describedby="plan_complex-help",
            ),
            rx.el.label(
                "Plan complex requests", html_for="plan_complex", style={"fontWeight": "500", "fontSize": "14px"}
            ),
            spacing="2",
            align="center",
        ),
        rx.text(
            "For a request with several parts, the agent first writes a plan of up to 6 steps; each step runs with "
            "read-only tools (its own, or an agent it may ask), and the agent answers from the results. Simple "
            "requests are answered directly. Costs one extra model call per message.",
            id="plan_complex-help",
            size="1",
            color=MUTED,
        ),
        spacing="1",
        width="100%",
    )


def tools_section(agent_id: Any) -> rx.Component:
    """The Tools card: checkboxes with descriptions and risk badges, approval, domains, custom tools."""
    return rx.card(
        rx.vstack(
            rx.heading("Tools", size="4", as_="h2", id="agent-tools-heading"),
            rx.text(
                "Tick what this agent may use; it can never call a tool that is not ticked. Changes go into the "
                "draft: try them in the preview, then save a version.",
                size="2",
                color=MUTED,
            ),
            banner(T.error),
            rx.el.ul(rx.foreach(T.options, _option), style={"padding": "0", "margin": "0", "width": "100%"}),
            rx.cond(
                T.tools_error != "",
                rx.text(T.tools_error, color="var(--red-11)", size="2", role="alert"),
                rx.fragment(),
            ),
            _domains(),
            rx.divider(),
            _planner(),
            rx.divider(),
            custom_tools(),
            spacing="3",
            width="100%",
        ),
        width="100%",
        on_mount=[T.load(agent_id), CustomToolsState.load],
    )


def _audit_row(row: Any) -> rx.Component:  # a Var of AuditRow
    return rx.table.row(
        rx.table.cell(rx.text(row.time, size="1", white_space="nowrap")),
        rx.table.cell(rx.text(row.tool, size="1", font_family="monospace")),
        rx.table.cell(
            rx.text(row.arguments, size="1", font_family="monospace", style={"wordBreak": "break-all"}),
            max_width="280px",
        ),
        rx.table.cell(
            rx.badge(
                row.status,
                size="1",
                color_scheme=rx.match(row.status, ("ok", "green"), ("denied", "red"), ("timeout", "amber"), "red"),
            )
        ),
        rx.table.cell(rx.text(row.duration, size="1", white_space="nowrap")),
        rx.table.cell(rx.text(row.summary, size="1"), max_width="260px"),
    )


def audit_section() -> rx.Component:
    """The agent's audit log: every tool call with arguments (secrets redacted), status, duration."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Audit log", size="4", as_="h2", id="agent-audit-heading"),
                rx.spacer(),
                rx.button(
                    rx.icon("refresh_cw", size=14), "Refresh", size="1", variant="soft", on_click=T.refresh_audit
                ),
                width="100%",
                align="center",
            ),
            rx.cond(
                T.audit.length() > 0,
                rx.box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(h)
                                    for h in ("Time", "Tool", "Arguments", "Status", "Duration", "Summary")
                                ]
                            )
                        ),
                        rx.table.body(rx.foreach(T.audit, _audit_row)),
                        size="1",
                        width="100%",
                    ),
                    role="region",
                    aria_label="Audit log",
                    max_height="420px",
                    overflow_y="auto",
                    width="100%",
                ),
                rx.text(
                    "No tool calls yet — they appear here with their arguments and results.", size="2", color=MUTED
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
