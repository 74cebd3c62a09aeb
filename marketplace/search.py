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


_SORT_COLUMNS = (
    "id",
    "subscriber_count",
    "rating_count",
    "rating_total",
    "published_at",
    "plan_kind",
    "monthly_price_cents",
    "price_per_run_cents",
)


def _orm_page(session: Session, words: list[str], category: str, sort: SortKey, limit: int, offset: int) -> Any:
    """Ids and match count of one page: PostgreSQL full text, or no query words on either database.

    The matches are a subquery of the sort columns and the rank only, so the count over them
    carries small rows (carrying ``search_vector`` made PostgreSQL spill 10k matches to disk).
    """
    table = Listing.__table__.c  # type: ignore[attr-defined]
    inner: Any = select(*(table[name] for name in _SORT_COLUMNS)).where(col(Listing.status) == "published")
    if category:
        inner = inner.where(col(Listing.category) == category)
    score: Any = None
    if words:
        tsquery = func.plainto_tsquery("english", " ".join(words))
        vector: Any = sa.literal_column("listings.search_vector")
        inner = inner.add_columns(func.ts_rank(vector, tsquery).label("score")).where(vector.op("@@")(tsquery))
    m = inner.offset(0).subquery("m")  # OFFSET 0: computed here, not flattened into the outer query
    if words:
        score = m.c.score
    stmt = select(m.c.id, func.count().over()).order_by(*_order(sort, score, m.c)).offset(offset).limit(limit)
    return session.exec(stmt).all()


def _order(sort: SortKey, score: Any, c: Any) -> list[Any]:
    """ORDER BY terms of ``sort`` over the columns ``c`` (of ``listings`` or of a subquery)."""
    popular = [c.subscriber_count.desc(), c.rating_count.desc()]
    price = sa.case(
        (c.plan_kind == "monthly", c.monthly_price_cents), (c.plan_kind == "per_run", c.price_per_run_cents), else_=0
    )
    average = sa.case((c.rating_count > 0, sa.cast(c.rating_total, sa.Float) / c.rating_count), else_=0.0)
    orders: dict[str, list[Any]] = {
        "relevance": ([score.desc()] if score is not None else []) + popular,
        "popular": popular,
        "top_rated": [average.desc(), c.rating_count.desc()],
        "newest": [c.published_at.desc()],
        "price": [price.asc(), *popular],
    }
    return [*orders[sort], c.id]


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
            order = _order(sort, sa.literal_column("-listing_search.rank"), Listing.__table__.c)  # type: ignore[attr-defined]
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
