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
from sqlmodel import Session

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.accounts.principal import RunPrincipal, principal_for_member
from backend.agents.service import get_blueprint, list_agents
from backend.chat.principal import create_conversation_for
from backend.chat.service import (
    ConversationPublic,
    delete_conversation,
    get_conversation,
    list_conversations,
)
from backend.runtime.events import RunEvent
from backend.runtime.run import MAX_USER_MESSAGE_CHARS, RunRejected, run_agent
from dashboard.chat import subscribed
from dashboard.chat.format import AgentOption, ChatMessage, CitationItem, ConversationItem, conversation_item
from dashboard.chat.streaming import pump, set_url
from dashboard.chat.subscribed import load_messages  # own agents' and subscribed agents' conversations
from dashboard.shell.auth import require_actor, signed_in
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


def _conversations_and_messages(
    actor: Actor, agent_id: str, conversation_id: str, session: Session
) -> tuple[list[ConversationPublic], list[ChatMessage] | None]:
    """An agent's conversations and, if one is open, its stored messages (after a reply)."""
    convs = subscribed.conversations(actor, agent_id, session)
    return convs, load_messages(actor, conversation_id, session) if conversation_id else None


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
        actor = await require_actor(self)
        if actor is None:
            return None
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
        return set_url(f"agent={agent_id}")

    @rx.event
    async def new_conversation(self):  # type: ignore[no-untyped-def]
        """Start an empty conversation with the selected agent (stored on the first message)."""
        await signed_in(self)
        if self.streaming:
            return None
        self.error = ""
        self._reset_conversation()
        return [set_url(f"agent={self.agent_id}"), rx.set_focus("message")]

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
        return set_url(f"c={conversation_id}")

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
            return set_url(f"agent={self.agent_id}")
        return None

    # ----------------------------------------------------------------- sending
    def _begin(self, text: str):  # type: ignore[no-untyped-def]
        text = text.strip()
        if self.streaming or not self.agent_id:
            return None
        if not text:
            self.error = "Type a message first."
            return None
        if len(text) > MAX_USER_MESSAGE_CHARS:
            self.error = f"Messages are at most {MAX_USER_MESSAGE_CHARS:,} characters."
            return rx.set_value("message", text)
        self.error, self.stream_text, self.stream_citations = "", "", []
        self.streaming, self.stopping, self._stop_requested = True, False, False
        self.messages = [*self.messages, ChatMessage(id="pending", role="user", content=text)]
        return cast(Any, ChatState).stream_reply(text)

    @rx.event
    def send(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Composer submit (Send button or Enter): start a reply to the typed message."""
        return self._begin(str(form.get("message", "")))

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
        """Run the agent and stream its reply into the page, then reload the stored messages."""
        async with self:
            actor = await require_actor(self)
            conv_id, agent_id = self.conversation_id, self.agent_id
            if actor is None:
                self.streaming = False
        if actor is None:
            yield rx.redirect("/signin")
            return
        error = ""
        try:
            def edge(session: Session) -> tuple[RunPrincipal, str | None]:  # who this run is for, resolved once
                if subscribed.is_subscribed(agent_id):
                    return subscribed.edge(actor, agent_id, conv_id, session)
                principal = principal_for_member(actor, agent_id, session)
                new = None if conv_id else create_conversation_for(principal=principal, session=session).id
                return principal, new

            principal, new_conv = await in_session(edge)
            if new_conv is not None:
                conv_id = new_conv
                async with self:
                    self.conversation_id = conv_id
                yield set_url(f"c={conv_id}")
            gen = cast(
                AsyncGenerator[RunEvent, None], run_agent(principal=principal, conversation_id=conv_id, user_text=text)
            )
            await pump(self, gen, actor, agent_id)
        except RunRejected as exc:
            error = str(exc)
        except (NotFound, PermissionDenied):
            error = "This agent or conversation no longer exists."
        except Exception as exc:  # never leave the page stuck in "streaming"
            log.exception("chat reply failed")
            error = f"Something went wrong: {type(exc).__name__}. Your message was kept if it was sent."
        rows: list[ChatMessage] | None = None
        convs: list[ConversationPublic] | None = None
        try:
            convs, rows = await in_session(lambda s: _conversations_and_messages(actor, agent_id, conv_id, s))
        except Exception:  # the agent or conversation went away meanwhile: keep what is shown
            log.exception("reloading the conversation failed")
        async with self:
            if rows is not None and self.conversation_id == conv_id:
                self.messages = rows
            if convs is not None and self.agent_id == agent_id:
                self.conversations = [conversation_item(c) for c in convs]
            self.error, self.stream_text, self.stream_citations = error, "", []
            self.streaming = self.stopping = self._stop_requested = False
        yield rx.set_focus("message")
