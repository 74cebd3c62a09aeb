"""Knowledge sources, agent memory settings, the workspace's embedding model and stored citations.

The text and vectors themselves live in LanceDB (``backend.memory.store``); these tables hold
what the builder sees and polls: each source's ingestion status and progress, the memory switch
and pruning rules, and the re-embedding progress.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from backend.models.common import new_id, utcnow

SOURCE_STATUSES = ("queued", "parsed", "chunked", "indexed", "failed")


class KnowledgeSource(SQLModel, table=True):
    """One knowledge source of an agent: an uploaded file, pasted text or a URL.

    ``status`` moves ``queued`` -> ``parsed`` -> ``chunked`` -> ``indexed``, or ends in ``failed``
    with ``error`` in plain words. ``kind`` is ``file``, ``text`` or ``url``; ``file_type`` the
    parser used (``txt``, ``md``, ``pdf``, ``html``, ``csv``, ``docx``). Sizes are bytes;
    ``chunks_done``/``chunk_count`` drive the progress bar.
    """

    __tablename__ = "knowledge_sources"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    agent_id: str = Field(foreign_key="agents.id", index=True, max_length=32)
    kind: str = Field(max_length=10)
    name: str = Field(max_length=255)
    url: str | None = Field(default=None, max_length=2000)
    file_type: str = Field(default="", max_length=10)
    size_bytes: int = 0
    status: str = Field(default="queued", index=True, max_length=10)
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    chunk_count: int = 0
    chunks_done: int = 0
    claimed_at: datetime | None = None
    created_by: str = Field(foreign_key="users.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    indexed_at: datetime | None = None


class KnowledgeUpload(SQLModel, table=True):
    """The raw bytes of a queued source, kept only until it is parsed (works across processes)."""

    __tablename__ = "knowledge_uploads"

    source_id: str = Field(
        sa_column=Column(String(32), ForeignKey("knowledge_sources.id", ondelete="CASCADE"), primary_key=True)
    )
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AgentMemorySettings(SQLModel, table=True):
    """An agent's long-term memory switch and pruning rules.

    ``max_age_days``: memories older than this many days are deleted (None: keep).
    ``max_rows``: at most this many memories per end user (oldest go first; None: no cap).
    """

    __tablename__ = "agent_memory_settings"

    agent_id: str = Field(foreign_key="agents.id", primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    enabled: bool = False
    max_age_days: int | None = None
    max_rows: int | None = None
    pruned_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class EmbeddingSettings(SQLModel, table=True):
    """The workspace's embedding model and the state of (re-)embedding its rows.

    ``connection_id``/``model`` are the chosen model (None/"" = keyword mode). ``active_key``
    names the vectors retrieval uses now ("" = keyword only); it changes to ``target_key`` when a
    re-embedding finishes. ``status``: ``ready``, ``reembedding`` or ``failed``; ``done``/``total``
    count rows (chunks + memories) for the progress bar. ``dimension`` is the vector length.
    """

    __tablename__ = "embedding_settings"

    workspace_id: str = Field(foreign_key="workspaces.id", primary_key=True, max_length=32)
    connection_id: str | None = Field(default=None, max_length=32)
    model: str = Field(default="", max_length=200)
    dimension: int = 0
    target_key: str = Field(default="", max_length=40)
    active_key: str = Field(default="", max_length=40)
    status: str = Field(default="ready", max_length=20)
    done: int = 0
    total: int = 0
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    claimed_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class MessageCitation(SQLModel, table=True):
    """A source cited under an assistant message (``source_id`` is a knowledge source or memory)."""

    __tablename__ = "message_citations"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    message_id: str = Field(
        sa_column=Column(String(32), ForeignKey("messages.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    position: int = 0
    kind: str = Field(default="knowledge", max_length=10)
    source_id: str = Field(max_length=32)
    title: str = Field(default="", max_length=255)
    location: str = Field(default="", max_length=60)
    label: str = Field(default="", max_length=40)
    snippet: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class KnowledgeSourcePublic(SQLModel):
    """A row of the builder's knowledge panel. ``progress`` is 0.0-1.0."""

    id: str
    kind: str
    name: str
    url: str | None
    file_type: str
    size_bytes: int
    status: str
    error: str
    chunk_count: int
    progress: float
    created_at: datetime
    indexed_at: datetime | None


class KnowledgeProgress(SQLModel):
    """The knowledge panel's progress bar: ``progress`` 0.0-1.0 over sources still in flight,
    and the workspace's knowledge storage: ``storage_used_bytes`` of ``storage_quota_bytes``."""

    sources: list[KnowledgeSourcePublic]
    progress: float
    busy: bool
    mode: str
    storage_used_bytes: int = 0
    storage_quota_bytes: int = 0


class MemorySettingsPublic(SQLModel):
    """The memory switch and pruning rules as the builder shows them."""

    enabled: bool
    max_age_days: int | None
    max_rows: int | None


class EmbeddingStatusPublic(SQLModel):
    """Keyword or hybrid mode and re-embedding progress (``progress`` 0.0-1.0)."""

    mode: str
    connection_id: str | None
    model: str
    status: str
    progress: float
    done: int
    total: int
    error: str


class MemoryStats(SQLModel):
    """Per-agent storage figures: ``rows``, ``bytes`` (UTF-8 text plus vectors), last write time."""

    knowledge_rows: int
    knowledge_bytes: int
    memory_rows: int
    memory_bytes: int
    last_indexed_at: datetime | None


class CitationPublic(SQLModel):
    """A cited source under an answer; ``label``: the number(s) the answer cites it by (``"1, 3"``)."""

    kind: str
    source_id: str
    title: str
    location: str
    label: str
    snippet: str
