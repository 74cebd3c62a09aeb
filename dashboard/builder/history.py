"""The builder's "Versions" tab: every saved version, newest first, with Restore."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.state import BuilderState

S: Any = BuilderState


def _version_row(row: Any) -> rx.Component:  # a Var of VersionRow
    return rx.el.li(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    rx.text("v" + row.version.to_string(), weight="bold", size="3"),
                    rx.cond(row.is_current, rx.badge("current", color_scheme="green", size="1"), rx.fragment()),
                    spacing="2",
                    align="center",
                ),
                rx.text(row.created_at, size="1", color="var(--gray-11)"),
                rx.text(row.note, size="1", color="var(--gray-11)"),
                spacing="0",
                min_width="0",
            ),
            rx.spacer(),
            rx.cond(
                row.is_current,
                rx.fragment(),
                rx.button(
                    "Restore v" + row.version.to_string(),
                    size="1",
                    variant="soft",
                    aria_label="Restore version " + row.version.to_string(),
                    on_click=S.restore(row.version),
                ),
            ),
            width="100%",
            align="center",
        ),
        style={"listStyle": "none", "padding": "8px 0", "borderBottom": "1px solid var(--gray-4)"},
    )


def history_panel() -> rx.Component:
    """Saved versions; restoring one makes a new version that copies it (and replaces the draft)."""
    return rx.card(
        rx.vstack(
            rx.heading("Version history", size="4", as_="h2"),
            rx.text(
                "Chats use the newest version. Restoring an old one saves it again as a new version and "
                "replaces the draft.",
                size="1",
                color="var(--gray-11)",
            ),
            rx.el.ul(rx.foreach(S.versions, _version_row), style={"padding": "0", "margin": "0", "width": "100%"}),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )
