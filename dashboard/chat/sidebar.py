"""The left column of the chat page: agent picker, "New conversation", past conversations."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.chat.format import ConversationItem
from dashboard.chat.state import ChatState
from dashboard.shell.forms import confirm_delete, labelled

S: Any = ChatState  # class attributes are Vars at render time

MUTED = "var(--gray-11)"


def _delete_dialog(conv: ConversationItem) -> rx.Component:
    return confirm_delete(
        rx.icon_button(
            rx.icon("trash_2", size=14),
            variant="ghost",
            color_scheme="gray",
            size="1",
            aria_label="Delete conversation " + conv.title,
            disabled=S.streaming,
        ),
        "Delete conversation?",
        rx.text("“", conv.title, "” and all its messages will be deleted. This cannot be undone."),
        S.delete_conversation(conv.id),
    )


def _conversation_row(conv: ConversationItem) -> rx.Component:
    active = conv.id == S.conversation_id
    return rx.hstack(
        rx.button(
            rx.vstack(
                rx.text(conv.title, size="2", weight="medium", truncate=True, width="100%", text_align="left"),
                rx.text(conv.date, size="1", color=MUTED),
                spacing="0",
                align="start",
                width="100%",
                min_width="0",
            ),
            variant=rx.cond(active, "soft", "ghost"),
            color_scheme=rx.cond(active, "indigo", "gray"),
            on_click=S.open_conversation(conv.id),
            disabled=S.streaming,
            aria_current=rx.cond(active, "true", "false"),
            height="auto",
            padding="6px 8px",
            margin="0",
            flex="1",
            min_width="0",
            justify="start",
        ),
        rx.cond(~S.agent_id.startswith("listing:"), _delete_dialog(conv)),  # no delete for subscriptions yet
        align="center",
        spacing="1",
        width="100%",
        class_name="chat-conversation",
    )


def conversation_column() -> rx.Component:
    """Agent picker, "New conversation" and the past conversations of the selected agent."""
    picker = rx.select.root(
        rx.select.trigger(id="agent", width="100%"),
        rx.select.content(rx.foreach(S.agents, lambda a: rx.select.item(a.avatar + " " + a.name, value=a.id))),
        value=S.agent_id,
        on_change=S.select_agent,
        disabled=S.streaming,
    )
    return rx.vstack(
        labelled("Agent", picker, "agent"),
        rx.button(
            rx.icon("plus", size=16),
            "New conversation",
            on_click=S.new_conversation,
            disabled=S.streaming,
            variant="outline",
            width="100%",
        ),
        rx.heading("Conversations", size="2", as_="h2", color=MUTED, padding_top="8px"),
        rx.cond(
            S.conversations.length() == 0,
            rx.text("No conversations yet — send a message to start one.", size="2", color=MUTED),
            rx.scroll_area(
                rx.vstack(rx.foreach(S.conversations, _conversation_row), spacing="1", width="100%"),
                type="auto",
                scrollbars="vertical",
                style={"flex": "1", "minHeight": "0"},
            ),
        ),
        width="260px",
        min_width="260px",
        height="100%",
        spacing="3",
        padding_right="16px",
        border_right="1px solid var(--gray-5)",
    )
