"""``agenthub seed-demo`` fills the marketplace once: thirty published listings of five publishers,
found signed out, with reviews and changelogs; running it again adds nothing."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from backend.db import session_scope
from backend.models import Listing, Review
from marketplace.catalog import listing_detail
from marketplace.cli import main
from marketplace.search import search_listings


def test_seed_demo_fills_the_marketplace_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["seed-demo"]) == 0
    assert "30 listing(s) added" in capsys.readouterr().out
    with session_scope() as s:
        first = search_listings(session=s, per_page=60)  # other tests' listings share this database:
        cards = [c for n in range(1, first.pages + 1) for c in search_listings(session=s, per_page=60, page=n).items]
        seeded = [
            c
            for c in cards
            if c.publisher in {"Northwind Studio", "Ledgerline", "Brightdesk Support Labs", "Quill & Co", "DevForge"}
        ]
        invoices = search_listings(query="invoices", session=s)
        detail = listing_detail(slug="invoice-extractor", viewer=None, session=s)
        reviews = s.exec(select(func.count()).select_from(Review)).one()
    assert len(seeded) == 30 and len({c.publisher for c in seeded}) == 5
    assert "Invoice Extractor" in [c.title for c in invoices.items]
    assert detail.version_number == 2 and len(detail.changelog) == 2 and detail.reviews
    assert reviews >= 60 and any(c.plan.kind == "monthly" for c in seeded)
    assert main(["seed-demo"]) == 0
    assert "already exist" in capsys.readouterr().out
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(Listing).where(Listing.slug == "invoice-extractor")).one() == 1
