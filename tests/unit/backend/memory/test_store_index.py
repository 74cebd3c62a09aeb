"""The store's indexes: ANN results stay right for big and small tenants; old stores are upgraded."""

from __future__ import annotations

from pathlib import Path

import lancedb
import numpy as np
import pytest
from lancedb.index import BTree, IvfPq

from backend.memory import indexes
from backend.memory.store import Row, Scope, Store

DIM = 16


def _vectors(rng: np.random.Generator, centres: np.ndarray, count: int) -> list[list[float]]:
    picked = centres[rng.integers(0, len(centres), count)] + 0.5 * rng.standard_normal((count, DIM))
    return (picked / np.linalg.norm(picked, axis=1, keepdims=True)).tolist()


def _fill(store: Store, scope: Scope, vectors: list[list[float]], prefix: str) -> None:
    rows = [Row(text=f"{prefix} {i}", source_id="s") for i in range(len(vectors))]
    for start in range(0, len(rows), 5000):
        store.add_vectors("knowledge", scope, "m", rows[start : start + 5000], vectors[start : start + 5000])


def _vector_indexes(store: Store) -> list[tuple[str, str]]:
    ((_dim, table),) = store.vector_tables("knowledge")
    return [(ix.name, ix.index_type) for ix in table.list_indices() if ix.columns == ["vector"]]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, np.ndarray]:
    """One table over the index threshold: a big agent (12,000 rows) and a small one (400 rows),
    with small partitions (256 rows) so that probing only a few of them could miss rows."""
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((32, DIM))
    store = Store(str(tmp_path_factory.mktemp("lance") / "db"))
    _fill(store, Scope.knowledge("w1", "big"), _vectors(rng, centres, 12_000), "big")
    _fill(store, Scope.knowledge("w2", "small"), _vectors(rng, centres, 400), "small")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(indexes, "ROWS_PER_PARTITION", 256)
        store.optimize("knowledge")
    return store, centres


def test_a_table_over_the_threshold_gets_an_hnsw_index(indexed: tuple[Store, np.ndarray]) -> None:
    store, _ = indexed
    assert _vector_indexes(store) == [("vector_idx_48p", "IvfHnswSq")]  # 12,400 rows // 256


@pytest.mark.parametrize(("workspace", "agent", "least_recall"), [("w1", "big", 0.9), ("w2", "small", 1.0)])
def test_indexed_search_finds_the_tenants_true_neighbours(
    indexed: tuple[Store, np.ndarray], workspace: str, agent: str, least_recall: float
) -> None:
    store, centres = indexed
    scope = Scope.knowledge(workspace, agent)
    queries = _vectors(np.random.default_rng(9), centres, 20)
    found = 0
    for query in queries:
        approx = store.search_vector("knowledge", scope, "m", query, 5)
        exact = store.search_vector("knowledge", scope, "m", query, 5, exact=True)
        assert len(approx) == 5 and all(h.text.startswith(agent) for h in approx)
        found += len({h.id for h in approx} & {h.id for h in exact})
    assert found / (5 * len(queries)) >= least_recall


def test_an_old_ivf_pq_index_is_replaced_and_growth_retrains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexes, "ROWS_PER_PARTITION", 256)
    rng = np.random.default_rng(5)
    centres = rng.standard_normal((8, DIM))
    store = Store(str(tmp_path / "db"))
    scope = Scope.knowledge("w1", "a1")
    _fill(store, scope, _vectors(rng, centres, 600), "a1")
    ((_dim, table),) = store.vector_tables("knowledge")
    table.create_index("vector", config=IvfPq(distance_type="cosine", num_partitions=2, num_sub_vectors=4))
    assert store.build_vector_index("knowledge") == 1
    assert _vector_indexes(store) == [("vector_idx_2p", "IvfHnswSq")]
    assert store.build_vector_index("knowledge") == 0  # up to date
    _fill(store, scope, _vectors(rng, centres, 1000), "a1")  # 1,600 rows: 6 partitions < 4 x 2
    assert store.build_vector_index("knowledge") == 0
    _fill(store, scope, _vectors(rng, centres, 600), "a1")  # 2,200 rows: 8 partitions = 4 x 2
    assert store.build_vector_index("knowledge") == 1
    assert _vector_indexes(store) == [("vector_idx_8p", "IvfHnswSq")]
    assert len(store.search_vector("knowledge", scope, "m", _vectors(rng, centres, 1)[0], 5)) == 5


def test_a_store_made_with_btree_search_keys_gets_the_bitmap_on_open(tmp_path: Path) -> None:
    uri = str(tmp_path / "db")
    scope = Scope.knowledge("w1", "a1")
    Store(uri).add("knowledge", scope, [Row(text="lighthouse keeper", source_id="s")])
    table = lancedb.connect(uri).open_table("knowledge_chunks")
    (old,) = [ix for ix in table.list_indices() if ix.columns == ["search_key"]]
    table.drop_index(old.name)
    table.create_index("search_key", config=BTree())
    reopened = Store(uri)
    assert [h.text for h in reopened.search_text("knowledge", scope, "lighthouse", 5)] == ["lighthouse keeper"]
    kinds = [ix.index_type for ix in reopened.text_table("knowledge").list_indices() if ix.columns == ["search_key"]]
    assert kinds == ["Bitmap"]
    memories = reopened.text_table("memory").list_indices()
    assert [ix.index_type for ix in memories if ix.columns == ["search_key"]] == ["BTree"]


def test_a_tenant_with_few_of_the_rows_probes_more_partitions() -> None:
    assert indexes.probes_for_share(1.0) == indexes.NPROBES
    assert indexes.probes_for_share(0.5) == 2 * indexes.NPROBES
    assert indexes.probes_for_share(0.001) == 1000 * indexes.NPROBES
    assert indexes.probes_for_share(0.0) == indexes.ALL_PARTITIONS
