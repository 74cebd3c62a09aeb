"""Marketplace search on the active database (SQLite FTS5 or PostgreSQL full text): words from the
description find a listing, stemming works, filters, sorts and pages behave, only published
listings appear, and the index follows edits."""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from sqlmodel import Session

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models import Listing
from marketplace.listings import save_listing, unlist_listing
from marketplace.schemas import ListingInput, SearchPage
from marketplace.search import search_listings
from tests.support.marketplace import listing, publisher_connection


def _nonce() -> str:
    """A made-up word no other test uses (letters only, so both databases index it as one word)."""
    return "".join(random.choices(string.ascii_lowercase, k=10))  # noqa: S311


def _search(**kwargs: object) -> SearchPage:
    with session_scope() as s:
        return search_listings(session=s, **kwargs)  # type: ignore[arg-type]


def _titles(page: SearchPage) -> list[str]:
    return [c.title for c in page.items]


def test_a_word_from_the_description_finds_the_listing_with_stemming(actor: Actor) -> None:
    word = _nonce()
    conn = publisher_connection(actor)
    listing(
        actor,
        conn,
        title="Ledger assistant",
        tagline="Books made simple",
        description=f"Reconciles each **invoice** against bank payments for {word} teams.",
        tags=["bookkeeping"],
    )
    assert _titles(_search(query=f"invoices {word}")) == ["Ledger assistant"]  # plural finds singular
    assert _titles(_search(query=f"reconciling {word}")) == ["Ledger assistant"]  # another form of the verb
    assert _titles(_search(query=f"bookkeeping {word}")) == ["Ledger assistant"]  # a tag
    assert _search(query=f"spreadsheet {word}").total == 0  # every word must match


def test_hostile_query_text_is_just_words(actor: Actor) -> None:
    word = _nonce()
    listing(actor, publisher_connection(actor), title="Quote safe", description=f"{word} handles quotes")
    for query in (f'"{word}', f"{word} AND OR NOT (", f"{word}* (", f"{word}'); --", f"({word})^"):
        assert _titles(_search(query=query)) == ["Quote safe"], query
    assert _search(query='"*():').total >= 1  # no words: lists everything, no error


def test_title_ranks_above_description(actor: Actor) -> None:
    word = _nonce()
    conn = publisher_connection(actor)
    listing(actor, conn, title="Plain helper", description=f"Also mentions {word} once, deep in the text.")
    listing(actor, conn, title=f"The {word} expert", description="Does one thing well.")
    assert _titles(_search(query=word)) == [f"The {word} expert", "Plain helper"]


def test_category_filter_and_pagination(actor: Actor) -> None:
    word = _nonce()
    conn = publisher_connection(actor)
    for i in range(5):
        listing(actor, conn, title=f"Agent {i}", description=word, category="Finance" if i < 2 else "Writing")
    assert sorted(_titles(_search(query=word, category="Finance"))) == ["Agent 0", "Agent 1"]
    pages = [_search(query=word, per_page=2, page=n) for n in (1, 2, 3, 9)]
    assert [(p.total, p.pages, p.page, len(p.items)) for p in pages] == [
        (5, 3, 1, 2),
        (5, 3, 2, 2),
        (5, 3, 3, 1),
        (5, 3, 3, 1),
    ]
    assert len({t for p in pages[:3] for t in _titles(p)}) == 5


def _set(session: Session, listing_id: str, **values: object) -> None:
    row = session.get(Listing, listing_id)
    assert row is not None
    for key, value in values.items():
        setattr(row, key, value)
    session.add(row)


def test_sorts(actor: Actor) -> None:
    word = _nonce()
    conn = publisher_connection(actor)
    cheap = listing(actor, conn, title="Cheap", description=word, plan_kind="per_run", price_per_run_cents=5)
    free = listing(actor, conn, title="Free", description=word)
    pricey = listing(actor, conn, title="Pricey", description=word, plan_kind="monthly", monthly_price_cents=2900)
    with session_scope() as s:  # arrange counters as subscriptions and reviews would leave them
        _set(s, cheap.id, subscriber_count=50, rating_count=2, rating_total=6)
        _set(s, free.id, subscriber_count=10, rating_count=4, rating_total=19)
        _set(s, pricey.id, subscriber_count=30, rating_count=0, rating_total=0)
    assert _titles(_search(query=word, sort="popular")) == ["Cheap", "Pricey", "Free"]
    assert _titles(_search(query=word, sort="top_rated")) == ["Free", "Cheap", "Pricey"]
    assert _titles(_search(query=word, sort="newest")) == ["Pricey", "Free", "Cheap"]
    assert _titles(_search(query=word, sort="price")) == ["Free", "Cheap", "Pricey"]
    assert _titles(_search(query=word, sort="nonsense")) == _titles(_search(query=word, sort="relevance"))
    card = next(c for c in _search(query=word).items if c.title == "Free")
    assert (card.rating.average, card.rating.count, card.plan.label) == (4.8, 4, "Free")


def test_only_published_listings_appear_and_edits_reindex(make_actor: Callable[[], Actor]) -> None:
    actor, word, other = make_actor(), _nonce(), _nonce()
    conn = publisher_connection(actor)
    listing(actor, conn, title="Draft one", description=word, publish=False)
    shown = listing(actor, conn, title="Shown", description=word)
    hidden = listing(actor, conn, title="Hidden later", description=word)
    with session_scope() as s:
        unlist_listing(actor=actor, listing_id=hidden.id, session=s)
    assert _titles(_search(query=word)) == ["Shown"]
    with session_scope() as s:
        row = s.get(Listing, shown.id)
        assert row is not None
        data = ListingInput(title="Shown", description=f"now about {other}")
        save_listing(actor=actor, agent_id=row.agent_id, data=data, session=s)
    assert _search(query=word).total == 0
    assert _titles(_search(query=other)) == ["Shown"]
