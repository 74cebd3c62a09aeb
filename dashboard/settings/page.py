"""Workspace settings page (``/settings``): limits & budgets, and usage totals."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.settings.components import limits_panel, usage_panel
from dashboard.settings.embeddings import embeddings_panel
from dashboard.settings.state import SettingsState
from dashboard.shell.forms import banner
from dashboard.shell.layout import page

__all__ = ["SettingsState", "settings_page"]

S: Any = SettingsState


def settings_page() -> rx.Component:
    """``/settings``: the workspace's budgets, rate limits and usage."""
    return page(
        "Settings",
        rx.text(
            "Limits, budgets and usage of the whole workspace. Each agent's own limits are also on its builder page.",
            size="2",
            color="var(--gray-11)",
        ),
        banner(S.page_error),
        banner(S.notice, kind="success"),
        rx.cond(
            S.loaded,
            rx.vstack(limits_panel(), usage_panel(), embeddings_panel(), spacing="4", width="100%"),
            rx.center(rx.spinner(size="3"), rx.text("Loading settings…", size="2"), padding="32px", spacing="2"),
        ),
    )
