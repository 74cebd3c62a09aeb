"""Cited sources under an answer: loading them with the messages, and showing them.

While a reply streams, the run's ``Citation`` events are shown under it; a stored conversation
gets its citations from :func:`backend.runtime.grounding.list_citations`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import reflex as rx
from sqlmodel import Session

from backend.accounts.actor import Actor
from backend.chat.service import get_messages
from backend.runtime.grounding import list_citations
from dashboard.chat.format import ChatMessage, CitationItem, message_item

MUTED = "var(--gray-11)"


class _Cited(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def source_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def snippet(self) -> str: ...
    @property
    def label(self) -> str: ...


def citation_item(c: _Cited) -> CitationItem:
    """The chat's view of a citation (a ``Citation`` event or a stored ``CitationPublic``)."""
    title = c.title or ("Earlier conversation" if c.kind == "memory" else "Untitled source")
    label = f"{title} · {c.location}" if c.location else title
    if c.label:
        label = f"[{c.label}] {label}"
    return CitationItem(kind=c.kind, source_id=c.source_id, label=label, snippet=c.snippet)


def citation_items(cited: Iterable[_Cited]) -> list[CitationItem]:
    """Several citations, in order."""
    return [citation_item(c) for c in cited]


def load_messages(actor: Actor, conversation_id: str, session: Session) -> list[ChatMessage]:
    """A conversation's messages as shown, each answer with its cited sources.

    Raises:
        NotFound: not the actor's conversation. PermissionDenied.
    """
    rows = get_messages(actor=actor, conversation_id=conversation_id, session=session)
    cited = list_citations(actor=actor, conversation_id=conversation_id, session=session)
    out = []
    for row in rows:
        item = message_item(row)
        item.citations = citation_items(cited.get(row.id, []))
        out.append(item)
    return out


def _source(c: Any) -> rx.Component:  # a Var of CitationItem
    icon = rx.cond(c.kind == "memory", rx.icon("brain", size=14), rx.icon("file_text", size=14))
    return rx.el.li(
        rx.el.details(
            rx.el.summary(
                rx.hstack(
                    rx.box(icon, aria_hidden="true", color=MUTED, flex_shrink="0", margin_top="2px"),
                    rx.text(c.label, size="1", weight="medium"),
                    rx.badge(
                        c.kind, size="1", variant="soft", color_scheme=rx.cond(c.kind == "memory", "purple", "blue")
                    ),
                    spacing="1",
                    align="start",
                    display="inline-flex",
                ),
                title=c.snippet,
                style={"cursor": "pointer"},
            ),
            rx.text(c.snippet, size="1", color=MUTED, padding="4px 0 2px 20px", white_space="pre-wrap"),
        ),
        style={"listStyle": "none"},
        class_name="chat-citation",
    )


def sources_list(citations: Any) -> rx.Component:
    """ "Sources" under an answer: each cited document or memory; the passage shows when expanded.

    Args:
        citations: Var of ``list[CitationItem]``.
    """
    return rx.cond(
        citations.length() > 0,
        rx.box(
            rx.text("Sources", size="1", weight="bold", color=MUTED),
            rx.el.ul(
                rx.foreach(citations, _source),
                style={
                    "padding": "0",
                    "margin": "2px 0 0 0",
                    "display": "flex",
                    "flexDirection": "column",
                    "gap": "2px",
                },
            ),  # fmt: skip
            padding="6px 10px",
            border_radius="8px",
            border="1px solid var(--gray-4)",
            background="var(--gray-1)",
            class_name="chat-sources",
            role="group",
            aria_label="Sources",
            width="fit-content",
            max_width="100%",
        ),
    )
