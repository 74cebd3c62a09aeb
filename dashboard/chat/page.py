"""Chat page (placeholder until the page lands)."""

import reflex as rx

from dashboard.shell.layout import page


class ChatState(rx.State):
    """Page state."""

    @rx.event
    async def load(self) -> None:
        """on_load."""


def chat_page() -> rx.Component:
    """/chat."""
    return page("Chat")
