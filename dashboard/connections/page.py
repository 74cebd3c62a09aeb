"""Connection manager page (placeholder until the page lands)."""

import reflex as rx

from dashboard.shell.layout import page


class ConnectionsState(rx.State):
    """Page state."""

    @rx.event
    async def load(self) -> None:
        """on_load."""


def connections_page() -> rx.Component:
    """/connections."""
    return page("Connections")
