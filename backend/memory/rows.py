"""Row shapes of the LanceDB tables: what is written (:class:`Row`), what a search returns
(:class:`Hit`), the Arrow schemas and table names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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
    """A search result: the row's columns plus ``score`` (BM25 score or cosine similarity)."""

    id: str
    source_id: str
    ref_id: str
    title: str
    location: str
    position: int
    text: str
    created_at: datetime
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


def to_hit(row: dict[str, Any], score: float) -> Hit:
    return Hit(
        id=row["id"],
        source_id=row["source_id"],
        ref_id=row["ref_id"],
        title=row["title"],
        location=row["location"],
        position=int(row["position"] or 0),
        text=row["text"],
        created_at=row["created_at"],
        score=score,
    )
