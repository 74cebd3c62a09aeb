"""Full-text search over published listings, behind one function for both databases.

SQLite: the FTS5 table ``listing_search`` (porter stemming, kept in step with ``listings`` by
triggers of migration 0015, joined on ``listings.search_rowid``), ranked by its ``rank``: ``bm25``
with title weighted 10, tagline and tags 4, description 1. PostgreSQL: the generated
``listings.search_vector`` (english configuration, weights A/B/C, GIN index) matched with
``plainto_tsquery`` and ranked by ``ts_rank``. Both match every word of the query (AND), after
stemming: "invoices" finds "invoice".
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from backend.models import Listing
from marketplace.schemas import SORT_KEYS, SearchPage, SortKey
from marketplace.views import cards_of

DEFAULT_PER_PAGE = 24
MAX_PER_PAGE = 60
MAX_QUERY_WORDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
STOP_WORDS = frozenset(
    "a an and are as at be but by can do does for from how i if in into is it me my no not of on or our "
    "such that the their then there these they this to was we what when which will with you your".split()
)
"""Words dropped from queries on both databases (PostgreSQL's english configuration drops these,
SQLite's FTS5 would require them), so a query means the same on both."""


def query_words(query: str) -> list[str]:
    """The words of a search box's text: letters/digits only (quotes and operators dropped), no
    stop words, at most 8."""
    return [w for w in _WORD.findall(query.lower()) if w not in STOP_WORDS][:MAX_QUERY_WORDS]


def _sqlite_page(session: Session, words: list[str], category: str, order: list[Any], limit: int, offset: int) -> Any:
    """Ids and match count of one page on SQLite: FTS5 first (``CROSS JOIN`` fixes the join order,
    so the index yields the matches and each looks up its listing by ``search_rowid``)."""
    dialect = session.get_bind().dialect
    order_sql = ", ".join(str(e.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) for e in order)
    category_sql = " AND listings.category = :category" if category else ""
    # Only our constants are formatted in (the sort's SQL, a fixed clause); user input is bound.
    sql = (
        "SELECT listings.id, count(*) OVER () FROM listing_search CROSS JOIN listings "  # noqa: S608
        "ON listings.search_rowid = listing_search.rowid "
        f"WHERE listing_search MATCH :match AND listings.status = 'published'{category_sql} "
        f"ORDER BY {order_sql} LIMIT :limit OFFSET :offset"
    )
    match = " ".join(f'"{w}"' for w in words)  # each word a quoted string: no FTS5 syntax from users
    params = {"match": match, "category": category, "limit": limit, "offset": offset}
    return session.connection().execute(sa.text(sql), params).all()


def _orm_page(session: Session, words: list[str], category: str, sort: SortKey, limit: int, offset: int) -> Any:
    """Ids and match count of one page: PostgreSQL full text, or no query words on either database."""
    stmt: Any = select(Listing.id, func.count().over())
    score: Any = None
    if words:
        tsquery = func.plainto_tsquery("english", " ".join(words))
        vector: Any = sa.literal_column("listings.search_vector")
        stmt = stmt.where(vector.op("@@")(tsquery))
        score = func.ts_rank(vector, tsquery)
    stmt = stmt.where(col(Listing.status) == "published")
    if category:
        stmt = stmt.where(col(Listing.category) == category)
    return session.exec(stmt.order_by(*_order(sort, score)).offset(offset).limit(limit)).all()


def _price() -> Any:
    return sa.case(
        (col(Listing.plan_kind) == "monthly", col(Listing.monthly_price_cents)),
        (col(Listing.plan_kind) == "per_run", col(Listing.price_per_run_cents)),
        else_=0,
    )


def _average() -> Any:
    return sa.case(
        (col(Listing.rating_count) > 0, sa.cast(col(Listing.rating_total), sa.Float) / col(Listing.rating_count)),
        else_=0.0,
    )


def _order(sort: SortKey, score: Any) -> list[Any]:
    popular = [col(Listing.subscriber_count).desc(), col(Listing.rating_count).desc()]
    orders: dict[str, list[Any]] = {
        "relevance": ([score.desc()] if score is not None else []) + popular,
        "popular": popular,
        "top_rated": [_average().desc(), col(Listing.rating_count).desc()],
        "newest": [col(Listing.published_at).desc()],
        "price": [_price().asc(), *popular],
    }
    return [*orders[sort], col(Listing.id)]


def search_listings(
    *,
    query: str = "",
    category: str = "",
    sort: SortKey = "relevance",
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    session: Session,
) -> SearchPage:
    """Published listings matching ``query`` (all of its words, stemmed), in ``category`` when
    given, sorted by ``sort`` (relevance falls back to popular without a query), one page of them.

    Args:
        query: The search box text (any characters; an empty query lists everything).
        category: One of :data:`marketplace.validation.CATEGORIES`, or ``""`` for all.
        sort: ``relevance``, ``popular``, ``top_rated``, ``newest`` or ``price`` (free first);
            an unknown key sorts by relevance.
        page: 1-based (clamped to the last page). per_page: 1-60 (default 24).

    Returns:
        The cards of the page and the totals. Drafts, unlisted and suspended listings never appear.
    """
    sort = sort if sort in SORT_KEYS else "relevance"
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    words = query_words(query)
    sqlite_fts = bool(words) and session.get_bind().dialect.name != "postgresql"

    def fetch(page: int) -> Any:  # the page's (id, total of all matches) rows, in order
        offset = (page - 1) * per_page
        if sqlite_fts:
            order = _order(sort, sa.literal_column("-listing_search.rank"))
            return _sqlite_page(session, words, category, order, per_page, offset)
        return _orm_page(session, words, category, sort, per_page, offset)

    page = max(1, page)
    rows = fetch(page)
    if not rows and page > 1:  # past the end: show the last page
        first = fetch(1)
        total = int(first[0][1]) if first else 0
        page = max(1, -(-total // per_page))
        rows = fetch(page)
    total = int(rows[0][1]) if rows else 0
    ids = [r[0] for r in rows]
    found = {x.id: x for x in session.exec(select(Listing).where(col(Listing.id).in_(ids))).all()} if ids else {}
    cards = cards_of([found[i] for i in ids if i in found], session)
    return SearchPage(cards, total, page, max(1, -(-total // per_page)), per_page)
