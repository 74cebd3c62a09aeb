"""The builder's live preview: a small chat with the agent's **draft**, beside the configuration.

The first message opens a preview conversation pinned to the draft
(``backend.agents.drafts.open_preview``); every reply runs whatever the draft holds at that
moment, as the signed-in member of the owner workspace (``principal_for_member``: charged to
that workspace, never to a subscriber). The run records the draft as its blueprint ("draft").
The reply streams from a background handler in short ``async with self`` blocks.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import AsyncGenerator
from typing import Any, cast

import reflex as rx
from sqlmodel import Session

from backend.accounts.actor import NotFound, PermissionDenied
from backend.accounts.principal import RunPrincipal, principal_for_member
from backend.agents.drafts import open_preview
from backend.runtime.events import ApprovalRequired, RunEvent, RunFailed, TextDelta
from backend.runtime.run import MAX_USER_MESSAGE_CHARS, RunRejected, run_agent
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session

log = logging.getLogger(__name__)
FLUSH_S = 0.05  # send streamed text to the browser at most ~20 times a second


@dataclasses.dataclass
class PreviewMessage:
    """One bubble of the preview (``role``: ``user`` or ``assistant``)."""

    role: str = "user"
    content: str = ""


class PreviewState(rx.State):
    """The preview chat of the agent open in the builder."""

    agent_id: str = ""
    conversation_id: str = ""
    messages: list[PreviewMessage] = []
    stream_text: str = ""
    streaming: bool = False
    error: str = ""
    open_narrow: bool = False  # on narrow screens the preview folds under a button

    @rx.event
    def reset_for(self, agent_id: str) -> None:
        """``on_mount`` of the pane: a fresh preview when the builder shows another agent."""
        if self.agent_id == agent_id:
            return
        self.agent_id, self.conversation_id, self.messages = agent_id, "", []
        self.stream_text, self.error = "", ""

    @rx.event
    def restart(self) -> None:
        """ "New preview": forget the preview conversation; the next message starts another."""
        if not self.streaming:
            self.conversation_id, self.messages, self.stream_text, self.error = "", [], "", ""

    @rx.event
    def toggle_narrow(self) -> None:
        """Show or hide the folded preview (narrow screens)."""
        self.open_narrow = not self.open_narrow

    @rx.event
    async def send(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """The preview's composer: start a reply to the typed message."""
        await signed_in(self)
        text = str(form.get("preview_message", "") or "").strip()
        if self.streaming or not self.agent_id:
            return None
        if not text or len(text) > MAX_USER_MESSAGE_CHARS:
            self.error = "Type a message first." if not text else "That message is too long."
            return None
        self.error, self.stream_text, self.streaming = "", "", True
        self.messages = [*self.messages, PreviewMessage("user", text)]
        return [rx.set_value("preview_message", ""), cast(Any, PreviewState).stream(text)]

    @rx.event(background=True)
    async def stream(self, text: str):  # type: ignore[no-untyped-def]
        """Run the draft on ``text`` and stream the reply into the pane."""
        async with self:
            actor = await signed_in(self)
            agent_id, conv_id = self.agent_id, self.conversation_id
        error, reply = "", ""
        try:

            def edge(session: Session) -> tuple[RunPrincipal, str]:
                principal = principal_for_member(actor, agent_id, session)
                return principal, conv_id or open_preview(actor=actor, agent_id=agent_id, session=session)

            principal, conv_id = await in_session(edge)
            async with self:
                self.conversation_id = conv_id
            gen = cast(
                AsyncGenerator[RunEvent, None], run_agent(principal=principal, conversation_id=conv_id, user_text=text)
            )
            reply, error = await self._pump(gen)
        except RunRejected as exc:
            error = str(exc)
        except (NotFound, PermissionDenied):
            error = "This agent no longer exists, or you were signed out."
        except Exception as exc:  # never leave the pane stuck in "streaming"
            log.exception("preview reply failed")
            error = f"Something went wrong: {type(exc).__name__}."
        async with self:
            if reply:
                self.messages = [*self.messages, PreviewMessage("assistant", reply)]
            self.stream_text, self.error, self.streaming = "", error, False

    async def _pump(self, gen: AsyncGenerator[RunEvent, None]) -> tuple[str, str]:
        """Consume the run's events; returns the whole reply and the failure message, if any."""
        parts: list[str] = []
        error, last = "", time.monotonic()
        try:
            async for event in gen:
                if isinstance(event, TextDelta):
                    parts.append(event.text)
                elif isinstance(event, RunFailed):
                    error = event.message
                elif isinstance(event, ApprovalRequired):
                    error = (
                        f"“{event.title}” needs approval, which the preview cannot give: the reply stopped here. "
                        "Try tools that need approval in the chat after saving a version."
                    )
                if parts and time.monotonic() - last >= FLUSH_S:
                    last = time.monotonic()
                    async with self:
                        self.stream_text = "".join(parts)
        finally:
            await gen.aclose()
        return "".join(parts), error
