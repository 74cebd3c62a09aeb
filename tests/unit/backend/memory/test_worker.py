"""The in-process worker thread ingests queued sources on its own; progress is polled from the DB."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.memory.knowledge import UploadedFile, add_files, knowledge_progress
from backend.memory.worker import MemoryWorker
from tests.unit.backend.memory.conftest import fixture_bytes


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
