"""Agent builder pages (placeholder until the pages land)."""

import reflex as rx

from dashboard.shell.layout import page


class AgentsState(rx.State):
    """List page state."""

    @rx.event
    async def load(self) -> None:
        """on_load."""


class BuilderState(rx.State):
    """Edit page state."""

    @rx.event
    async def load(self) -> None:
        """on_load."""


def agents_page() -> rx.Component:
    """/agents."""
    return page("Agents")


def agent_edit_page() -> rx.Component:
    """/agents/[agent_id]."""
    return page("Edit agent")
