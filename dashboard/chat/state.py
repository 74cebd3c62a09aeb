"""State of the chat page: the agent picker, past conversations, messages and the streamed reply.

Only plain data lives in state (dataclasses, strings, numbers). Database work runs in worker
threads (``dashboard.shell.db.in_session``), never on the event loop every user shares. The run generator stays local to
the background handler :meth:`ChatState.stream_reply`; figures under each reply are reloaded from
the database when a run ends, so what the page shows is what was stored.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import Any, cast

import reflex as rx
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.accounts.principal import RunPrincipal, principal_for_member
from backend.agents.service import get_blueprint, list_agents
from backend.chat.principal import create_conversation_for
from backend.chat.service import delete_conversation, get_conversation, list_conversations
from backend.runtime.events import RunEvent
from backend.runtime.run import MAX_USER_MESSAGE_CHARS, RunRejected, run_agent
from dashboard.chat import subscribed
from dashboard.chat.format import AgentOption, ChatMessage, CitationItem, ConversationItem, conversation_item
from dashboard.chat.streaming import stream_run
from dashboard.chat.subscribed import load_messages  # own agents' and subscribed agents' conversations
from dashboard.shell.auth import SignedOut, actor_for_token, cookie_token, signed_in
from dashboard.shell.db import in_session

log = logging.getLogger(__name__)


def _agents_and_owner(actor: Actor, conversation_id: str, session: Session) -> tuple[list[Any], str | None]:
    """The actor's agents and the agent of ``conversation_id`` (None when it is not theirs)."""
    agents = list_agents(actor=actor, session=session)
    if not conversation_id:
        return agents, ""
    try:
        return agents, get_conversation(actor=actor, conversation_id=conversation_id, session=session).agent_id
    except (NotFound, PermissionDenied):
        return agents, subscribed.listing_of(actor, conversation_id, session)


class ChatState(rx.State):
    """The chat page."""

    agents: list[AgentOption] = []
    agent_id: str = ""
    agent_name: str = ""
    agent_avatar: str = ""
    agent_model: str = ""
    starters: list[str] = []
    conversations: list[ConversationItem] = []
    conversation_id: str = ""
    messages: list[ChatMessage] = []
    stream_text: str = ""
    stream_citations: list[CitationItem] = []
    streaming: bool = False
    stopping: bool = False
    loaded: bool = False
    error: str = ""
    # Where to fix a refused run of a paid agent (finish checkout, Billing, subscribe again).
    fix_url: str = ""
    fix_label: str = ""
    _stop_requested: bool = False

    @rx.var
    def conversation_info(self) -> str:
        """``"model test-model · blueprint v2"`` of the open conversation (the agent's model if new)."""
        for conv in self.conversations:
            if conv.id == self.conversation_id:
                return f"model {conv.model} · blueprint v{conv.version}"
        return f"model {self.agent_model}" if self.agent_model else ""

    # ------------------------------------------------------------------ loading
    async def _pick_agent(self, actor: Actor, agent_id: str) -> None:
        """Select an agent: its blueprint (name, avatar, starters) and its conversations."""
        if subscribed.is_subscribed(agent_id):  # a marketplace subscription: no blueprint shown
            return await subscribed.pick(self, actor, agent_id)
        blueprint, convs = await in_session(
            lambda s: (
                get_blueprint(actor=actor, agent_id=agent_id, session=s),
                list_conversations(actor=actor, agent_id=agent_id, session=s),
            )
        )
        self.agent_name, self.agent_avatar = blueprint.name, blueprint.avatar
        self.agent_model, self.starters = blueprint.model, list(blueprint.starters)
        self.agent_id = agent_id
        self.conversations = [conversation_item(c) for c in convs]

    def _reset_conversation(self) -> None:
        self.conversation_id = ""
        self.messages = []
        self.stream_text, self.stream_citations = "", []

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: agents, then ``?c=<conversation>`` or ``?agent=<agent>`` (else the first agent)."""
        actor = await signed_in(self)
        if self.streaming:  # a reload during a reply: keep showing the stream
            self.loaded = True
            return None
        params = self.router.url.query_parameters
        want_conv, want_agent = str(params.get("c", "") or ""), str(params.get("agent", "") or "")
        self.error = ""
        agents, conv_agent = await in_session(lambda s: _agents_and_owner(actor, want_conv, s))
        self.agents = [AgentOption(a.id, a.name, a.avatar) for a in agents] + await subscribed.agent_options(actor)
        if want_conv and conv_agent is None:
            self.error = "That conversation was not found. It may have been deleted."
            want_conv = ""
        conv_agent = conv_agent or ""
        ids = [a.id for a in self.agents]
        if not ids:
            self.agent_id, self.conversations, self.loaded = "", [], True
            self._reset_conversation()
            return None
        if conv_agent and conv_agent not in ids:
            self.error = "The agent of that conversation was deleted."
            want_conv = ""
        agent_id = next((a for a in (conv_agent, want_agent, self.agent_id) if a in ids), ids[0])
        await self._pick_agent(actor, agent_id)
        self._reset_conversation()
        if want_conv:
            self.conversation_id = want_conv
            self.messages = await in_session(lambda s: load_messages(actor, want_conv, s))
        self.loaded = True
        return None

    @rx.event
    async def select_agent(self, agent_id: str):  # type: ignore[no-untyped-def]
        """Switch agent: its conversations and a new, empty conversation."""
        actor = await signed_in(self)
        if self.streaming:
            return None
        self.error = ""
        try:
            await self._pick_agent(actor, agent_id)
        except (NotFound, PermissionDenied):
            self.error = "That agent no longer exists."
            return None
        self._reset_conversation()
        return None

    @rx.event
    async def new_conversation(self):  # type: ignore[no-untyped-def]
        """Start an empty conversation with the selected agent (stored on the first message)."""
        await signed_in(self)
        if self.streaming:
            return None
        self.error = ""
        self._reset_conversation()
        return rx.set_focus("message")

    @rx.event
    async def open_conversation(self, conversation_id: str):  # type: ignore[no-untyped-def]
        """Show a past conversation."""
        actor = await signed_in(self)
        if self.streaming:
            return None
        self.error = ""
        try:
            self.messages = await in_session(lambda s: load_messages(actor, conversation_id, s))
        except (NotFound, PermissionDenied):
            self.error = "That conversation was not found. It may have been deleted."
            return None
        self.conversation_id, self.stream_text, self.stream_citations = conversation_id, "", []
        return None

    @rx.event
    async def delete_conversation(self, conversation_id: str):  # type: ignore[no-untyped-def]
        """Delete a past conversation (after the confirmation dialog)."""
        actor = await signed_in(self)
        if self.streaming:
            return None
        self.error = ""
        try:
            await in_session(lambda s: delete_conversation(actor=actor, conversation_id=conversation_id, session=s))
        except (NotFound, PermissionDenied):
            self.error = "That conversation was already deleted."
        self.conversations = [c for c in self.conversations if c.id != conversation_id]
        if conversation_id == self.conversation_id:
            self._reset_conversation()
        return None

    # ----------------------------------------------------------------- sending
    def _refuse(self, text: str, message: str):  # type: ignore[no-untyped-def]
        """Not sent: say why and put the text back in the box (a message is never silently lost)."""
        self.error = message
        return rx.set_value("message", text)

    def _begin(self, text: str, shown: str | None = None):  # type: ignore[no-untyped-def]
        """Start a reply to ``text``; ``shown`` is the conversation the page showed when sending."""
        text = text.strip()
        if not text:
            self.error = "Type a message first."
            return None
        if self.streaming:
            return self._refuse(text, "The reply is still on its way. Your message is back in the box: send it again.")
        if not self.agent_id or not self.loaded:
            return self._refuse(text, "The chat was still loading. Your message is back in the box: send it again.")
        if shown is not None and shown != self.conversation_id:
            return self._refuse(text, "The conversation changed before your message went out. Send it again.")
        if len(text) > MAX_USER_MESSAGE_CHARS:
            return self._refuse(text, f"Messages are at most {MAX_USER_MESSAGE_CHARS:,} characters.")
        self.error, self.stream_text, self.stream_citations = "", "", []
        self.fix_url = self.fix_label = ""
        self.streaming, self.stopping, self._stop_requested = True, False, False
        self.messages = [*self.messages, ChatMessage(id="pending", role="user", content=text)]
        return cast(Any, ChatState).stream_reply(text)

    @rx.event
    def send(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Composer submit (Send button or Enter): start a reply to the typed message.

        The form carries the conversation the page showed (hidden ``conversation`` field): a
        message is only sent into that conversation.
        """
        return self._begin(str(form.get("message", "") or ""), str(form.get("conversation", "") or ""))

    @rx.event
    def send_starter(self, text: str):  # type: ignore[no-untyped-def]
        """A conversation starter was clicked: send it."""
        return self._begin(text)

    @rx.event
    def stop(self) -> None:
        """Stop button: the streaming loop sees the flag and cancels the run."""
        if self.streaming:
            self._stop_requested = True
            self.stopping = True

    @rx.event(background=True)
    async def stream_reply(self, text: str):  # type: ignore[no-untyped-def]
        """Run the agent on ``text`` and stream its reply into the page (``stream_run``).

        A new conversation is stored first and shown as open (the address bar follows it) when
        its run starts, before any token streams, so the next message goes to the same
        conversation.
        """
        try:
            async with self:  # the page's state only: the session is checked with the run's edge below
                token, conv_id, agent_id = cookie_token(self), self.conversation_id, self.agent_id
        except Exception as exc:  # a service outage: say so, never leave the page "Thinking..."
            async with self:
                self.messages = [m for m in self.messages if m.id != "pending"]
                self.streaming = False
                self.error = _send_failure(exc).replace("was kept if it was sent", "was not sent")
            return

        async def open_run() -> tuple[Actor, str, AsyncGenerator[RunEvent, None]]:
            def edge(session: Session) -> tuple[Actor, RunPrincipal, str]:
                # One transaction: who is asking (the session re-validated now) and whom the run is for.
                actor = actor_for_token(token, session)
                if actor is None:
                    raise SignedOut
                if subscribed.is_subscribed(agent_id):
                    principal, started = subscribed.edge(actor, agent_id, conv_id, session)
                    return actor, principal, started or conv_id
                principal = principal_for_member(actor, agent_id, session)
                new = conv_id or create_conversation_for(principal=principal, session=session).id
                return actor, principal, new

            actor, principal, conversation = await in_session(edge)
            gen = run_agent(principal=principal, conversation_id=conversation, user_text=text)
            return actor, conversation, cast(AsyncGenerator[RunEvent, None], gen)

        fix = ["", ""]

        def failure(exc: Exception) -> str:
            if isinstance(exc, subscribed.RefusedWithFix):  # a paid agent billing refuses: link the fix
                fix[:] = [exc.fix_url, exc.fix_label]
            return _send_failure(exc)

        await stream_run(self, agent_id=agent_id, conversation_id=conv_id, open_run=open_run, failure=failure)
        if fix[0]:
            async with self:
                self.fix_url, self.fix_label = fix
        yield rx.set_focus("message")


def _send_failure(exc: Exception) -> str:
    """What the chat says when a reply could not be produced."""
    if isinstance(exc, RunRejected):
        return str(exc)
    if isinstance(exc, (NotFound, PermissionDenied)):
        return "This agent or conversation no longer exists."
    if isinstance(exc, OperationalError):  # the database is unreachable (restarting, network)
        log.error("chat reply failed: database unavailable (%s)", type(exc.orig).__name__)
        return "The service is unavailable right now; try again in a moment. Your message was kept if it was sent."
    log.error("chat reply failed", exc_info=exc)
    return f"Something went wrong: {type(exc).__name__}. Your message was kept if it was sent."
