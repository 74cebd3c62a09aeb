"""LanceDB storage of knowledge chunks and long-term memories, always behind the tenant filter.

Layout (one LanceDB database at ``Settings.resolved_lancedb_uri``; a local directory by
default, an object-store URI such as ``s3://bucket/agenthub`` when configured):

- ``knowledge_chunks`` and ``memories``: the text rows, with a native BM25 full-text index on
  ``text`` (ICU word segmentation, so Japanese is split into words; lower-casing and ASCII
  folding, English stemming and stop words) and scalar indexes on the tenant columns.
- ``knowledge_vectors_<dim>`` and ``memories_vectors_<dim>``: the same rows plus a ``vector``
  of one embedding model (``model_key``), one table per vector length.

Every row carries ``workspace_id``, ``agent_id`` and ``end_user_id`` (``""`` for an agent's
knowledge, the chatting user's id for memories), their combination ``search_key`` (see
``tenancy.scope_key``) and its source ids (``source_id``: knowledge source or conversation;
``ref_id``: run id for memories). The tenant columns are written from a :class:`Scope`, never
from caller data, and every read, search, count and delete goes through
:func:`~backend.memory.tenancy.tenant_filter`, which builds the predicate with LanceDB's typed
expressions (values are literals, never spliced into SQL). Searching needs a complete scope
(workspace, agent and end user); maintenance may span a workspace or an agent's end users.
Vector tables reaching 10,000 rows get an IVF-HNSW-SQ index in :meth:`Store.optimize`.
Index types and settings: :mod:`backend.memory.indexes`.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

import lancedb
from lancedb.background_loop import LOOP
from lancedb.expr import Expr, col, lit
from lancedb.index import FTS, Bitmap, BTree

from backend.config import get_settings
from backend.memory import indexes
from backend.memory.rows import HIT_COLUMNS, TEXT_COLUMNS, TEXT_TABLES, Hit, Row, schema, to_hits, vector_table_name
from backend.memory.tenancy import KINDS, Kind, Scope, ScopeError, scope_key, tenant_filter

__all__ = ["KINDS", "Hit", "Kind", "Row", "Scope", "ScopeError", "Store", "get_store", "tenant_filter"]

SHARE_TTL_S = 60.0
T = TypeVar("T")


class Store:
    """A LanceDB database holding both kinds of rows (thread-safe; one per URI per process)."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        # Other processes' writes (``agenthub worker``) become visible within a second; this
        # process's own writes at once (one cached handle per table).
        self._db = lancedb.connect(uri, read_consistency_interval=timedelta(seconds=1))
        self._tables: dict[str, Any] = {}
        self._lock = threading.Lock()
        # Searches use async handles. On a local directory they check for a newer version on
        # every query (a cheap file read), so they see this process's writes through the sync
        # handles at once; on an object store that would be a round trip per query, so they look
        # once a second (a search may miss rows written in the last second).
        interval = timedelta(seconds=1) if "://" in uri else timedelta(0)
        self._adb = LOOP.run(lancedb.connect_async(uri, read_consistency_interval=interval))
        self._atables: dict[str, Any] = {}
        self._shares: dict[tuple[str, str], tuple[float, float]] = {}

    # ------------------------------------------------------------------ tables
    def _table(self, name: str, dim: int | None = None, *, create: bool = True) -> Any | None:
        with self._lock:
            table = self._tables.get(name)
            if table is not None:
                return table
            if name in self._names():
                table = self._db.open_table(name)
                indexes.upgrade_search_key_index(name, table)
            elif not create:
                return None
            else:
                table = self._db.create_table(name, schema=schema(dim), exist_ok=True)
                table.create_index("search_key", config=indexes.search_key_index(name), replace=True)
                for column in ("workspace_id", "agent_id", "source_id"):
                    table.create_index(column, config=BTree(), replace=True)
                if dim is not None:
                    table.create_index("model_key", config=Bitmap(), replace=True)
                if dim is None:
                    table.create_index("text", config=FTS(base_tokenizer="icu", ascii_folding=True), replace=True)
            self._tables[name] = table
            return table

    def _names(self) -> list[str]:
        names: list[str] = []
        token: str | None = None
        while True:
            page = self._db.list_tables(page_token=token)
            names += list(page.tables)
            token = page.page_token
            if not token:
                return names

    def text_table(self, kind: Kind) -> Any:
        """The (created on first use) text table of ``kind``."""
        return self._table(TEXT_TABLES[kind])

    def vector_tables(self, kind: Kind) -> list[tuple[int, Any]]:
        """Every existing vectors table of ``kind`` as ``(dim, table)``."""
        prefix = TEXT_TABLES[kind] + "_vectors_"
        names = [n for n in self._names() if n.startswith(prefix)]
        return [(int(n[len(prefix) :]), self._table(n, create=False)) for n in names]

    # ------------------------------------------------------------------ writes
    def _records(self, scope: Scope, rows: Sequence[Row]) -> list[dict[str, Any]]:
        if not scope.complete:
            raise ScopeError("Writing needs a workspace, an agent and an end user ('' for knowledge).")
        return [
            {
                "id": r.id,
                "workspace_id": scope.workspace_id,
                "agent_id": scope.agent_id,
                "end_user_id": scope.end_user_id,
                "source_id": r.source_id,
                "ref_id": r.ref_id,
                "title": r.title,
                "location": r.location,
                "position": r.position,
                "text": r.text,
                "search_key": scope_key(scope),
                "created_at": r.created_at,
            }
            for r in rows
        ]

    def add(self, kind: Kind, scope: Scope, rows: Sequence[Row]) -> None:
        """Append text rows (tenant columns from ``scope``). Raises ScopeError."""
        if rows:
            retrying(partial(self.text_table(kind).add, self._records(scope, rows)))

    def add_vectors(
        self, kind: Kind, scope: Scope, model_key: str, rows: Sequence[Row], vectors: Sequence[Sequence[float]]
    ) -> None:
        """Append rows with their vectors of model ``model_key`` (one length). Raises ScopeError."""
        if not rows:
            return
        dim = len(vectors[0])
        records = self._records(scope, rows)
        key = scope_key(scope, model_key)
        for record, vector in zip(records, vectors, strict=True):
            record["search_key"], record["model_key"], record["vector"] = key, model_key, [float(v) for v in vector]
        table = self._table(vector_table_name(kind, dim), dim)
        assert table is not None  # noqa: S101  (create=True)
        retrying(partial(table.add, records))

    def delete(self, kind: Kind, scope: Scope, extra: Expr | None = None) -> None:
        """Delete the scope's rows (optionally only those matching ``extra``) from text and vectors."""
        retrying(partial(self.text_table(kind).delete, tenant_filter(scope, extra)))
        where_any = tenant_filter(scope, extra, any_model=True)
        for _dim, table in self.vector_tables(kind):
            retrying(partial(table.delete, where_any))

    def delete_vectors(self, kind: Kind, scope: Scope, *, keep_model_key: str | None = None) -> None:
        """Delete the scope's vectors, except those of ``keep_model_key`` if given."""
        extra = col("model_key") != lit(keep_model_key) if keep_model_key is not None else None
        where = tenant_filter(scope, extra, any_model=True)
        for _dim, table in self.vector_tables(kind):
            retrying(partial(table.delete, where))

    # ------------------------------------------------------------------- reads
    async def _atable(self, name: str, *, create: bool = False) -> Any | None:
        """The async handle of table ``name`` (searches use LanceDB's async API: ~40% faster here
        than the sync wrapper, and the two halves of a hybrid search overlap)."""
        table = self._atables.get(name)
        if table is None:
            # The sync API (table creation, index upgrades) must not run on LanceDB's loop thread,
            # which the sync search wrappers below use: off to a worker thread.
            if await asyncio.to_thread(self._table, name, create=create) is None:
                return None
            table = self._atables[name] = await self._adb.open_table(name)
        return table

    async def asearch_text(self, kind: Kind, scope: Scope, query: str, k: int) -> list[Hit]:
        """BM25 full-text search of the scope's rows, best first. Raises ScopeError if incomplete."""
        if not scope.complete:
            raise ScopeError("Searching needs a workspace, an agent and an end user.")
        if not query.strip():
            return []
        table = await self._atable(TEXT_TABLES[kind], create=True)
        rows = await (
            table.query()  # type: ignore[union-attr]
            .nearest_to_text(query)
            .where(tenant_filter(scope))
            .limit(k)
            .select([*HIT_COLUMNS, "_score"])
            .to_arrow()
        )
        return to_hits(rows, "_score")

    def search_text(self, kind: Kind, scope: Scope, query: str, k: int) -> list[Hit]:
        """:meth:`asearch_text` for synchronous callers."""
        return LOOP.run(self.asearch_text(kind, scope, query, k))  # type: ignore[no-any-return]

    async def asearch_vector(
        self,
        kind: Kind,
        scope: Scope,
        model_key: str,
        vector: Sequence[float],
        k: int,
        *,
        nprobes: int | None = None,
        exact: bool = False,
    ) -> list[Hit]:
        """Nearest rows by cosine similarity among the scope's vectors of ``model_key``.

        Without an ANN index (tables under ``indexes.VECTOR_INDEX_MIN_ROWS`` rows) this is an exact
        scan of the scope's prefiltered rows. With one, it probes ``nprobes`` IVF partitions
        (default: :func:`~backend.memory.indexes.probes_for_share` of the scope's share of the
        table) and re-ranks ``REFINE_FACTOR`` x ``k`` candidates on the full vectors.
        ``exact=True`` always scans (recall measurements). Raises ScopeError if incomplete.
        """
        if not scope.complete:
            raise ScopeError("Searching needs a workspace, an agent and an end user.")
        name = vector_table_name(kind, len(vector))
        table = await self._atable(name)
        if table is None:
            return []
        where = tenant_filter(scope, model_key=model_key)
        query = (
            table.query()
            .nearest_to([float(v) for v in vector])
            .column("vector")
            .distance_type("cosine")
            .where(where)
            .limit(k)
            .select([*HIT_COLUMNS, "_distance"])
        )
        if exact:
            query = query.bypass_vector_index()
        else:  # both settings are ignored by an exact scan (no index yet)
            if nprobes is None:
                nprobes = indexes.probes_for_share(await self._share(name, table, where.to_sql()))
            query = query.nprobes(nprobes).refine_factor(indexes.REFINE_FACTOR)
        return to_hits(await query.to_arrow(), "_distance", similarity=True)

    def search_vector(
        self, kind: Kind, scope: Scope, model_key: str, vector: Sequence[float], k: int, **options: Any
    ) -> list[Hit]:
        """:meth:`asearch_vector` for synchronous callers (``options``: ``nprobes``, ``exact``)."""
        return LOOP.run(self.asearch_vector(kind, scope, model_key, vector, k, **options))  # type: ignore[no-any-return]

    async def _share(self, name: str, table: Any, where_sql: str) -> float:
        """The fraction of ``table``'s rows matching ``where_sql`` (cached ``SHARE_TTL_S`` seconds)."""
        now = time.monotonic()
        cached = self._shares.get((name, where_sql))
        if cached is not None and now - cached[1] < SHARE_TTL_S:
            return cached[0]
        total = int(await table.count_rows())
        share = int(await table.count_rows(where_sql)) / total if total else 0.0
        if len(self._shares) > 10_000:
            self._shares.clear()
        self._shares[(name, where_sql)] = (share, now)
        return share

    def scan(
        self, kind: Kind, scope: Scope, extra: Expr | None = None, *, columns: Sequence[str] = TEXT_COLUMNS
    ) -> Iterator[dict[str, Any]]:
        """Every text row of the scope (optionally matching ``extra``), as dicts of ``columns``."""
        reader = self.text_table(kind).search().where(tenant_filter(scope, extra)).select(list(columns))
        for batch in reader.to_batches(4096):
            yield from batch.to_pylist()

    def scan_vector_ids(self, kind: Kind, scope: Scope, model_key: str) -> Iterator[dict[str, Any]]:
        """``{"id": ...}`` of every vector of ``model_key`` in the scope."""
        for _dim, table in self.vector_tables(kind):
            reader = table.search().where(tenant_filter(scope, model_key=model_key)).select(["id"])
            for batch in reader.to_batches(8192):
                yield from batch.to_pylist()

    def count(self, kind: Kind, scope: Scope, extra: Expr | None = None, *, model_key: str | None = None) -> int:
        """Number of the scope's text rows, or of its vectors of ``model_key`` when given."""
        if model_key is None:
            return int(self.text_table(kind).count_rows(tenant_filter(scope, extra).to_sql()))
        where = tenant_filter(scope, model_key=model_key).to_sql()
        return sum(int(t.count_rows(where)) for _d, t in self.vector_tables(kind))

    def vector_bytes(self, kind: Kind, scope: Scope) -> int:
        """Bytes of the scope's stored vectors (4 bytes per float32 component)."""
        where = tenant_filter(scope, any_model=True).to_sql()
        return sum(int(t.count_rows(where)) * dim * 4 for dim, t in self.vector_tables(kind))

    # ------------------------------------------------------------- maintenance
    def optimize(self, kind: Kind | None = None) -> None:
        """Fold new rows into the indexes, compact files and drop versions older than an hour.

        A vectors table reaching ``VECTOR_INDEX_MIN_ROWS`` rows gets its ANN index here.
        """
        for k in (kind,) if kind else KINDS:
            self.build_vector_index(k, min_rows=indexes.VECTOR_INDEX_MIN_ROWS)
            tables = [self.text_table(k)] + [t for _d, t in self.vector_tables(k)]
            for table in tables:
                retrying(partial(table.optimize, cleanup_older_than=timedelta(hours=1)))

    def build_vector_index(self, kind: Kind, *, min_rows: int = 0) -> int:
        """Build or rebuild the ANN index of each vectors table of ``kind`` that needs one
        (see :func:`backend.memory.indexes.build_vector_index`). Returns how many were built."""
        return sum(indexes.build_vector_index(table, min_rows=min_rows) for _d, table in self.vector_tables(kind))


def retrying(operation: Callable[[], T], *, attempts: int = 10) -> T:
    """Run a LanceDB write, again when a concurrent commit preempted it.

    Lance commits optimistically: a compaction (``optimize``) and a delete or append from another
    thread or process can race, and the loser fails with a "Retryable commit conflict"
    (lance ``conflict_resolver.rs``). Retries after about 50, 100, 200 ... ms, capped at 2 s, each
    wait jittered (0.5-1.5x) so two losers do not retry in step; a slow compaction on a busy
    machine can lose to several deletes in a row (~10 s of retries in all). Other errors and the
    last conflict are raised.
    """
    for attempt in range(attempts):
        try:
            return operation()
        except RuntimeError as exc:
            if "commit conflict" not in str(exc).lower() or attempt == attempts - 1:
                raise
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))  # noqa: S311  (jitter)
    raise AssertionError("unreachable")  # pragma: no cover


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def get_store(uri: str | None = None) -> Store:
    """The process-wide :class:`Store` for ``uri`` (default ``Settings.resolved_lancedb_uri``)."""
    uri = uri or get_settings().resolved_lancedb_uri
    with _stores_lock:
        store = _stores.get(uri)
        if store is None:
            store = _stores[uri] = Store(uri)
        return store
