""" "Forget this conversation" on the chat page: delete the long-term memories made in it.

The messages stay; only what the agent remembered from this conversation (for later
conversations) is deleted, through :func:`backend.memory.conversation.forget_conversation`.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.accounts.actor import NotFound, PermissionDenied
from backend.memory.conversation import forget_conversation
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session


class ForgetState(rx.State):
    """The outcome of the last "Forget" (shown only while that conversation is open)."""

    forgotten_id: str = ""
    message: str = ""
    failed: bool = False

    @rx.event
    async def forget(self, conversation_id: str):  # type: ignore[no-untyped-def]
        """Delete the memories made in ``conversation_id`` (after the confirmation dialog)."""
        actor = await signed_in(self)
        self.forgotten_id = conversation_id
        try:
            await in_session(lambda s: forget_conversation(actor=actor, conversation_id=conversation_id, session=s))
        except (NotFound, PermissionDenied):
            self.failed, self.message = True, "That conversation was not found. It may have been deleted."
            return None
        self.failed = False
        self.message = "Forgotten: the agent no longer remembers this conversation in other conversations."
        return None


F: Any = ForgetState


def forget_button(conversation_id: Any, disabled: Any) -> rx.Component:
    """The header's "Forget this conversation" button with its confirmation dialog.

    Args:
        conversation_id: Var of the open conversation's id.
        disabled: Var, true while a reply streams.
    """
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                rx.icon("brain", size=14),
                "Forget this conversation",
                variant="ghost",
                color_scheme="gray",
                size="1",
                disabled=disabled,
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Forget this conversation?"),
            rx.alert_dialog.description(
                "The agent will no longer remember what was said here when you talk to it again. "
                "The messages stay in this list.",
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Forget", color_scheme="red", on_click=F.forget(conversation_id))),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="440px",
        ),
    )


def forget_notice(conversation_id: Any) -> rx.Component:
    """What the last "Forget" did, while its conversation is open."""
    return rx.cond(
        (F.forgotten_id == conversation_id) & (F.message != ""),
        rx.callout.root(
            rx.callout.icon(rx.cond(F.failed, rx.icon("triangle_alert", size=14), rx.icon("check", size=14))),
            rx.callout.text(F.message),
            color_scheme=rx.cond(F.failed, "red", "green"),
            role="status",
            size="1",
            width="100%",
        ),
    )
