""" "Try it" on a listing's page: a few free runs per visitor, the reply streamed in.

A signed-out visitor is known by a random id kept in the browser's localStorage (and by IP);
signed-in users by their account. ``marketplace.trial`` counts the tries (``limits``) and keeps
the try conversation the visitor's own; the page never sees the agent's instructions.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any, cast

import reflex as rx
from sqlmodel import Session

from backend.accounts.actor import NotFound
from backend.accounts.principal import RunPrincipal
from backend.runtime.events import RunFailed, TextDelta
from backend.runtime.run import MAX_USER_MESSAGE_CHARS, RunRejected, run_agent
from dashboard.shell.auth import require_actor
from dashboard.shell.db import in_session
from dashboard.shell.forms import banner, labelled
from dashboard.shell.markdown import safe_markdown
from marketplace.errors import MarketplaceError
from marketplace.pages.rows import MessageRow, message_row
from marketplace.trial import Visitor, start_trial, trial_messages, trial_principal, tries_left

log = logging.getLogger(__name__)
FLUSH_S = 0.05


def _edge(listing_id: str, visitor: Visitor, conv_id: str, session: Session) -> tuple[RunPrincipal, str]:
    """Count one try and open the try conversation on the first message."""
    principal = trial_principal(listing_id=listing_id, visitor=visitor, session=session)
    if not conv_id:
        conv_id = start_trial(listing_id=listing_id, visitor=visitor, session=session).id
    return principal, conv_id


class TrialState(rx.State):
    """The Try-it panel of a listing's page."""

    browser_id: str = rx.LocalStorage("", name="agenthub_visitor")
    listing_id: str = ""
    conversation_id: str = ""
    messages: list[MessageRow] = []
    stream_text: str = ""
    streaming: bool = False
    left: int = -1
    error: str = ""

    async def _visitor(self) -> Visitor:
        actor = await require_actor(self)
        if len(self.browser_id) < 16:
            self.browser_id = uuid.uuid4().hex
        ip = self.router.session.client_ip or None
        return Visitor(self.browser_id, ip, actor.user_id if actor else None)

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load`` of the listing page: a fresh panel and the visitor's tries left."""
        if self.streaming:
            return
        self.listing_id, self.conversation_id, self.messages, self.stream_text, self.error = "", "", [], "", ""
        self.left = -1

    @rx.event
    async def open(self, listing_id: str):  # type: ignore[no-untyped-def]
        """Show the panel for ``listing_id`` and how many tries are left."""
        visitor = await self._visitor()
        self.listing_id = listing_id
        self.left = await asyncio.to_thread(lambda: tries_left(listing_id=listing_id, visitor=visitor))
        return rx.set_focus("try-message")

    @rx.event
    def send(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Send the typed message as one try."""
        text = str(form.get("try-message", "") or "").strip()
        if self.streaming or not self.listing_id:
            return None
        if not text or len(text) > MAX_USER_MESSAGE_CHARS:
            self.error = (
                "Type a message first." if not text else f"Messages are at most {MAX_USER_MESSAGE_CHARS:,} characters."
            )
            return None
        self.error, self.stream_text, self.streaming = "", "", True
        self.messages = [*self.messages, MessageRow("pending", "user", text)]
        return [rx.set_value("try-message", ""), cast(Any, TrialState).stream(text)]

    @rx.event(background=True)
    async def stream(self, text: str):  # type: ignore[no-untyped-def]
        """Run one try and stream its reply; then reload the stored messages and tries left."""
        async with self:
            visitor, listing_id, conv_id = await self._visitor(), self.listing_id, self.conversation_id
        error = ""
        try:
            principal, conv_id = await in_session(lambda s: _edge(listing_id, visitor, conv_id, s))
            async with self:
                self.conversation_id = conv_id
            error = await self._pump(principal, conv_id, text)
        except (MarketplaceError, RunRejected, ValueError, NotFound) as exc:
            error = str(exc)
        except Exception as exc:  # never leave the panel stuck
            log.exception("trial reply failed")
            error = f"Something went wrong: {type(exc).__name__}."
        rows: list[MessageRow] | None = None
        if conv_id:
            try:
                found = await in_session(
                    lambda s: trial_messages(listing_id=listing_id, visitor=visitor, conversation_id=conv_id, session=s)
                )
                rows = [message_row(m) for m in found]
            except Exception:
                log.exception("reloading the try conversation failed")
        left = await asyncio.to_thread(lambda: tries_left(listing_id=listing_id, visitor=visitor))
        async with self:
            if rows is not None:
                self.messages = rows
            elif self.messages and self.messages[-1].id == "pending":
                self.messages = self.messages[:-1]
            self.error, self.stream_text, self.streaming, self.left = error, "", False, left

    async def _pump(self, principal: RunPrincipal, conv_id: str, text: str) -> str:
        """Stream the run's text into ``stream_text`` (batched); the run's failure sentence, if any."""
        buffer: list[str] = []
        failed, last = "", time.monotonic()
        gen = run_agent(principal=principal, conversation_id=conv_id, user_text=text)
        try:
            async for event in gen:
                if isinstance(event, TextDelta):
                    buffer.append(event.text)
                elif isinstance(event, RunFailed):
                    failed = "The agent could not finish this answer."
                if buffer and time.monotonic() - last >= FLUSH_S:
                    last = time.monotonic()
                    async with self:
                        self.stream_text += "".join(buffer)
                    buffer.clear()
        finally:
            await gen.aclose()
        return failed


T: Any = TrialState


def _message(msg: MessageRow) -> rx.Component:
    return rx.cond(
        msg.role == "user",
        rx.box(
            rx.text(msg.content, white_space="pre-wrap"),
            background="var(--accent-4)",
            padding="6px 12px",
            border_radius="10px",
            align_self="end",
            max_width="80%",
        ),
        rx.box(
            safe_markdown(msg.content),
            rx.cond(msg.error != "", rx.text(msg.error, color="var(--red-11)", size="2")),
            background="var(--gray-2)",
            border="1px solid var(--gray-4)",
            padding="2px 12px",
            border_radius="10px",
            class_name="try-reply",
        ),
    )


def trial_panel(listing_id: Any) -> rx.Component:
    """The "Try it" section: a button that opens a small chat, the tries left, the streamed reply."""
    chat = rx.vstack(
        rx.vstack(rx.foreach(T.messages, _message), width="100%", spacing="2"),
        rx.cond(
            T.streaming,
            rx.box(
                rx.cond(
                    T.stream_text != "", safe_markdown(T.stream_text), rx.spinner(aria_label="Waiting for the reply")
                ),
                id="try-stream",
                aria_live="polite",
                padding="2px 12px",
                border="1px dashed var(--gray-6)",
                border_radius="10px",
            ),
        ),
        banner(T.error),
        rx.form(
            rx.hstack(
                rx.box(
                    labelled(
                        "Message to try",
                        rx.input(id="try-message", name="try-message", disabled=T.streaming),
                        "try-message",
                    ),
                    flex="1",
                ),
                rx.button("Send", type="submit", loading=T.streaming, disabled=T.left == 0),
                align="end",
                width="100%",
            ),
            on_submit=T.send,
            width="100%",
        ),
        rx.text(
            rx.cond(T.left == 0, "No free tries left.", T.left.to_string() + " free tries left"),
            size="2",
            color="var(--gray-11)",
            id="tries-left",
            aria_live="polite",
        ),
        width="100%",
        spacing="3",
    )
    return rx.vstack(
        rx.heading("Try it", size="4", as_="h2"),
        rx.cond(
            T.listing_id == listing_id,
            chat,
            rx.button(rx.icon("play", size=16), "Try it free", on_click=T.open(listing_id), variant="outline"),
        ),
        width="100%",
        spacing="2",
        padding="16px",
        border="1px solid var(--gray-5)",
        border_radius="10px",
        class_name="try-panel",
    )
