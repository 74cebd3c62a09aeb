"""Pieces of the chat page: message bubbles, the streamed reply, the empty state, the composer."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.runtime.run import MAX_USER_MESSAGE_CHARS
from dashboard.chat.citations import sources_list
from dashboard.chat.format import ChatMessage
from dashboard.chat.plan_view import live_plan, message_plan
from dashboard.chat.state import ChatState
from dashboard.chat.steps_view import live_steps, message_steps
from dashboard.shell.forms import labelled
from dashboard.shell.markdown import safe_markdown

S: Any = ChatState  # class attributes are Vars at render time

MUTED = "var(--gray-11)"


# ---------------------------------------------------------------------- messages
def _avatar(avatar: rx.Var | str) -> rx.Component:
    return rx.center(
        rx.text(avatar, size="4"),
        width="32px",
        height="32px",
        min_width="32px",
        border_radius="50%",
        background="var(--gray-3)",
        aria_hidden="true",
    )


def _reply_box(content: rx.Var | str) -> rx.Component:
    return rx.box(
        safe_markdown(content),
        padding="2px 14px",
        border_radius="12px",
        background="var(--gray-2)",
        border="1px solid var(--gray-4)",
        max_width="100%",
        overflow_x="auto",
        class_name="chat-reply",
    )


def _user_bubble(msg: ChatMessage) -> rx.Component:
    return rx.hstack(
        rx.box(
            rx.text(msg.content, white_space="pre-wrap", size="3"),
            padding="8px 14px",
            border_radius="12px",
            background="var(--accent-4)",
            max_width="80%",
            class_name="chat-msg-user",
        ),
        justify="end",
        width="100%",
    )


def _failure(msg: ChatMessage) -> rx.Component:
    """Why a reply failed; rate limits and budgets say so up front and link to the agent's limits."""
    title = rx.match(
        msg.error_kind,
        ("rate_limit", "Rate limit reached: "),
        ("budget", "Budget reached: "),
        "The reply failed. ",
    )
    limits_link = rx.cond(
        (msg.error_kind != "") & ~S.agent_id.startswith("listing:"),  # a subscription's limits are the publisher's
        rx.link("See this agent's limits", href="/agents/" + S.agent_id + "?tab=limits", size="2"),
    )
    icon = rx.match(
        msg.error_kind,
        ("rate_limit", rx.icon("timer", size=16)),
        ("budget", rx.icon("wallet", size=16)),
        rx.icon("triangle_alert", size=16),
    )
    return rx.callout.root(
        rx.callout.icon(icon),
        rx.vstack(rx.text(rx.text.strong(title), msg.error, size="2"), limits_link, spacing="1"),
        color_scheme=rx.cond(msg.error_kind != "", "amber", "red"),
        role="alert",
        width="100%",
        class_name="chat-error",
    )


def _assistant_block(msg: ChatMessage) -> rx.Component:
    return rx.hstack(
        _avatar(S.agent_avatar),
        rx.vstack(
            message_plan(msg.id),
            message_steps(msg.id),
            rx.cond(msg.content != "", _reply_box(msg.content)),
            sources_list(msg.citations),
            rx.cond(msg.status == "failed", _failure(msg)),
            rx.cond(
                msg.status == "cancelled",
                rx.text(
                    rx.cond(
                        msg.content != "", "Stopped — the partial answer is kept.", "Stopped before any answer arrived."
                    ),
                    size="1",
                    color="var(--amber-11)",
                ),
            ),
            rx.cond(msg.meta != "", rx.text(msg.meta, size="1", color=MUTED, class_name="chat-figures")),
            rx.cond(
                msg.fallback != "",
                rx.hstack(
                    rx.icon("shuffle", size=12, aria_hidden="true", flex_shrink="0", margin_top="3px"),
                    rx.text(msg.fallback, size="1"),
                    spacing="1",
                    align="start",
                    color="var(--amber-11)",
                    class_name="chat-fallback",
                ),
            ),
            rx.cond(msg.note != "", rx.text(msg.note, size="1", color=MUTED, font_style="italic")),
            spacing="1",
            align="start",
            max_width="88%",
            min_width="0",
        ),
        align="start",
        width="100%",
        class_name="chat-msg-assistant",
    )


def _message(msg: ChatMessage) -> rx.Component:
    return rx.cond(msg.role == "user", _user_bubble(msg), _assistant_block(msg))


def _streaming_block() -> rx.Component:
    return rx.hstack(
        _avatar(S.agent_avatar),
        rx.cond(
            S.stream_text != "",
            rx.vstack(
                rx.box(_reply_box(S.stream_text), id="stream-reply", max_width="100%"),
                sources_list(S.stream_citations),
                rx.hstack(rx.spinner(size="1"), rx.text("Replying…", size="1", color=MUTED), align="center"),
                spacing="1",
                align="start",
                max_width="88%",
                min_width="0",
            ),
            rx.hstack(rx.spinner(size="2"), rx.text("Thinking…", size="2", color=MUTED), align="center", height="32px"),
        ),
        align="start",
        width="100%",
    )


def _empty_conversation() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.text(S.agent_avatar, size="9", aria_hidden="true"),
            rx.heading(S.agent_name, size="5", as_="h2"),
            rx.text(S.conversation_info, size="2", color=MUTED),
            rx.cond(
                S.starters.length() > 0,
                rx.vstack(
                    rx.text("Try one of these:", size="2", color=MUTED),
                    rx.flex(
                        rx.foreach(
                            S.starters,
                            lambda s: rx.button(
                                s,
                                variant="outline",
                                size="2",
                                on_click=S.send_starter(s),
                                class_name="chat-starter",
                                white_space="normal",
                                height="auto",
                                padding="6px 12px",
                            ),
                        ),
                        wrap="wrap",
                        gap="8px",
                        justify="center",
                    ),
                    align="center",
                    spacing="2",
                ),
                rx.text("Send a message to start the conversation.", size="2", color=MUTED),
            ),
            align="center",
            spacing="2",
            max_width="560px",
        ),
        width="100%",
        min_height="100%",
        padding="24px",
    )


def message_list() -> rx.Component:
    """The messages (newest at the bottom, kept in view), or the starters of an empty conversation."""
    content = rx.cond(
        (S.messages.length() == 0) & ~S.streaming,
        _empty_conversation(),
        rx.vstack(
            rx.foreach(S.messages, _message),
            live_plan(),
            live_steps(),
            rx.cond(S.streaming, _streaming_block()),
            spacing="4",
            width="100%",
            padding="8px 4px 8px 0",
        ),
    )
    # column-reverse keeps the scroll position pinned to the newest message while text streams in
    return rx.box(
        rx.box(content, width="100%", min_height="100%", flex_shrink="0"),
        id="chat-messages",
        aria_label="Conversation",
        # a live region: screen readers read what is added (the finished reply, not every token:
        # the log is busy while a reply streams, and announced once it is stored)
        role="log",
        aria_live="polite",
        aria_relevant="additions text",
        aria_busy=rx.cond(S.streaming, "true", "false"),
        width="100%",
        style={
            "flex": "1",
            "minHeight": "0",
            "overflowY": "auto",
            "display": "flex",
            "flexDirection": "column-reverse",
        },
    )


# ---------------------------------------------------------------------- composer
def composer() -> rx.Component:
    """A "Message" box (Enter sends, Shift+Enter adds a line), Send, and Stop while a reply streams."""
    box = rx.text_area(
        id="message",
        name="message",
        placeholder="Ask " + S.agent_name + " something…",
        enter_key_submit=True,
        disabled=S.streaming,
        rows="3",
        resize="vertical",
        width="100%",
        # one past the limit: a longer paste is cut here, and sending it shows the limit's message
        max_length=MAX_USER_MESSAGE_CHARS + 1,
    )
    return rx.form(
        rx.vstack(
            # the conversation shown when sending: the message only goes into that one
            rx.el.input(type="hidden", name="conversation", value=S.conversation_id),
            labelled("Message", box, "message"),
            rx.hstack(
                rx.text(
                    f"Enter sends · Shift+Enter adds a line · up to {MAX_USER_MESSAGE_CHARS:,} characters",
                    size="1",
                    color=MUTED,
                ),
                rx.spacer(),
                rx.cond(
                    S.streaming,
                    rx.button(
                        rx.icon("square", size=14),
                        "Stop",
                        type="button",
                        on_click=S.stop,
                        color_scheme="red",
                        variant="soft",
                        loading=S.stopping,
                    ),
                ),
                rx.button(rx.icon("send", size=14), "Send", type="submit", disabled=S.streaming),
                align="center",
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=S.send,
        reset_on_submit=True,
        width="100%",
    )
