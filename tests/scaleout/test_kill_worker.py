"""kill -9 of the worker ingesting a file (issue 17, fault 2): its lease expires, the other worker
re-claims the file and finishes it, and every passage is indexed exactly once."""

from __future__ import annotations

import time

import pytest
from lancedb.expr import col as lcol
from lancedb.expr import lit

from backend.db import session_scope
from backend.memory.knowledge import add_text
from backend.memory.store import Scope, get_store
from backend.models import KnowledgeSource
from tests.support.e2e import add_agent, add_connection
from tests.support.scaleout_checks import wait_for

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(600)]
# About 1.5 MB of prose in short paragraphs: thousands of passages, so ingestion takes seconds.
TEXT = "\n\n".join(
    f"Section {i}. The harbour master logs ship {i} arriving with {i * 7 % 13} containers of tea and "
    f"{i * 3 % 11} crates of porcelain; the tide table for day {i % 365} says high water at {i % 24}:00."
    for i in range(9000)
)


def _source(source_id: str) -> KnowledgeSource:
    with session_scope() as s:
        row = s.get(KnowledgeSource, source_id)
        assert row is not None
        s.expunge(row)
        return row


def test_kill_9_worker_mid_ingestion_another_finishes_once(profile, make_actor, llm) -> None:  # type: ignore[no-untyped-def]
    actor = make_actor()
    agent_id = add_agent(actor, add_connection(actor, llm), name="Harbour")
    logs = {w.name: len(w.log.read_bytes()) for w in profile.workers}
    with session_scope() as s:
        source_id = add_text(actor=actor, agent_id=agent_id, title="Harbour log", text=TEXT, session=s).id
    marker = f"ingesting knowledge source {source_id}".encode()

    def claimer() -> list[int]:
        return [i for i, w in enumerate(profile.workers) if marker in w.log.read_bytes()[logs[w.name] :]]

    [victim] = wait_for(claimer, timeout_s=60, every_s=0.05)  # type: ignore[misc]
    profile.workers[victim].kill9()
    killed_at = time.monotonic()
    assert _source(source_id).status != "indexed"  # killed mid-ingestion
    other = profile.workers[1 - victim]
    try:
        wait_for(lambda: marker in other.log.read_bytes(), timeout_s=60)  # re-claimed after the lease
        assert time.monotonic() - killed_at >= 3  # not before the lease (AGENTHUB_INGEST_LEASE_S=4) expired
        done = wait_for(lambda: (row := _source(source_id)).status in ("indexed", "failed") and row, timeout_s=120)
        assert done.status == "indexed", done.error  # type: ignore[union-attr]
        assert done.chunk_count > 1000 and done.chunks_done == done.chunk_count  # type: ignore[union-attr]
        scope = Scope.knowledge(actor.workspace_id, agent_id)
        stored = get_store().count("knowledge", scope, lcol("source_id") == lit(source_id))
        assert stored == done.chunk_count  # type: ignore[union-attr]  # no passage indexed twice
    finally:
        profile.start_worker(victim)  # the supervisor restarts it
