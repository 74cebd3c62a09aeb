"""Pieces of the connection manager page: a connection row, its edit form, the status badge.

Buttons of a row carry the connection's name in their accessible name
(``"Test connection Local LLM"``, ``"Edit Local LLM"``, ``"Delete Local LLM"``).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.connections.catalog_view import models_details
from dashboard.connections.rows import ConnectionRow
from dashboard.connections.state import LOCAL_BASE_URL_EXAMPLE, ConnectionsState
from dashboard.shell.auth import allowed
from dashboard.shell.forms import confirm_delete, text_field

S = ConnectionsState
MUTED = "var(--gray-11)"


def hint(text: Any) -> rx.Component:
    """Small grey help text under a field."""
    return rx.text(text, size="1", color="var(--gray-11)")


def status_badge(row: ConnectionRow) -> rx.Component:
    """Green "OK · 2 models", red "Error" or grey "Not tested"."""
    return rx.match(
        row.status,
        (
            "ok",
            rx.badge(
                rx.icon("circle_check", size=14),
                "OK · ",
                row.model_count,
                rx.cond(row.model_count == 1, " model", " models"),
                color_scheme="green",
                size="2",
            ),
        ),
        ("error", rx.badge(rx.icon("circle_x", size=14), "Error", color_scheme="red", size="2")),
        rx.badge("Not tested", color_scheme="gray", size="2"),
    )


def delete_button(row: ConnectionRow) -> rx.Component:
    """ "Delete" with a confirmation dialog."""
    return confirm_delete(
        rx.button(
            rx.icon("trash_2", size=16),
            "Delete",
            aria_label="Delete " + row.name,
            variant="soft",
            color_scheme="red",
            size="2",
        ),
        rx.text("Delete “", row.name, "”?"),
        "The stored key is erased. Agents that use this connection stop working until you "
        "pick another one. This cannot be undone.",
        S.delete(row.id),  # type: ignore[operator]
    )


def row_buttons(row: ConnectionRow) -> rx.Component:
    """Test connection (spinner while running), Edit, Delete: for owners and admins only."""
    return rx.cond(allowed("connections.manage"), _manage_buttons(row), rx.fragment())


def _manage_buttons(row: ConnectionRow) -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("plug_zap", size=16),
            "Test connection",
            aria_label="Test connection " + row.name,
            loading=S.testing_ids.contains(row.id),  # type: ignore[attr-defined]
            on_click=S.test(row.id),  # type: ignore[misc]
            size="2",
        ),
        rx.button(
            rx.icon("pencil", size=16),
            "Edit",
            aria_label="Edit " + row.name,
            variant="soft",
            size="2",
            on_click=S.open_edit(row.id),  # type: ignore[operator]
        ),
        delete_button(row),
        spacing="2",
    )


def _detail(label: str, value: Any) -> rx.Component:
    return rx.text(
        rx.text.span(label, color=MUTED), " ", rx.code(value, variant="ghost", size="2"), size="2", trim="both"
    )


def row_view(row: ConnectionRow) -> rx.Component:
    """Name, provider, masked key, base URL, status with message and time, models, buttons."""
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.hstack(rx.heading(row.name, size="4", as_="h2"), status_badge(row), spacing="3", align="center"),
                rx.text(row.provider_label, size="2", color=MUTED),
                spacing="1",
            ),
            rx.spacer(),
            row_buttons(row),
            width="100%",
            align="start",
            wrap="wrap",
            spacing="3",
        ),
        rx.hstack(
            rx.cond(row.key_hint != "", _detail("Key", row.key_hint), rx.text("No key", size="2", color=MUTED)),
            rx.cond(row.base_url != "", _detail("Base URL", row.base_url), rx.fragment()),
            spacing="5",
            wrap="wrap",
        ),
        rx.cond(
            row.status_message != "",
            rx.text(
                row.status_message,
                size="2",
                color=rx.cond(row.status == "error", "var(--red-11)", "var(--green-11)"),
            ),
            rx.fragment(),
        ),
        rx.cond(
            row.model_count > 0,
            rx.text(
                rx.text.span("Models: ", color=MUTED),
                row.models_preview,
                rx.cond(row.more_models > 0, rx.text.span(" and ", row.more_models, " more"), rx.fragment()),
                size="2",
            ),
            rx.fragment(),
        ),
        rx.cond(
            S.testing_ids.contains(row.id),  # type: ignore[attr-defined]
            rx.text("Testing the connection…", size="1", color="var(--accent-11)", role="status"),
            rx.fragment(),
        ),
        rx.cond(
            row.checked_label != "",
            rx.el.time(
                row.checked_label,
                date_time=row.checked_at,
                title=row.checked_at,
                style={"fontSize": "12px", "color": "var(--gray-11)"},
            ),
            rx.text("Not tested yet", size="1", color="var(--gray-11)"),
        ),
        models_details(row),
        spacing="2",
        width="100%",
    )


def edit_form(row: ConnectionRow) -> rx.Component:
    """Rename or re-point a connection in place; the key stays unless a new one is typed."""
    return rx.form(
        rx.vstack(
            rx.heading("Edit “", row.name, "”", size="4", as_="h2"),
            rx.text(row.provider_label, size="2", color=MUTED),
            text_field("Name", "edit_name", default_value=row.name, max_length=80, error=S.edit_name_error),
            rx.cond(
                row.needs_base_url | (row.base_url != ""),
                text_field(
                    "Base URL",
                    "edit_base_url",
                    type="url",
                    default_value=row.base_url,
                    placeholder=LOCAL_BASE_URL_EXAMPLE,
                    error=S.edit_base_url_error,
                ),
                rx.fragment(),
            ),
            text_field(
                "API key",
                "edit_api_key",
                type="password",
                auto_complete="off",
                spell_check=False,
                placeholder="Leave blank to keep the current key",
                error=S.edit_api_key_error,
            ),
            hint(
                rx.cond(
                    row.key_hint != "",
                    "Leave blank to keep the current key ("
                    + row.key_hint
                    + "). Changing the address needs the key again.",
                    "Leave blank to keep the current key (none stored).",
                )
            ),
            rx.hstack(
                rx.button("Save changes", type="submit"),
                rx.button("Cancel", type="button", variant="soft", color_scheme="gray", on_click=S.cancel_edit),
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=S.save_edit,
        aria_label="Edit " + row.name,
        width="100%",
    )


def connection_row(row: ConnectionRow) -> rx.Component:
    """One connection as a card (``<article>`` named after it), or its edit form."""
    return rx.el.article(
        rx.card(rx.cond(S.edit_id == row.id, edit_form(row), row_view(row)), width="100%"),
        aria_label=row.name,
        style={"width": "100%"},
    )
