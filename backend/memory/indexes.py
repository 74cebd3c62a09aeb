"""The LanceDB indexes of the memory tables: which, with what settings, and when to (re)build.

Measured with ``benchmarks/memory_query.py`` on 2 cores (100k chunks of one agent, 10k of
another tenant, 200 of a third): ``search_key`` has a bitmap index on the knowledge tables (one
value per agent: the low cardinality bitmaps suit, LanceDB's guide says under ~1,000 values work
best) and a B-tree on the memory tables (one value per agent and end user, possibly many); the
bitmap halves the prefilter cost of both searches. The ANN index is IVF with an HNSW graph of
8-bit scalar-quantised vectors per partition (IVF-HNSW-SQ): at equal or better recall it answered
in ~9 ms where IVF-PQ needed ~20 ms, and it trains in ~20 s instead of ~70 s.
"""

from __future__ import annotations

import math
from typing import Any

from lancedb.index import Bitmap, BTree, HnswSq

VECTOR_INDEX_MIN_ROWS = 10_000
ROWS_PER_PARTITION = 4096
NPROBES = 8
REFINE_FACTOR = 5
ALL_PARTITIONS = 1 << 20
VECTOR_INDEX_TYPE = "IvfHnswSq"


def search_key_index(table_name: str) -> Bitmap | BTree:
    """The index config for ``search_key`` of a text or vectors table of either kind."""
    return Bitmap() if table_name.startswith("knowledge_chunks") else BTree()


def upgrade_search_key_index(table_name: str, table: Any) -> None:
    """Replace a ``search_key`` index of another type (stores made before the bitmap)."""
    wanted = search_key_index(table_name)
    current = [ix for ix in table.list_indices() if ix.columns == ["search_key"]]
    if current and all(ix.index_type != type(wanted).__name__ for ix in current):
        for ix in current:
            table.drop_index(ix.name)
        table.create_index("search_key", config=wanted, replace=True)


def build_vector_index(table: Any, *, min_rows: int = 0) -> bool:
    """(Re)build the ANN index of a vectors table with at least ``min_rows`` rows if it needs one.

    A table needs one when it has none, when its index is of another type (IVF-PQ, made by
    earlier versions), or when it has grown to 4x the rows it was trained on (partitions would
    grow too large). The index is IVF-HNSW-SQ with cosine distance and one partition per
    ``ROWS_PER_PARTITION`` rows, named ``vector_idx_<partitions>p``; rows added later are folded
    in by ``optimize``. The old index serves queries until the new one replaces it. Training takes
    ~20 s at 100k 384-d rows on 2 cores.

    Returns:
        True if an index was built.
    """
    rows = table.count_rows()
    if rows < max(min_rows, 256):
        return False
    partitions = max(1, rows // ROWS_PER_PARTITION)
    current = [ix for ix in table.list_indices() if ix.columns == ["vector"]]
    if current and all(
        ix.index_type == VECTOR_INDEX_TYPE and trained_partitions(ix.name) * 4 > partitions for ix in current
    ):
        return False
    name = f"vector_idx_{partitions}p"
    table.create_index("vector", config=HnswSq(distance_type="cosine", num_partitions=partitions), name=name)
    for ix in current:
        if ix.name != name:
            table.drop_index(ix.name)
    return True


def probes_for_share(share: float) -> int:
    """IVF partitions to probe for a scope holding ``share`` (0-1) of a table's rows.

    ``NPROBES`` / share, so that about as many of the scope's rows are searched whatever its
    size: a tenant with few rows, whose nearest rows may lie far from the query (measured: recall@5
    0.55-0.67 for 40-200 rows probing 10 of 32 partitions), probes them all (LanceDB caps the count
    at the number of partitions).
    """
    return ALL_PARTITIONS if share <= 0 else min(ALL_PARTITIONS, math.ceil(NPROBES / share))


def trained_partitions(index_name: str) -> int:
    """The partition count recorded in an index name ``vector_idx_<n>p`` (0 if absent)."""
    tail = index_name.rsplit("_", 1)[-1]
    return int(tail[:-1]) if tail.endswith("p") and tail[:-1].isdigit() else 0
