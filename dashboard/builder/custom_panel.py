"""The "Custom HTTP tools" part of the Tools card: list, create/edit form and OpenAPI import."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.custom_state import PARAM_TYPES, CustomToolsState
from dashboard.builder.openapi_panel import openapi_import
from dashboard.builder.openapi_state import OpenAPIState
from dashboard.shell.forms import banner, confirm_delete, field_error, labelled, text_field

C: Any = CustomToolsState
OA: Any = OpenAPIState
MUTED = "var(--gray-11)"
E: Any = CustomToolsState.errors


def _row(row: Any) -> rx.Component:  # a Var of CustomRow
    return rx.el.li(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    rx.text(row.name, weight="medium", font_family="monospace", size="2"),
                    rx.badge(row.method, size="1", variant="outline"),
                    rx.cond(
                        row.secret_hint != "",
                        rx.badge(row.auth_header + ": " + row.secret_hint, size="1", color_scheme="gray"),
                        rx.fragment(),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(row.url_template, size="1", color=MUTED, style={"wordBreak": "break-all"}),
                spacing="0",
                flex="1",
                min_width="0",
            ),
            rx.button("Edit", size="1", variant="soft", aria_label="Edit " + row.name, on_click=C.edit_tool(row.id)),
            confirm_delete(
                rx.button("Delete", size="1", variant="soft", color_scheme="red", aria_label="Delete " + row.name),
                "Delete “" + row.name + "”?",
                "Agents that use this tool lose it. Its stored auth value is deleted too.",
                C.delete(row.id),
            ),
            spacing="2",
            align="center",
            width="100%",
        ),
        style={"listStyle": "none", "padding": "6px 0", "borderBottom": "1px solid var(--gray-3)"},
    )


def _param(p: Any) -> rx.Component:  # a Var of ParamRow
    name_id, type_id, desc_id, req_id = "pname-" + p.uid, "ptype-" + p.uid, "pdesc-" + p.uid, "preq-" + p.uid
    small = {"fontSize": "12px"}
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.el.label("Parameter name", html_for=name_id, style=small),
                rx.input(id=name_id, name=name_id, default_value=p.name, size="1", width="100%"),
                spacing="0",
                flex="2",
            ),
            rx.vstack(
                rx.el.label("Type", html_for=type_id, style=small),
                rx.select.root(
                    rx.select.trigger(id=type_id, width="100%"),
                    rx.select.content(*[rx.select.item(t, value=t) for t in PARAM_TYPES]),
                    value=p.type,
                    on_change=lambda v: C.set_param_type(p.uid, v),
                    size="1",
                ),
                spacing="0",
                flex="1",
            ),
            rx.vstack(
                rx.el.label("Parameter description", html_for=desc_id, style=small),
                rx.input(id=desc_id, name=desc_id, default_value=p.description, size="1", width="100%"),
                spacing="0",
                flex="3",
            ),
            rx.hstack(
                rx.checkbox(id=req_id, checked=p.required, on_change=lambda v: C.set_param_required(p.uid, v)),
                rx.el.label("Required", html_for=req_id, style=small),
                spacing="1",
                align="center",
                padding_top="16px",
            ),
            rx.icon_button(
                rx.icon("x", size=14),
                size="1",
                variant="ghost",
                type="button",
                aria_label="Remove parameter",
                on_click=C.remove_param(p.uid),
                margin_top="16px",
            ),
            spacing="2",
            width="100%",
            align="start",
        ),
        field_error(p.error),
        key=p.uid,
        spacing="1",
        width="100%",
    )


def _form() -> rx.Component:
    method = rx.select.root(
        rx.select.trigger(id="custom_method", width="100%"),
        rx.select.content(*[rx.select.item(m, value=m) for m in ("GET", "POST", "PUT", "PATCH", "DELETE")]),
        value=C.f_method,
        on_change=C.set_method,
    )
    return rx.form(
        rx.vstack(
            rx.heading(rx.cond(C.editing_id == "", "New custom tool", "Edit custom tool"), size="3", as_="h3"),
            banner(C.form_error),
            rx.hstack(
                text_field(
                    "Tool name", "custom_name", default_value=C.f_name, error=E["name"], placeholder="get_weather"
                ),
                rx.box(
                    labelled("Method", method, "custom_method", error=E["method"]), width="130px", min_width="130px"
                ),
                spacing="3",
                width="100%",
                align="start",
            ),
            text_field(
                "Tool description",
                "custom_description",
                default_value=C.f_description,
                error=E["description"],
                placeholder="What it does; the model reads this.",
            ),
            text_field(
                "URL template",
                "custom_url",
                default_value=C.f_url,
                error=E["url_template"],
                placeholder="https://api.example.com/weather/{city}",
                hint="Placeholders like {city} become path parameters.",
            ),
            rx.text("Parameters", weight="medium", size="2"),
            rx.foreach(C.params, _param),
            field_error(E["parameters"]),
            rx.button(
                rx.icon("plus", size=14), "Add parameter", type="button", size="1", variant="soft", on_click=C.add_param
            ),
            rx.hstack(
                text_field(
                    "Auth header name",
                    "custom_auth_header",
                    default_value=C.f_auth_header,
                    error=E["auth_header"],
                    placeholder="Authorization",
                ),
                text_field(
                    "Auth header value",
                    "custom_auth_secret",
                    type="password",
                    auto_complete="off",
                    error=E["auth_secret"],
                    placeholder=rx.cond(
                        C.f_secret_hint != "", "Stored: " + C.f_secret_hint + " (leave empty to keep)", "secret value"
                    ),
                ),
                spacing="3",
                width="100%",
                align="start",
            ),
            rx.hstack(
                rx.button("Save custom tool", type="submit", loading=C.saving, size="2"),
                rx.button(
                    "Cancel", type="button", variant="soft", color_scheme="gray", on_click=C.close_form, size="2"
                ),
                spacing="2",
            ),
            spacing="2",
            width="100%",
        ),
        key=C.form_rev,
        on_submit=C.save,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
        padding="12px",
        border="1px solid var(--gray-5)",
        border_radius="8px",
    )


def custom_tools() -> rx.Component:
    """Custom HTTP tools of the workspace: list, New custom tool, Import OpenAPI."""
    return rx.vstack(
        rx.heading("Custom HTTP tools", size="3", as_="h3"),
        banner(C.message, kind="success"),
        rx.cond(
            C.rows.length() > 0,
            rx.el.ul(rx.foreach(C.rows, _row), style={"padding": "0", "margin": "0", "width": "100%"}),
            rx.text("No custom tools yet — define one or import an OpenAPI document.", size="2", color=MUTED),
        ),
        rx.hstack(
            rx.button(rx.icon("plus", size=14), "New custom tool", size="2", variant="soft", on_click=C.new_tool),
            rx.button(
                rx.icon("file_code", size=14), "Import OpenAPI", size="2", variant="soft", on_click=OA.toggle_import
            ),
            spacing="2",
        ),
        rx.cond(C.form_open, _form(), rx.fragment()),
        rx.cond(OA.import_open, openapi_import(), rx.fragment()),
        spacing="3",
        width="100%",
    )
