"""The in-process worker thread ingests queued sources on its own; progress is polled from the DB."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.memory.knowledge import UploadedFile, add_files, knowledge_progress
from backend.memory.worker import MemoryWorker
from tests.support.documents import fixture_bytes


async def test_worker_thread_indexes_and_progress_reaches_one(actor: Actor, make_agent: Callable[..., str]) -> None:
    agent = make_agent(actor)
    worker = MemoryWorker()
    worker.start()
    try:
        with session_scope() as s:
            add_files(
                actor=actor,
                agent_id=agent,
                files=[
                    UploadedFile("handbook.pdf", fixture_bytes("handbook.pdf")),
                    UploadedFile("policy.docx", fixture_bytes("policy.docx")),
                ],
                session=s,
            )
        worker.notify()
        deadline = time.monotonic() + 30
        seen: list[float] = []
        while time.monotonic() < deadline:
            with session_scope() as s:
                progress = knowledge_progress(actor=actor, agent_id=agent, session=s)
            seen.append(progress.progress)
            if not progress.busy:
                break
            await asyncio.sleep(0.05)
    finally:
        worker.stop()
    assert not worker.running
    assert [x.status for x in progress.sources] == ["indexed", "indexed"] and progress.progress == 1.0
    assert seen == sorted(seen)


async def test_uploads_are_indexed_while_index_upkeep_runs(
    actor: Actor, make_agent: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.memory import worker as worker_module
    from backend.memory.store import Store

    release = threading.Event()
    started = threading.Event()

    def slow_optimize(self: Store, kind: object = None) -> None:  # a long index build
        started.set()
        release.wait(30)

    monkeypatch.setattr(Store, "optimize", slow_optimize)
    monkeypatch.setattr(worker_module, "OPTIMIZE_EVERY_S", 0.0)
    agent = make_agent(actor)
    worker = MemoryWorker()
    worker.start()
    try:
        for name in ("handbook.pdf", "policy.docx"):
            with session_scope() as s:
                add_files(actor=actor, agent_id=agent, files=[UploadedFile(name, fixture_bytes(name))], session=s)
            worker.notify()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with session_scope() as s:
                    progress = knowledge_progress(actor=actor, agent_id=agent, session=s)
                if not progress.busy:
                    break
                await asyncio.sleep(0.05)
            assert started.wait(10) and worker.optimizing  # the first upload started upkeep; it still runs
        assert [x.status for x in progress.sources] == ["indexed", "indexed"]
    finally:
        release.set()
        worker.stop()
