"""Benchmark: top-5 retrieval latency (FTS, vector, hybrid) and ingestion throughput on LanceDB.

Run from the repository root::

    .venv/bin/python benchmarks/memory_query.py                 # 10k and 100k chunks, 384-d vectors
    .venv/bin/python benchmarks/memory_query.py --sizes 10000 --dim 768 --queries 300

Builds a throw-away store in a temporary directory with the production code
(``backend.memory.store`` and ``backend.memory.retrieval``): one agent holding N chunks of
synthetic text (Zipf-distributed words, ~80 words per chunk) with random unit vectors, plus a
second tenant holding 10% as many rows and a third with 200 rows on other topics, so the tenant
filter has something to exclude and recall is checked for small tenants too. Prints
p50/p95 in ms for each query type and size, and ingestion throughput in chunks/s for
(a) store writes (text + vectors, the embedding call excluded: it is the provider's time) and
(b) the whole keyword pipeline on a text file (parse -> chunk -> index).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from backend.memory.chunking import chunk_sections  # noqa: E402
from backend.memory.indexes import NPROBES, REFINE_FACTOR  # noqa: E402
from backend.memory.parsing import parse_document  # noqa: E402
from backend.memory.retrieval import search  # noqa: E402
from backend.memory.store import Row, Scope, Store  # noqa: E402

MODEL_KEY = "bench-model"
BATCH = 5000


class FixedEmbedder:
    """Stands in for the workspace embedder; the benchmark always passes the query vector."""

    key = MODEL_KEY

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        raise AssertionError("not used: query vectors are precomputed")


def _vocabulary(rng: np.random.Generator, size: int = 20000) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(3, 11, size)
    return np.array(["".join(rng.choice(letters, n)) for n in lengths])


def _texts(rng: np.random.Generator, vocab: np.ndarray, count: int, words: int = 80) -> list[str]:
    ranks = np.minimum(rng.zipf(1.1, size=(count, words)) - 1, len(vocab) - 1)
    return [" ".join(vocab[row]) for row in ranks]


def _unit(rng: np.random.Generator, count: int, centres: np.ndarray) -> np.ndarray:
    """Unit vectors around the given centres (real embeddings cluster; uniform noise does not)."""
    clusters, dim = centres.shape
    vectors = centres[rng.integers(0, clusters, count)] + 0.6 * rng.standard_normal((count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _fill(store: Store, scope: Scope, texts: list[str], vectors: np.ndarray) -> float:
    """Write rows and vectors in batches; returns seconds taken."""
    started = time.perf_counter()
    for start in range(0, len(texts), BATCH):
        rows = [
            Row(text=t, source_id=f"s{(start + i) // 50}", position=i)
            for i, t in enumerate(texts[start : start + BATCH])
        ]
        store.add("knowledge", scope, rows)
        store.add_vectors("knowledge", scope, MODEL_KEY, rows, vectors[start : start + BATCH].tolist())
    return time.perf_counter() - started


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def _time(fn: Callable[[int], object], n: int, warmup: int = 10) -> tuple[float, float]:
    for i in range(warmup):
        fn(i)
    samples = []
    for i in range(n):
        started = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - started) * 1000)
    return _percentiles(samples)


def bench_size(n: int, *, dim: int, queries: int, index: str, rng: np.random.Generator, vocab: np.ndarray) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(str(Path(tmp) / "lance"))
        scope = Scope.knowledge("benchworkspace", "benchagent")
        noise = Scope.knowledge("otherworkspace", "otheragent")
        centres = rng.standard_normal((256, dim)).astype(np.float32)
        texts = _texts(rng, vocab, n)
        seconds = _fill(store, scope, texts, _unit(rng, n, centres))
        _fill(store, noise, _texts(rng, vocab, n // 10), _unit(rng, n // 10, centres))
        small = Scope.knowledge("smallworkspace", "smallagent")
        small_centres = rng.standard_normal((16, dim)).astype(np.float32)
        _fill(store, small, _texts(rng, vocab, 200), _unit(rng, 200, small_centres))
        print(f"\n== {n:,} chunks for one agent (+{n // 10:,} of another tenant, +200 of a third), {dim}-d vectors")
        print(f"store writes (text + vector rows): {n / seconds:,.0f} chunks/s")
        started = time.perf_counter()
        store.optimize()
        if index == "none":
            for _dim, table in store.vector_tables("knowledge"):
                for ix in table.list_indices():
                    if ix.columns == ["vector"]:
                        table.drop_index(ix.name)
        ann = any(ix.columns == ["vector"] for _d, t in store.vector_tables("knowledge") for ix in t.list_indices())
        print(
            f"optimize (FTS + scalar index merge{'' if index == 'none' else ', ANN index when due'}): "
            f"{time.perf_counter() - started:.1f} s"
        )
        query_texts = [" ".join(t.split()[5:9]) for t in _texts(rng, vocab, queries + 10)]
        query_vectors = _unit(rng, queries + 10, centres).tolist()
        fts = _time(lambda i: store.search_text("knowledge", scope, query_texts[i], 5), queries)
        vec = _time(lambda i: store.search_vector("knowledge", scope, MODEL_KEY, query_vectors[i], 5), queries)
        embedder = FixedEmbedder()

        async def hybrid_all() -> list[float]:
            samples = []
            for i in range(queries + 10):
                started = time.perf_counter()
                await search(
                    "knowledge", scope, query_texts[i], 5, embedder=embedder, vector=query_vectors[i], store=store
                )  # type: ignore[arg-type]
                samples.append((time.perf_counter() - started) * 1000)
            return samples[10:]

        hybrid = _percentiles(asyncio.run(hybrid_all()))
        print(
            "vector search: "
            + (
                f"IVF-HNSW-SQ index, nprobes {NPROBES} / tenant share, refine x{REFINE_FACTOR}"
                if ann
                else "exact scan of the prefiltered rows"
            )
        )
        for name, (p50, p95) in (("fts", fts), ("vector", vec), ("hybrid", hybrid)):
            print(f"top-5 {name:<7} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   ({queries} queries)")
        if ann:
            recall_sets = (
                ("this agent", scope, query_vectors),
                ("tenant with 10% of the rows", noise, _unit(rng, 50, centres).tolist()),
                ("tenant with 200 rows on other topics", small, _unit(rng, 50, small_centres).tolist()),
            )
            for label, who, vectors in recall_sets:
                found = 0
                for i in range(50):
                    approx = {h.id for h in store.search_vector("knowledge", who, MODEL_KEY, vectors[i], 5)}
                    exact = {h.id for h in store.search_vector("knowledge", who, MODEL_KEY, vectors[i], 5, exact=True)}
                    found += len(approx & exact)
                print(f"vector recall@5 of the index vs exact ({label}): {found / 250:.2f}")


def bench_pipeline(rng: np.random.Generator, vocab: np.ndarray, chunks_wanted: int = 5000) -> None:
    """Parse a synthetic text file, chunk it and index it (keyword mode): chunks/s end to end."""
    paragraphs = _texts(rng, vocab, chunks_wanted * 3, words=40)
    data = "\n\n".join(p.capitalize() + "." for p in paragraphs).encode()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(str(Path(tmp) / "lance"))
        scope = Scope.knowledge("benchworkspace", "benchagent")
        started = time.perf_counter()
        doc = parse_document(data, "txt")
        chunks = chunk_sections(doc.sections)
        for start in range(0, len(chunks), 64):
            rows = [Row(text=c.text, source_id="file", position=c.position) for c in chunks[start : start + 64]]
            store.add("knowledge", scope, rows)
        store.optimize()
        seconds = time.perf_counter() - started
    print(
        f"\n== ingestion pipeline (txt {len(data) / 1e6:.1f} MB -> {len(chunks):,} chunks, batches of 64, "
        f"keyword mode): {len(chunks) / seconds:,.0f} chunks/s ({seconds:.1f} s)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated chunk counts per agent")
    parser.add_argument("--dim", type=int, default=384, help="vector length")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per type and size")
    parser.add_argument(
        "--index",
        default="auto",
        choices=["auto", "none"],
        help="vector index: auto = what Store.optimize does; none = exact scan",
    )
    args = parser.parse_args(argv)
    rng = np.random.default_rng(42)
    vocab = _vocabulary(rng)
    print(f"memory_query benchmark: {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    for n in (int(s) for s in args.sizes.split(",")):
        bench_size(n, dim=args.dim, queries=args.queries, index=args.index, rng=rng, vocab=vocab)
    bench_pipeline(rng, vocab)


if __name__ == "__main__":
    main()
