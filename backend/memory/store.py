"""LanceDB storage of knowledge chunks and long-term memories, always behind the tenant filter.

Layout (one LanceDB database at ``Settings.resolved_lancedb_uri``; a local directory by
default, an object-store URI such as ``s3://bucket/agenthub`` when configured):

- ``knowledge_chunks`` and ``memories``: the text rows, with a native BM25 full-text index on
  ``text`` (ICU word segmentation, so Japanese is split into words; lower-casing and ASCII
  folding, English stemming and stop words) and B-tree indexes on the tenant columns.
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
Vector tables reaching 50,000 rows get an IVF-PQ index in :meth:`Store.optimize`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import lancedb
from lancedb.expr import Expr, col, lit
from lancedb.index import FTS, Bitmap, BTree, IvfPq

from backend.config import get_settings
from backend.memory.rows import TEXT_COLUMNS, TEXT_TABLES, Hit, Row, schema, to_hit, vector_table_name
from backend.memory.tenancy import KINDS, Kind, Scope, ScopeError, scope_key, tenant_filter

__all__ = ["KINDS", "Hit", "Kind", "Row", "Scope", "ScopeError", "Store", "get_store", "tenant_filter"]

VECTOR_INDEX_MIN_ROWS = 50_000
REFINE_FACTOR = 30


class Store:
    """A LanceDB database holding both kinds of rows (thread-safe; one per URI per process)."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        # Other processes' writes (``agenthub worker``) become visible within a second; this
        # process's own writes at once (one cached handle per table).
        self._db = lancedb.connect(uri, read_consistency_interval=timedelta(seconds=1))
        self._tables: dict[str, Any] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ tables
    def _table(self, name: str, dim: int | None = None, *, create: bool = True) -> Any | None:
        with self._lock:
            table = self._tables.get(name)
            if table is not None:
                return table
            if name in self._names():
                table = self._db.open_table(name)
            elif not create:
                return None
            else:
                table = self._db.create_table(name, schema=schema(dim), exist_ok=True)
                for column in ("search_key", "workspace_id", "agent_id", "source_id"):
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
            self.text_table(kind).add(self._records(scope, rows))

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
        table.add(records)

    def delete(self, kind: Kind, scope: Scope, extra: Expr | None = None) -> None:
        """Delete the scope's rows (optionally only those matching ``extra``) from text and vectors."""
        self.text_table(kind).delete(tenant_filter(scope, extra))
        for _dim, table in self.vector_tables(kind):
            table.delete(tenant_filter(scope, extra, any_model=True))

    def delete_vectors(self, kind: Kind, scope: Scope, *, keep_model_key: str | None = None) -> None:
        """Delete the scope's vectors, except those of ``keep_model_key`` if given."""
        extra = col("model_key") != lit(keep_model_key) if keep_model_key is not None else None
        for _dim, table in self.vector_tables(kind):
            table.delete(tenant_filter(scope, extra, any_model=True))

    # ------------------------------------------------------------------- reads
    def search_text(self, kind: Kind, scope: Scope, query: str, k: int) -> list[Hit]:
        """BM25 full-text search of the scope's rows, best first. Raises ScopeError if incomplete."""
        if not scope.complete:
            raise ScopeError("Searching needs a workspace, an agent and an end user.")
        if not query.strip():
            return []
        rows = (
            self.text_table(kind)
            .search(query, query_type="fts")
            .where(tenant_filter(scope))
            .limit(k)
            .select([*TEXT_COLUMNS, "_score"])
            .to_list()
        )
        return [to_hit(r, float(r["_score"])) for r in rows]

    def search_vector(
        self,
        kind: Kind,
        scope: Scope,
        model_key: str,
        vector: Sequence[float],
        k: int,
        *,
        nprobes: int = 20,
        exact: bool = False,
    ) -> list[Hit]:
        """Nearest rows by cosine similarity among the scope's vectors of ``model_key``.

        ``exact=True`` scans instead of using the ANN index (for recall measurements).
        """
        if not scope.complete:
            raise ScopeError("Searching needs a workspace, an agent and an end user.")
        table = self._table(vector_table_name(kind, len(vector)), create=False)
        if table is None:
            return []
        query = (
            table.search(list(vector), vector_column_name="vector")
            .distance_type("cosine")
            .where(tenant_filter(scope, model_key=model_key), prefilter=True)
            .limit(k)
            .select([*TEXT_COLUMNS, "_distance"])
        )
        query = query.nprobes(nprobes).refine_factor(REFINE_FACTOR)  # used only once an ANN index exists
        if exact:
            query = query.bypass_vector_index()
        return [to_hit(r, 1.0 - float(r["_distance"])) for r in query.to_list()]

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
            self.build_vector_index(k, min_rows=VECTOR_INDEX_MIN_ROWS)
            tables = [self.text_table(k)] + [t for _d, t in self.vector_tables(k)]
            for table in tables:
                table.optimize(cleanup_older_than=timedelta(hours=1))

    def build_vector_index(self, kind: Kind, *, min_rows: int = 0, index_type: str = "IVF_PQ") -> int:
        """Create the ANN index of each vectors table with at least ``min_rows`` rows and none yet.

        IVF-PQ with cosine distance, ~4,096 rows per partition and dim/8 sub-vectors; queries
        probe ``nprobes`` partitions and re-rank ``REFINE_FACTOR`` x k candidates on the exact
        vectors. Below the threshold, search is an exact scan of the tenant's prefiltered rows.

        Returns:
            How many indexes were built.
        """
        built = 0
        for dim, table in self.vector_tables(kind):
            rows = table.count_rows()
            has_index = any(ix.columns == ["vector"] for ix in table.list_indices())
            if rows < max(min_rows, 256) or has_index:
                continue
            partitions = max(1, rows // 4096)
            if index_type == "IVF_PQ":
                sub_vectors = next(n for n in range(max(1, dim // 8), 0, -1) if dim % n == 0)
                config: Any = IvfPq(distance_type="cosine", num_partitions=partitions, num_sub_vectors=sub_vectors)
            else:
                from lancedb.index import HnswSq

                config = HnswSq(distance_type="cosine", num_partitions=partitions)
            table.create_index("vector", config=config, replace=True)
            built += 1
        return built


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
