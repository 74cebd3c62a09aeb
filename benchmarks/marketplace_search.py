"""Benchmark: marketplace search and listing-page server time on SQLite and PostgreSQL.

Run from the repository root::

    .venv/bin/python benchmarks/marketplace_search.py                      # SQLite only
    .venv/bin/python benchmarks/marketplace_search.py --postgres postgresql://postgres@127.0.0.1:5432/test

Builds a throw-away database per profile (a temporary SQLite file; a new PostgreSQL database
next to the given URL, dropped afterwards) with the production migrations, then bulk-inserts
``--listings`` published listings (default 10,000) from 50 publishers, each with its agent and
blueprint version: titles, taglines, tags and 60-120-word descriptions drawn from an English
vocabulary with a Zipf distribution (common words are common). The listings of the detail sample
get 40 runs and 8 reviews each, so trust figures and rating histograms have rows to read.

Measures, each call in its own session as the pages make it:
  * ``search_listings`` for ``--queries`` (default 200) queries of 1-3 words (relevance, page 1 of
    24; one in four with a category filter, one in four sorted by "popular");
  * ``listing_detail`` for 200 listings (the whole listing page's data: card, changelog, tools,
    trust figures, rating histogram, reviews).
Prints p50/p95/max in ms and the load average before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import sqlalchemy as sa  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from backend.db import get_engine, migrate, session_scope  # noqa: E402
from backend.models import Agent, BlueprintVersion, Listing, ListingVersion, Review, Run, User, Workspace  # noqa: E402
from backend.models.common import utcnow  # noqa: E402
from marketplace.catalog import listing_detail  # noqa: E402
from marketplace.search import search_listings  # noqa: E402
from marketplace.seed_data import LISTINGS  # noqa: E402
from marketplace.validation import CATEGORIES  # noqa: E402

DETAIL_SAMPLE = 200
EXTRA_WORDS = (
    "report summary email draft customer support invoice payment budget forecast sales lead marketing "
    "campaign social post tweet article blog research paper study data analysis chart table spreadsheet "
    "meeting calendar schedule task project plan roadmap sprint ticket bug code review python javascript "
    "sql database query api documentation contract legal policy compliance privacy security audit risk "
    "hiring interview resume candidate onboarding training course lesson quiz student teacher language "
    "translation spanish french german grammar writing editing proofreading tone style brand product "
    "description shop store order refund shipping inventory supplier purchase receipt expense travel "
    "health fitness recipe meal nutrition finance tax accounting bookkeeping bank reconcile cash"
).split()


def _vocabulary() -> list[str]:
    words = {
        w.strip(".,:;()*!?'\"|#-").lower() for item in LISTINGS for w in (item.description + " " + item.tagline).split()
    }
    return sorted({w for w in words if w.isalpha() and len(w) > 2} | set(EXTRA_WORDS))


class Corpus:
    """Zipf-weighted words of the vocabulary (seeded: every profile gets the same data)."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.words = _vocabulary()
        self.rng.shuffle(self.words)
        self.weights = [1 / (rank + 1) ** 1.05 for rank in range(len(self.words))]

    def text(self, n: int) -> str:
        return " ".join(self.rng.choices(self.words, self.weights, k=n))

    def query(self) -> str:
        return self.text(self.rng.choice((1, 1, 2, 2, 3)))


def _insert(conn: sa.Connection, rows: list[SQLModel]) -> None:
    """Bulk-insert model instances of one table (their defaults filled by the models)."""
    conn.execute(sa.insert(type(rows[0]).__table__), [r.model_dump() for r in rows])  # type: ignore[attr-defined]


def _publishers(conn: sa.Connection, count: int = 50) -> list[tuple[str, str]]:
    users = [User(email=f"bench-{i}-{uuid.uuid4().hex[:6]}@example.com", password_hash="!") for i in range(count)]
    spaces = [Workspace(name=f"Publisher {i}", owner_id=u.id, personal=False) for i, u in enumerate(users)]
    _insert(conn, list(users))
    _insert(conn, list(spaces))
    return [(u.id, w.id) for u, w in zip(users, spaces, strict=True)]


def _rows(
    i: int, publisher: tuple[str, str], corpus: Corpus
) -> tuple[Agent, BlueprintVersion, Listing, ListingVersion]:
    user_id, workspace_id = publisher
    agent = Agent(workspace_id=workspace_id, created_by=user_id)
    version = BlueprintVersion(
        agent_id=agent.id, version=1, created_by=user_id, name=f"Agent {i}", model="m", tools=["fetch_webpage"]
    )
    tags = list(dict.fromkeys(corpus.text(3).split()))
    listing = Listing(
        slug=f"bench-{i}-{uuid.uuid4().hex[:6]}",
        workspace_id=workspace_id,
        agent_id=agent.id,
        version_id=version.id,
        version_number=1,
        created_by=user_id,
        title=corpus.text(3).title(),
        tagline=corpus.text(10),
        description=corpus.text(corpus.rng.randint(60, 120)),
        category=corpus.rng.choice(CATEGORIES),
        tags=tags,
        tags_text=" ".join(tags),
        status="published",
        subscriber_count=corpus.rng.randint(0, 500),
        published_at=utcnow(),
    )
    changelog = ListingVersion(
        listing_id=listing.id, blueprint_version_id=version.id, version_number=1, published_by=user_id
    )
    return agent, version, listing, changelog


def _activity(
    conn: sa.Connection, listings: list[Listing], publishers: list[tuple[str, str]], rng: random.Random
) -> None:
    """40 runs and 8 reviews for each listing of the detail sample."""
    runs: list[SQLModel] = []
    reviews: list[SQLModel] = []
    for x in listings:
        for k in range(40):
            status = "succeeded" if k % 10 else "failed"
            runs.append(
                Run(
                    workspace_id=x.workspace_id,
                    agent_id=x.agent_id,
                    user_id=x.created_by,
                    blueprint_version_id=x.version_id,
                    status=status,
                    latency_ms=rng.randint(300, 4000),
                )
            )
        for k, (user_id, _) in enumerate(publishers[:8]):
            reviews.append(Review(listing_id=x.id, user_id=user_id, stars=1 + k % 5, text="Useful."))
    _insert(conn, runs)
    _insert(conn, reviews)


def build(url: str, count: int) -> list[str]:
    """Migrate ``url`` and fill it; returns the slugs of the detail sample."""
    migrate(url)
    corpus = Corpus()
    engine = get_engine(url)
    slugs: list[str] = []
    with engine.begin() as conn:
        publishers = _publishers(conn)
        batch: list[tuple[Agent, BlueprintVersion, Listing, ListingVersion]] = []
        for i in range(count):
            batch.append(_rows(i, publishers[i % len(publishers)], corpus))
            if len(batch) == 1000 or i == count - 1:
                for column in range(4):
                    _insert(conn, [r[column] for r in batch])
                if not slugs:  # the first batch holds the detail sample
                    sample = [r[2] for r in batch][:DETAIL_SAMPLE]
                    _activity(conn, sample, publishers, corpus.rng)
                    slugs = [x.slug for x in sample]
                batch = []
    if engine.dialect.name == "postgresql":
        # The steady state autovacuum keeps: statistics, and the GIN index's pending list merged
        # (fresh inserts sit in that list, which every full-text lookup would scan).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    return slugs


def timed(fn: Callable[[], object], times: int) -> tuple[list[float], list[float]]:
    """Wall-clock and this process's CPU milliseconds of each of ``times`` calls."""
    wall, cpu = [], []
    for _ in range(times):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def report(name: str, samples: tuple[list[float], list[float]], target_ms: float) -> None:
    """p50/p95/max wall time against the target, and p95 CPU time of this process: on SQLite the
    whole query runs in-process, so CPU time is what the call costs on an idle machine; on
    PostgreSQL it is only the client side (the server's share runs in its own processes)."""
    wall, cpu = samples
    p95 = statistics.quantiles(wall, n=20)[-1]
    verdict = "ok" if p95 <= target_ms else f"ABOVE the {target_ms:g} ms target"
    p50, worst, cpu95 = statistics.median(wall), max(wall), statistics.quantiles(cpu, n=20)[-1]
    print(f"  {name:<28} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  max {worst:7.2f} ms  ({verdict})")
    print(f"  {'':<28} CPU of this process: p95 {cpu95:6.2f} ms")


def measure(url: str, count: int, queries: int) -> None:
    from backend.config import get_settings

    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    started = time.perf_counter()
    slugs = build(url, count)
    print(f"  built {count:,} listings in {time.perf_counter() - started:.1f} s")
    corpus = Corpus(seed=11)
    calls = [
        (
            corpus.query(),
            corpus.rng.choice(("",) * 3 + CATEGORIES[:1]),
            corpus.rng.choice(("relevance",) * 3 + ("popular",)),
        )
        for _ in range(queries)
    ]
    hits = []

    def one_search(q: str, category: str, sort: str) -> None:
        with session_scope() as s:
            hits.append(search_listings(query=q, category=category, sort=sort, session=s).total)  # type: ignore[arg-type]

    timed(lambda: one_search("invoice", "", "relevance"), 5)  # warm caches and the connection pool
    it = iter(calls)
    samples = timed(lambda: one_search(*next(it)), queries)
    report(f"search ({queries} queries)", samples, 20)
    print(f"  matches per query: median {statistics.median(hits):.0f}, max {max(hits)}")
    slug_iter = iter(slugs * 2)

    def one_detail() -> None:
        with session_scope() as s:
            listing_detail(slug=next(slug_iter), viewer=None, session=s)

    report(f"listing page ({len(slugs)} pages)", timed(one_detail, len(slugs)), 50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listings", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL; a new database is created next to it")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["AGENTHUB_DATA_DIR"] = tmp
        print("SQLite (FTS5, porter):")
        measure(f"sqlite:///{tmp}/bench.db", args.listings, args.queries)
    if args.postgres:
        base = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        name = f"bench_market_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = base.rsplit("/", 1)[0] + "/" + name
        try:
            print("PostgreSQL (tsvector, GIN, ts_rank):")
            measure(url, args.listings, args.queries)
        finally:
            get_engine(url).dispose()
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
