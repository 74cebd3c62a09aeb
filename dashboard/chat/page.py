"""``/chat``: pick an agent and chat with it; replies stream in token by token.

``/chat?agent=<id>`` preselects an agent and ``/chat?c=<conversation id>`` opens a conversation.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.chat.components import composer, message_list
from dashboard.chat.forget import forget_button, forget_notice
from dashboard.chat.sidebar import conversation_column
from dashboard.chat.state import ChatState
from dashboard.shell.forms import banner
from dashboard.shell.layout import loaded_for_this_visit, page

S: Any = ChatState  # class attributes are Vars at render time

__all__ = ["ChatState", "chat_page"]


def _no_agents() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.text("🤖", size="9", aria_hidden="true"),
            rx.heading("No agents yet", size="5", as_="h2"),
            rx.text("Create an agent first, then come back here to chat with it.", color="var(--gray-11)"),
            rx.link(rx.button("Create an agent"), href="/agents"),
            align="center",
            spacing="3",
        ),
        width="100%",
        padding="64px 0",
    )


def _chat() -> rx.Component:
    header = rx.hstack(
        rx.text(S.agent_avatar, size="5", aria_hidden="true"),
        rx.heading(S.agent_name, size="4", as_="h2"),
        rx.text(S.conversation_info, size="2", color="var(--gray-11)"),
        rx.spacer(),
        rx.cond(
            (S.conversation_id != "") & ~S.agent_id.startswith("listing:"),
            forget_button(S.conversation_id, S.streaming),
        ),
        align="center",
        spacing="2",
        width="100%",
        padding_bottom="8px",
        border_bottom="1px solid var(--gray-4)",
    )
    main = rx.vstack(
        header,
        forget_notice(S.conversation_id),
        message_list(),
        banner(S.error),
        rx.cond(
            (S.fix_url != "") & (S.error != ""),
            rx.link(rx.button(S.fix_label, size="2"), href=S.fix_url, class_name="chat-fix"),
        ),
        composer(),
        spacing="3",
        height="100%",
        min_width="0",
        flex="1",
    )
    return rx.hstack(
        conversation_column(),
        main,
        spacing="4",
        width="100%",
        height="calc(100vh - 112px)",
        min_height="480px",
        align="stretch",
    )


def _address_bar() -> rx.Component:
    """Keeps the address bar on what is shown: ``?c=<conversation>``, or ``?agent=<agent>`` for a
    new conversation. The key re-mounts the inner box whenever either changes (in the same
    render as the state update), and its ``on_mount`` replaces the URL (no navigation)."""
    query = rx.cond(S.conversation_id != "", "c=" + S.conversation_id, "agent=" + S.agent_id)
    script = "window.history.replaceState(window.history.state, '', window.location.pathname + '?" + query + "')"
    return rx.box(
        rx.box(on_mount=rx.call_script(script)),
        key=S.agent_id + "/" + S.conversation_id,
        display="none",
    )


def chat_page() -> rx.Component:
    """``/chat``: conversations on the left, the open conversation and the composer on the right.

    Nothing of the chat shows until this visit's ``load`` has run: a previous conversation
    never flashes, and no message can be typed into it.
    """
    return page(
        "Chat",
        rx.cond(
            loaded_for_this_visit(S.loaded),
            rx.cond(S.agents.length() == 0, _no_agents(), rx.fragment(_address_bar(), _chat())),
            rx.center(
                rx.spinner(size="3"), width="100%", padding="64px 0", role="status", aria_label="Loading the chat"
            ),
        ),
    )
