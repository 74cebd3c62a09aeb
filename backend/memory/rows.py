"""Row shapes of the LanceDB tables: what is written (:class:`Row`), what a search returns
(:class:`Hit`), the Arrow schemas and table names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from backend.memory.tenancy import Kind
from backend.models.common import new_id, utcnow

TEXT_TABLES: dict[str, str] = {"knowledge": "knowledge_chunks", "memory": "memories"}
TEXT_COLUMNS = [
    "id",
    "workspace_id",
    "agent_id",
    "end_user_id",
    "source_id",
    "ref_id",
    "title",
    "location",
    "position",
    "text",
    "created_at",
]

# What a search reads per hit: each further column costs another read per row (~0.5 ms a query).
HIT_COLUMNS = ["id", "source_id", "title", "location", "text"]


@dataclass
class Row:
    """A row to write; tenant columns come from the scope passed with it."""

    text: str
    source_id: str
    title: str = ""
    location: str = ""
    position: int = 0
    ref_id: str = ""
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class Hit:
    """A search result: the ``HIT_COLUMNS`` of a row plus ``score`` (BM25 score or cosine similarity)."""

    id: str
    source_id: str
    title: str
    location: str
    text: str
    score: float


def schema(dim: int | None) -> pa.Schema:
    fields = [pa.field(name, pa.string()) for name in TEXT_COLUMNS[:8]]
    fields += [
        pa.field("position", pa.int32()),
        pa.field("text", pa.string()),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
        pa.field("search_key", pa.string()),
    ]
    if dim is not None:
        fields += [pa.field("model_key", pa.string()), pa.field("vector", pa.list_(pa.float32(), dim))]
    return pa.schema(fields)


def vector_table_name(kind: Kind, dim: int) -> str:
    """Name of the vectors table of ``kind`` for vectors of length ``dim``."""
    return f"{TEXT_TABLES[kind]}_vectors_{int(dim)}"


def to_hits(table: pa.Table, score_column: str, *, similarity: bool = False) -> list[Hit]:
    """Hits from a search result with ``HIT_COLUMNS`` and a score column.

    ``similarity=True`` turns a cosine distance (``_distance``) into similarity (1 - distance).
    """
    columns = {name: table.column(name).to_pylist() for name in (*HIT_COLUMNS, score_column)}
    scores = [(1.0 - float(v)) if similarity else float(v) for v in columns[score_column]]
    return [
        Hit(id=i, source_id=s, title=t, location=loc, text=x, score=score)
        for i, s, t, loc, x, score in zip(
            columns["id"],
            columns["source_id"],
            columns["title"],
            columns["location"],
            columns["text"],
            scores,
            strict=True,
        )
    ]
