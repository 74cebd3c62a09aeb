"""Retrieval: reciprocal-rank fusion, hit@5 on a small labelled set, context and citations."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlmodel import select

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.memory.embedder import set_embedding_model
from backend.memory.knowledge import add_text
from backend.memory.retrieval import Passage, cited_passages, format_context, knowledge_search_for, rrf
from backend.memory.store import Hit
from backend.memory.worker import run_pending
from backend.models import Connection
from tests.support.documents import FIXTURES

HIT_AT_5_FLOOR = 0.8


def _hit(hit_id: str) -> Hit:
    return Hit(hit_id, "s", "t", "", hit_id, 0.0)


def test_rrf_rewards_agreement_and_keeps_singletons() -> None:
    fused = rrf([[_hit("a"), _hit("b"), _hit("c")], [_hit("c"), _hit("a"), _hit("d")]])
    assert [h.id for h in fused] == ["a", "c", "b", "d"]
    assert fused[0].score == 1 / 61 + 1 / 62
    assert [h.id for h in rrf([[_hit("x")], []], limit=1)] == ["x"]


async def _hit_at_5(actor: Actor, agent: str, labelled: dict, by_source: dict[str, str]) -> tuple[float, list[str]]:
    misses = []
    for item in labelled["queries"]:
        passages = await knowledge_search_for(actor=actor, agent_id=agent, query=item["q"], k=5)
        if item["doc"] not in [by_source[p.source_id] for p in passages]:
            misses.append(item["q"])
    return 1 - len(misses) / len(labelled["queries"]), misses


async def test_hit_at_5_on_the_labelled_set(actor: Actor, make_agent: Callable[..., str], llm_server) -> None:  # type: ignore[no-untyped-def]
    labelled = json.loads((FIXTURES / "retrieval_set.json").read_text(encoding="utf-8"))
    agent = make_agent(actor, llm_server.base_url, llm_server.api_key)
    by_source: dict[str, str] = {}
    with session_scope() as s:
        for name, text in labelled["documents"].items():
            by_source[add_text(actor=actor, agent_id=agent, title=name, text=text, session=s).id] = name
    await run_pending()
    keyword, keyword_misses = await _hit_at_5(actor, agent, labelled, by_source)
    with session_scope() as s:
        conn = s.exec(select(Connection.id).where(Connection.workspace_id == actor.workspace_id)).one()
    await set_embedding_model(actor=actor, connection_id=conn, model="test-embed")
    await run_pending()
    hybrid, hybrid_misses = await _hit_at_5(actor, agent, labelled, by_source)
    n = len(labelled["queries"])
    print(
        f"\nhit@5 on {n} labelled queries: keyword (BM25) {keyword:.2f}, "
        f"hybrid (BM25 + trigram vectors, RRF) {hybrid:.2f}"
    )
    print(f"keyword misses: {keyword_misses}\nhybrid misses: {hybrid_misses}")
    assert keyword >= HIT_AT_5_FLOOR and hybrid >= HIT_AT_5_FLOOR


def _passage(label: str, kind: str = "knowledge", source: str = "s1", location: str = "") -> Passage:
    return Passage(label, kind, source, f"c{label}", f"Doc {source}", location, f"text {label} " * 100, 1.0)


def test_context_labels_sources_and_marks_memories() -> None:
    text = format_context([_passage("1", location="p. 2"), _passage("2", kind="memory", source="conv")])
    assert "[1] (document: Doc s1, p. 2)" in text and "[2] (memory: Doc conv)" in text
    assert format_context([]) == ""


def test_citations_follow_the_answer_or_fall_back_to_the_documents_used() -> None:
    passages = [_passage("1", source="a"), _passage("2", source="b"), _passage("3", kind="memory", source="m")]
    cited = cited_passages("See [3] and [2], also [9].", passages)
    assert [(p.source_id, p.label) for p in cited] == [("m", "3"), ("b", "2")]
    assert [(p.source_id, p.label) for p in cited_passages("No citations here.", passages)] == [("a", "1"), ("b", "2")]
    same_place = [_passage("1", source="a", location="p. 1"), _passage("2", source="a", location="p. 1")]
    assert [p.label for p in cited_passages("[2] and [1]", same_place)] == ["2, 1"]
    assert len(passages[0].snippet) <= 300 and passages[0].snippet.endswith("…")
