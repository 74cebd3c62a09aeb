"""LanceDB on object storage (``AGENTHUB_LANCEDB_URI=s3://...``) against an S3-compatible server
(moto): several processes writing one store stay consistent, and the start-up check names the
variable when the bucket does not exist (issue 17)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator

import pytest

from backend.config import Settings
from backend.memory.store import Row, Scope, Store
from backend.preflight import StartupError, check_services
from tests.support.s3_server import s3_server

BATCHES = 8
ROWS = 20


@pytest.fixture
def s3_uri(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with s3_server() as (bucket, env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield f"s3://{bucket}/lance"


def _writer(uri: str, agent: str, env: dict[str, str]) -> None:
    os.environ.update(env)
    store = Store(uri)
    scope = Scope.knowledge("w1", agent)
    for batch in range(BATCHES):
        rows = [Row(text=f"{agent} lighthouse note {batch}-{i}", source_id=f"s{batch}") for i in range(ROWS)]
        store.add("knowledge", scope, rows)
        store.add_vectors("knowledge", scope, "m", rows, [[1.0, float(i)] for i in range(ROWS)])
        if batch % 2:  # every other batch is removed again (a user deleting a file)
            from lancedb.expr import col, lit

            store.delete("knowledge", scope, col("source_id") == lit(f"s{batch}"))


def _optimizer(uri: str, env: dict[str, str]) -> None:
    os.environ.update(env)
    store = Store(uri)
    for _ in range(4):
        store.optimize("knowledge")


def test_processes_writing_one_object_store_stay_consistent(s3_uri: str) -> None:
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    here = Store(s3_uri)
    seed = Scope.knowledge("w1", "seed")
    here.add("knowledge", seed, [Row(text="seed", source_id="s")])  # tables exist
    here.add_vectors("knowledge", seed, "m", [Row(text="seed", source_id="s")], [[1.0, 0.0]])
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(s3_uri, a, env)) for a in ("a1", "a2")]
    procs.append(ctx.Process(target=_optimizer, args=(s3_uri, env)))
    for p in procs:
        p.start()
    for p in procs:
        p.join(240)
        assert p.exitcode == 0
    fresh = Store(s3_uri)
    for agent in ("a1", "a2"):
        scope = Scope.knowledge("w1", agent)
        assert fresh.count("knowledge", scope) == BATCHES // 2 * ROWS
        assert fresh.count("knowledge", scope, model_key="m") == BATCHES // 2 * ROWS
        hits = fresh.search_text("knowledge", scope, "lighthouse note", 200)
        assert len(hits) == BATCHES // 2 * ROWS and all(h.text.startswith(agent) for h in hits)


def test_missing_bucket_is_named_at_start(s3_uri: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'a.db'}", lancedb_uri="s3://no-such-bucket-here/x"
    )
    with pytest.raises(StartupError, match=r"AGENTHUB_LANCEDB_URI: cannot open s3://no-such-bucket-here/x"):
        check_services(settings)
