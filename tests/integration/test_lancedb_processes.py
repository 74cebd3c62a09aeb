"""Several processes on one LanceDB directory (the app plus ``agenthub worker`` processes):
concurrent appends, deletes and an optimize all land, and each process sees the others' rows."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from backend.memory.store import Row, Scope, Store

BATCHES = 12
ROWS = 25


def _writer(uri: str, agent: str) -> None:
    store = Store(uri)
    scope = Scope.knowledge("w1", agent)
    for batch in range(BATCHES):
        rows = [Row(text=f"{agent} lighthouse note {batch}-{i}", source_id=f"s{batch}") for i in range(ROWS)]
        store.add("knowledge", scope, rows)
        store.add_vectors("knowledge", scope, "m", rows, [[1.0, float(i)] for i in range(ROWS)])
        if batch % 2:  # every other batch is removed again (a user deleting a file)
            store.delete("knowledge", scope, _source(f"s{batch}"))


def _optimizer(uri: str) -> None:
    store = Store(uri)
    for _ in range(8):
        store.optimize("knowledge")


def _source(source_id: str):  # type: ignore[no-untyped-def]
    from lancedb.expr import col, lit

    return col("source_id") == lit(source_id)


def test_two_writers_and_an_optimizer_in_other_processes(tmp_path: Path) -> None:
    uri = str(tmp_path / "lance")
    here = Store(uri)
    here.add("knowledge", Scope.knowledge("w1", "seed"), [Row(text="seed", source_id="s")])  # tables exist
    here.add_vectors("knowledge", Scope.knowledge("w1", "seed"), "m", [Row(text="seed", source_id="s")], [[1.0, 0.0]])
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(uri, a)) for a in ("a1", "a2")]
    workers.append(ctx.Process(target=_optimizer, args=(uri,)))
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
        assert p.exitcode == 0
    fresh = Store(uri)  # what a process opening the directory now sees
    for agent in ("a1", "a2"):
        scope = Scope.knowledge("w1", agent)
        assert fresh.count("knowledge", scope) == BATCHES // 2 * ROWS
        assert fresh.count("knowledge", scope, model_key="m") == BATCHES // 2 * ROWS
        hits = fresh.search_text("knowledge", scope, "lighthouse note", 200)
        assert len(hits) == BATCHES // 2 * ROWS and all(h.text.startswith(agent) for h in hits)
        # A process that had the directory open before sees the others' rows in its searches too.
        assert len(here.search_text("knowledge", scope, "lighthouse note", 200)) == BATCHES // 2 * ROWS
