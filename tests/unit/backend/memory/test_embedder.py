"""Choosing an embedding model: hybrid mode, background re-embedding with progress, switching back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor, PermissionDenied
from backend.db import session_scope
from backend.gateway.llm import GatewayError
from backend.memory.embedder import clear_embedding_model, embedding_status, set_embedding_model
from backend.memory.knowledge import UploadedFile, add_files, knowledge_progress
from backend.memory.retrieval import knowledge_search_for
from backend.memory.store import Scope, get_store
from backend.memory.worker import run_pending
from backend.models import Connection, Membership
from tests.support.documents import fixture_bytes


def _connection_id(actor: Actor) -> str:
    with session_scope() as s:
        return s.exec(select(Connection.id).where(Connection.workspace_id == actor.workspace_id)).one()


async def test_switching_models_reembeds_in_the_background(
    actor: Actor, make_agent: Callable[..., str], llm_server
) -> None:  # type: ignore[no-untyped-def]
    llm_server.embedding_models = ["test-embed", "test-embed-2"]
    agent = make_agent(actor, llm_server.base_url, llm_server.api_key)
    conn = _connection_id(actor)
    with session_scope() as s:
        add_files(
            actor=actor,
            agent_id=agent,
            files=[
                UploadedFile("ukrainian.txt", fixture_bytes("ukrainian.txt")),
                UploadedFile("german.txt", fixture_bytes("german.txt")),
            ],
            session=s,
        )
    await run_pending()
    scope = Scope.knowledge(actor.workspace_id, agent)
    rows = get_store().count("knowledge", scope)
    with session_scope() as s:
        assert embedding_status(actor=actor, session=s).mode == "keyword"

    status = await set_embedding_model(actor=actor, connection_id=conn, model="test-embed")
    assert status.status == "reembedding" and status.mode == "keyword"
    await run_pending()
    with session_scope() as s:
        status = embedding_status(actor=actor, session=s)
        assert knowledge_progress(actor=actor, agent_id=agent, session=s).mode == "hybrid"
    assert (status.mode, status.status, status.done, status.total, status.progress) == (
        "hybrid",
        "ready",
        rows,
        rows,
        1.0,
    )
    assert get_store().vector_bytes("knowledge", scope) == rows * 64 * 4

    # Hybrid retrieval: the vector half finds an inflected Ukrainian form BM25 alone misses.
    hits = await knowledge_search_for(actor=actor, agent_id=agent, query="відпустки", k=3)
    assert hits and "Відпустка" in hits[0].text

    # New uploads are embedded on ingestion.
    with session_scope() as s:
        add_files(
            actor=actor, agent_id=agent, files=[UploadedFile("readme.txt", fixture_bytes("readme.txt"))], session=s
        )
    await run_pending()
    assert get_store().vector_bytes("knowledge", scope) == (rows + 1) * 64 * 4

    await set_embedding_model(actor=actor, connection_id=conn, model="test-embed-2")
    await run_pending()
    with session_scope() as s:
        assert embedding_status(actor=actor, session=s).model == "test-embed-2"
    assert get_store().vector_bytes("knowledge", scope) == (rows + 1) * 64 * 4  # old model's vectors deleted

    with session_scope() as s:
        status = clear_embedding_model(actor=actor, session=s)
    assert status.mode == "keyword" and get_store().vector_bytes("knowledge", scope) == 0


async def test_a_wrong_model_is_refused_up_front(actor: Actor, make_agent: Callable[..., str], llm_server) -> None:  # type: ignore[no-untyped-def]
    make_agent(actor, llm_server.base_url, llm_server.api_key)
    with pytest.raises(GatewayError):
        await set_embedding_model(actor=actor, connection_id=_connection_id(actor), model="not-an-embedder")
    with session_scope() as s:
        assert embedding_status(actor=actor, session=s).mode == "keyword"


async def test_only_admins_choose_the_model(
    actor: Actor, make_actor: Callable[[], Actor], make_agent: Callable[..., str], llm_server
) -> None:  # type: ignore[no-untyped-def]
    make_agent(actor, llm_server.base_url, llm_server.api_key)
    other = make_actor()
    member = Actor(user_id=other.user_id, workspace_id=actor.workspace_id)
    with session_scope() as s:
        s.add(Membership(workspace_id=actor.workspace_id, user_id=other.user_id, role="builder"))
    with pytest.raises(PermissionDenied):
        await set_embedding_model(actor=member, connection_id=_connection_id(actor), model="test-embed")


async def test_embedding_outage_keeps_keyword_search(actor: Actor, make_agent: Callable[..., str], llm_server) -> None:  # type: ignore[no-untyped-def]
    agent = make_agent(actor, llm_server.base_url, llm_server.api_key)
    await set_embedding_model(actor=actor, connection_id=_connection_id(actor), model="test-embed")
    await run_pending()
    llm_server.fail_next(500, times=10)
    with session_scope() as s:
        add_files(
            actor=actor, agent_id=agent, files=[UploadedFile("readme.txt", fixture_bytes("readme.txt"))], session=s
        )
    await run_pending()
    with session_scope() as s:
        (source,) = knowledge_progress(actor=actor, agent_id=agent, session=s).sources
    assert source.status == "indexed" and source.error.startswith("Indexed for keyword search only")
    hits = await knowledge_search_for(actor=actor, agent_id=agent, query="irrigation pump", k=3)
    assert hits and "28 percent" in hits[0].text


async def test_deleted_embedding_connection_falls_back_to_keywords(
    actor: Actor, make_agent: Callable[..., str], llm_server
) -> None:  # type: ignore[no-untyped-def]
    from backend.connections.service import create_connection, delete_connection

    agent = make_agent(actor)
    with session_scope() as s:
        conn = create_connection(
            actor=actor,
            name="Embeddings",
            provider="openai_compatible",
            api_key=llm_server.api_key,
            base_url=llm_server.base_url,
            session=s,
        )
        add_files(
            actor=actor, agent_id=agent, files=[UploadedFile("readme.txt", fixture_bytes("readme.txt"))], session=s
        )
    await set_embedding_model(actor=actor, connection_id=conn.id, model="test-embed")
    await run_pending()
    with session_scope() as s:
        delete_connection(actor=actor, connection_id=conn.id, session=s)
    hits = await knowledge_search_for(actor=actor, agent_id=agent, query="irrigation pump", k=3)
    assert hits and "28 percent" in hits[0].text


async def test_embedding_calls_are_recorded_as_usage(actor: Actor, make_agent: Callable[..., str], llm_server) -> None:  # type: ignore[no-untyped-def]
    from backend.models import UsageRecord

    llm_server.embedding_models = ["test-embed"]
    agent = make_agent(actor, llm_server.base_url, llm_server.api_key)
    with session_scope() as s:
        add_files(
            actor=actor, agent_id=agent, files=[UploadedFile("german.txt", fixture_bytes("german.txt"))], session=s
        )
    await run_pending()
    await set_embedding_model(actor=actor, connection_id=_connection_id(actor), model="test-embed")
    await run_pending()
    with session_scope() as s:
        rows = s.exec(
            select(UsageRecord).where(
                UsageRecord.workspace_id == actor.workspace_id, UsageRecord.cost_note == "embedding"
            )
        ).all()
    assert rows and all(r.model == "test-embed" and r.status == "ok" and not r.streamed for r in rows)
    assert sum(r.prompt_tokens for r in rows) > 0  # the test server reports input tokens
