"""The LanceDB store: the tenant filter on every path, multilingual BM25, vectors, deletes."""

from __future__ import annotations

from pathlib import Path

import pytest
from lancedb.expr import col, lit

from backend.memory.store import Row, Scope, ScopeError, Store, tenant_filter


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(str(tmp_path / "lance"))


def test_tenant_filter_always_has_the_workspace_and_quotes_safely() -> None:
    assert tenant_filter(Scope("w1", "a1", "")).to_sql() == "(search_key = 'w1/a1/')"
    assert tenant_filter(Scope("w1", "a1", "u1"), model_key="m").to_sql() == "(search_key = 'w1/a1/u1#m')"
    by_columns = tenant_filter(Scope("w1", "a1", "u1"), any_model=True).to_sql()
    assert (
        "workspace_id = 'w1'" in by_columns and "agent_id = 'a1'" in by_columns and "end_user_id = 'u1'" in by_columns
    )
    assert tenant_filter(Scope("w1", None, None)).to_sql() == "(workspace_id = 'w1')"
    with_extra = tenant_filter(Scope("w1", "a1", ""), col("source_id") == lit("x' OR '1'='1")).to_sql()
    assert "'x'' OR ''1''=''1'" in with_extra  # a literal, quotes doubled


@pytest.mark.parametrize(
    "bad",
    [("", "a", ""), ("w' OR 1=1 --", "a", ""), ("w", "a b", ""), ("w", None, "u"), ("w", "a", "u'; DROP")],
)
def test_malformed_or_missing_ids_are_rejected(bad: tuple[str, str | None, str | None]) -> None:
    with pytest.raises(ScopeError):
        Scope(*bad)


def test_searching_and_writing_need_a_complete_scope(store: Store) -> None:
    with pytest.raises(ScopeError):
        store.search_text("knowledge", Scope("w1", "a1", None), "x", 5)
    with pytest.raises(ScopeError):
        store.search_vector("memory", Scope("w1", None, None), "m", [1.0, 0.0], 5)
    with pytest.raises(ScopeError):
        store.add("knowledge", Scope("w1", None, None), [Row(text="x", source_id="s")])
    with pytest.raises(ScopeError):
        Scope.memories("w1", "a1", "")


def test_rows_of_other_tenants_are_never_returned(store: Store) -> None:
    mine, other_ws, other_agent = Scope.knowledge("w1", "a1"), Scope.knowledge("w2", "a1"), Scope.knowledge("w1", "a2")
    store.add("knowledge", mine, [Row(text="the zebra code is 1111", source_id="s1")])
    store.add("knowledge", other_ws, [Row(text="the zebra code is 2222", source_id="s2")])
    store.add("knowledge", other_agent, [Row(text="the zebra code is 3333", source_id="s3")])
    assert [h.text for h in store.search_text("knowledge", mine, "zebra code", 10)] == ["the zebra code is 1111"]
    assert [r["text"] for r in store.scan("knowledge", mine)] == ["the zebra code is 1111"]
    assert store.count("knowledge", Scope("w1", None, None)) == 2
    user_x, user_y = Scope.memories("w1", "a1", "x"), Scope.memories("w1", "a1", "y")
    store.add("memory", user_x, [Row(text="x likes green tea", source_id="c1")])
    assert store.search_text("memory", user_y, "green tea", 5) == []
    assert store.search_text("knowledge", Scope("w1", "a1", "x"), "zebra", 5) == []  # a user's scope is not knowledge


def test_tenant_columns_come_from_the_scope_not_the_row(store: Store) -> None:
    store.add("knowledge", Scope.knowledge("w1", "a1"), [Row(text="alpha", source_id="s")])
    (row,) = store.scan(
        "knowledge", Scope("w1", None, None), columns=["workspace_id", "agent_id", "end_user_id", "search_key"]
    )
    assert row == {"workspace_id": "w1", "agent_id": "a1", "end_user_id": "", "search_key": "w1/a1/"}


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Київ є столицею України, офіс на Подолі біля Дніпра.", "столицею України"),
        ("Ausgeliehene Bücher müssen innerhalb von vier Wochen zurückgegeben werden.", "Bücher zurückgegeben"),
        ("Die Bibliothek schließt um zwanzig Uhr.", "schliesst"),  # ASCII folding: ß ~ ss
        ("東京本社は品川駅の近くにあります。", "品川駅"),  # ICU word segmentation for Japanese
        ("社員食堂は午前十一時から営業しています。", "社員食堂"),
    ],
)
def test_bm25_finds_ukrainian_german_and_japanese(store: Store, text: str, query: str) -> None:
    scope = Scope.knowledge("w1", "a1")
    store.add("knowledge", scope, [Row(text=text, source_id="s"), Row(text="unrelated english text", source_id="t")])
    hits = store.search_text("knowledge", scope, query, 5)
    assert hits and hits[0].text == text


def test_vectors_are_per_model_and_deleted_with_their_rows(store: Store) -> None:
    scope = Scope.knowledge("w1", "a1")
    rows = [Row(text="north", source_id="s1"), Row(text="east", source_id="s2")]
    store.add("knowledge", scope, rows)
    store.add_vectors("knowledge", scope, "m1", rows, [[1.0, 0.0], [0.0, 1.0]])
    store.add_vectors("knowledge", Scope.knowledge("w2", "a1"), "m1", [Row(text="x", source_id="z")], [[1.0, 0.0]])
    hits = store.search_vector("knowledge", scope, "m1", [0.9, 0.1], 5)
    assert [h.text for h in hits] == ["north", "east"] and hits[0].score > hits[1].score
    assert store.search_vector("knowledge", scope, "m2", [0.9, 0.1], 5) == []
    assert store.search_vector("knowledge", scope, "m1", [0.1, 0.2, 0.3], 5) == []  # no 3-d table
    store.delete("knowledge", scope, col("source_id") == lit("s1"))
    assert [h.text for h in store.search_vector("knowledge", scope, "m1", [1.0, 0.0], 5)] == ["east"]
    assert store.count("knowledge", scope) == 1 and store.vector_bytes("knowledge", scope) == 8
    store.delete_vectors("knowledge", scope, keep_model_key="other")
    assert store.count("knowledge", scope, model_key="m1") == 0


def test_optimize_keeps_results(store: Store) -> None:
    scope = Scope.knowledge("w1", "a1")
    store.add("knowledge", scope, [Row(text=f"document {i} about lighthouses", source_id="s") for i in range(20)])
    store.optimize()
    store.add("knowledge", scope, [Row(text="a late lighthouse keeper note", source_id="s")])
    assert len(store.search_text("knowledge", scope, "lighthouse", 50)) == 21


def test_a_preempted_commit_is_retried_and_other_errors_are_not(monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.memory import store as store_module

    monkeypatch.setattr(store_module.time, "sleep", lambda _s: None)
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("lance error: Retryable commit conflict for version 20: preempted. Please retry.")
        return "done"

    assert store_module.retrying(flaky) == "done" and len(calls) == 3
    with pytest.raises(RuntimeError, match="disk full"):
        store_module.retrying(lambda: (_ for _ in ()).throw(RuntimeError("disk full")))
    with pytest.raises(RuntimeError, match="commit conflict"):
        store_module.retrying(lambda: (_ for _ in ()).throw(RuntimeError("Retryable commit conflict")), attempts=2)
