"""Accessible form building blocks: every input has a visible label tied to it by id."""

from __future__ import annotations

from typing import Any

import reflex as rx


def field_error(message: Any) -> rx.Component:
    """A red inline error under a field, shown only when ``message`` is non-empty."""
    return rx.cond(message != "", rx.text(message, color="var(--red-11)", size="2", role="alert"), rx.fragment())


def labelled(label: str, control: rx.Component, control_id: str, *, error: Any = "", hint: str = "") -> rx.Component:
    """A visible ``<label for=control_id>`` above ``control``, an optional hint and inline error."""
    return rx.vstack(
        rx.el.label(label, html_for=control_id, style={"fontWeight": "500", "fontSize": "14px"}),
        control,
        rx.cond(hint != "", rx.text(hint, size="1", color="var(--gray-11)"), rx.fragment()) if hint else rx.fragment(),
        field_error(error),
        spacing="1",
        width="100%",
        align="stretch",
    )


def text_field(label: str, control_id: str, *, error: Any = "", hint: str = "", **props: Any) -> rx.Component:
    """A labelled ``rx.input`` with ``id``/``name`` = ``control_id``."""
    return labelled(
        label, rx.input(id=control_id, name=control_id, width="100%", **props), control_id, error=error, hint=hint
    )


def banner(message: Any, *, kind: str = "error") -> rx.Component:
    """A callout shown when ``message`` is non-empty (``kind``: error, success or info)."""
    color = {"error": "red", "success": "green", "info": "blue"}[kind]
    icon = {"error": "triangle_alert", "success": "check", "info": "info"}[kind]
    return rx.cond(
        message != "",
        rx.callout(message, icon=icon, color_scheme=color, role="alert" if kind == "error" else "status", width="100%"),
        rx.fragment(),
    )


def confirm_delete(trigger: rx.Component, title: Any, description: Any, on_confirm: Any) -> rx.Component:
    """A delete button (``trigger``) that opens a confirmation dialog: Cancel / Delete.

    Args:
        trigger: the button that opens the dialog (give it an accessible name).
        title: dialog title, e.g. ``"Delete “" + name + "”?"``.
        description: what will be lost.
        on_confirm: the event fired by the dialog's red "Delete" button.
    """
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description, size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Delete", color_scheme="red", on_click=on_confirm)),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="440px",
        ),
    )


def parse_number(form: dict[str, Any], key: str, kind: type, message: str, errors: dict[str, str]) -> Any:
    """Read an optional number from submitted form data.

    Commas and a leading ``$`` are ignored (``"$1,200.50"`` -> 1200.5). An empty field gives
    ``None``; text that ``kind`` (``int`` or ``float``) cannot parse records ``message`` under
    ``errors[key]`` and gives ``None``.
    """
    raw = str(form.get(key, "") or "").strip().replace(",", "").lstrip("$").strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        errors[key] = message
        return None
