"""The "Import OpenAPI" box of the Tools card."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.openapi_state import OpenAPIState
from dashboard.shell.forms import banner, field_error, labelled, text_field

OA: Any = OpenAPIState
MUTED = "var(--gray-11)"


def _operation(op: Any) -> rx.Component:  # a Var of OperationRow
    box_id = "op-" + op.operation_id
    return rx.el.li(
        rx.hstack(
            rx.checkbox(
                id=box_id,
                checked=op.checked,
                disabled=op.problem != "",
                on_change=lambda v: OA.tick_operation(op.operation_id, v),
                margin_top="3px",
            ),
            rx.vstack(
                rx.el.label(
                    op.method + " " + op.path + " — " + op.tool_name,
                    html_for=box_id,
                    style={"fontSize": "13px", "fontFamily": "monospace"},
                ),
                rx.cond(op.summary != "", rx.text(op.summary, size="1", color=MUTED), rx.fragment()),
                rx.cond(
                    op.problem != "",
                    rx.text("Cannot import: " + op.problem, size="1", color="var(--amber-11)"),
                    rx.fragment(),
                ),
                field_error(op.error),
                spacing="0",
            ),
            spacing="2",
            align="start",
        ),
        style={"listStyle": "none", "padding": "4px 0"},
    )


def openapi_import() -> rx.Component:
    """Paste, parse, tick operations, import."""
    parse_form = rx.form(
        rx.vstack(
            labelled(
                "OpenAPI document (JSON or YAML)",
                rx.text_area(id="openapi_doc", name="openapi_doc", rows="8", width="100%", font_family="monospace"),
                "openapi_doc",
            ),
            rx.button("Parse document", type="submit", size="2", variant="soft", loading=OA.parsing),
            rx.cond(
                OA.parse_errors.length() > 0,
                rx.box(
                    rx.el.ul(
                        rx.foreach(OA.parse_errors, lambda e: rx.el.li(e)), style={"margin": "0", "paddingLeft": "18px"}
                    ),
                    role="alert",
                    color="var(--red-11)",
                    font_size="13px",
                ),
                rx.fragment(),
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=OA.parse,
        reset_on_submit=False,
        width="100%",
    )
    pick_form = rx.form(
        rx.vstack(
            rx.text("Operations of " + OA.doc_title, weight="medium", size="2"),
            rx.el.ul(rx.foreach(OA.operations, _operation), style={"padding": "0", "margin": "0"}),
            text_field(
                "Base URL", "openapi_base_url", default_value=OA.base_url, placeholder="https://api.example.com"
            ),
            rx.hstack(
                text_field("Auth header for imported tools", "openapi_auth_header", placeholder="Authorization"),
                text_field(
                    "Auth value for imported tools", "openapi_auth_secret", type="password", auto_complete="off"
                ),
                spacing="3",
                width="100%",
            ),
            banner(OA.import_error),
            rx.button("Import selected", type="submit", size="2", loading=OA.importing),
            spacing="2",
            width="100%",
        ),
        key=OA.import_rev,
        on_submit=OA.import_selected,
        reset_on_submit=False,
        width="100%",
    )
    return rx.vstack(
        parse_form,
        rx.cond(OA.operations.length() > 0, pick_form, rx.fragment()),
        spacing="3",
        width="100%",
        padding="12px",
        border="1px solid var(--gray-5)",
        border_radius="8px",
    )
