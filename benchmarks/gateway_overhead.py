"""Gateway overhead: total time minus upstream time, gateway vs bare ``litellm.acompletion``.

A local OpenAI-compatible stub (``benchmarks/_llm_stub.py``, a separate process) answers every
chat completion after a fixed latency (50 ms by default: the "upstream time"). The same load of
streamed calls runs twice, at 1, 10 and 100 concurrent callers:

- **baseline**: bare ``litellm.acompletion(stream=True)``, stream read to the end;
- **lite-cut**: the same, but reading stops at LiteLLM's closing usage chunk, where the gateway
  stops (``completion.stream_assembled``): the end of the stream then skips LiteLLM's own success
  logging (a second assembly of the reply in a worker thread, cost, callbacks). The gateway's
  own work is what it adds over this path;
- **gateway**: ``backend.gateway.router.stream_chat`` with everything on: key decryption
  (vault), rate limit (requests/min and tokens/min rules on the agent), budget reservation
  (a workspace budget: conditional UPDATE, then settlement) and the usage record write.

- **httpx** (the floor): the same streamed request with a plain ``httpx.AsyncClient``, each
  SSE chunk JSON-parsed, nothing else.

The paths take turns (``--rounds`` rounds per level, each a share of the calls), so a noisy
stretch of the shared machine falls on all of them alike. Overhead per call = wall time − the stub's
fixed latency. Printed: p50/p95/p99 overhead of the
paths, CPU ms per call (process CPU time / calls), what the gateway adds (gateway −
baseline, same percentile), the ratio of the gateway's overhead and CPU to the baseline's, and
the load average before and after (the machine is shared: read figures next to it). Issue 3's
target: gateway p95 overhead <= 10 ms at 100 concurrent on a 2-core machine; issue 10's:
gateway CPU per call <= 1.3x bare LiteLLM's and p95 overhead <= 5 ms over it at 1 concurrent.

    .venv/bin/python benchmarks/gateway_overhead.py              # SQLite in a temp dir, memory limits
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python benchmarks/gateway_overhead.py
    .venv/bin/python benchmarks/gateway_overhead.py --database-url postgresql://postgres@127.0.0.1:5432/bench

``--database-url`` runs the migrations on that database and adds a user to it: use a scratch one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

MODEL = "gpt-4o-mini"
API_KEY = "sk-bench-0123456789abcdefghij"
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant. Answer briefly."},
    {"role": "user", "content": "Tell me something about foxes and dogs in one sentence."},
]
MAX_TOKENS = 64


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile ``p`` (0-100) of ``values``."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def start_stub(latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    """Start the stub server; returns the process and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "_llm_stub.py"), "--port", "0", "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("listening "):
        proc.kill()
        raise RuntimeError(f"stub did not start: {line!r}")
    return proc, f"http://{line.split(' ', 1)[1]}/v1"


def setup_workspace(base_url: str) -> tuple[Any, str, str]:
    """A user, a connection with an encrypted key, an agent, a budget and rate limits."""
    from backend.accounts.actor import Actor
    from backend.accounts.service import sign_up
    from backend.agents.service import create_agent
    from backend.connections.service import create_connection
    from backend.db import migrate, session_scope
    from backend.gateway import admin
    from backend.models import BlueprintFields

    migrate()
    with session_scope() as s:
        user, _ = sign_up(email=f"bench{time.time_ns()}@example.com", password="benchmark password 1", session=s)
    actor = Actor(user_id=user.id, workspace_id=user.workspace_id)
    with session_scope() as s:
        conn = create_connection(
            actor=actor, name="Stub", provider="openai_compatible", api_key=API_KEY, base_url=base_url, session=s
        )
        agent = create_agent(
            actor=actor, fields=BlueprintFields(name="Bench", connection_id=conn.id, model=MODEL), session=s
        )
        admin.set_budget(actor=actor, scope="workspace", scope_id="", period="month", limit_usd=1000.0, session=s)
        admin.set_rate_limit(
            actor=actor, scope="agent", scope_id=agent, requests_per_min=100_000, tokens_per_min=10**9, session=s
        )
    return actor, conn.id, agent


async def run_load(call: Callable[[], Awaitable[float]], concurrency: int, total: int) -> list[float]:
    """``total`` calls by ``concurrency`` workers; returns each call's wall time, ms."""
    remaining = total
    times: list[float] = []

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            times.append(await call())

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return times


async def measure(call: Callable[[], Awaitable[float]], concurrency: int, total: int) -> tuple[list[float], float]:
    """:func:`run_load` plus the process CPU time it cost: ``(wall times ms, CPU ms per call)``.

    CPU is ``time.process_time()`` (every thread of this process; the stub runs in another),
    measured until 0.3 s after the last call so work LiteLLM defers to tasks and threads at the
    end of a stream is counted where it belongs.
    """
    cpu = time.process_time()
    times = await run_load(call, concurrency, total)
    await asyncio.sleep(0.3)
    return times, (time.process_time() - cpu) * 1000 / total


def plain_stream(base_url: str) -> Callable[[], Awaitable[float]]:
    """The floor: the same streamed request with a bare ``httpx.AsyncClient``, chunks parsed."""
    import json

    import httpx

    client = httpx.AsyncClient(timeout=30)
    body = {
        "model": MODEL,
        "messages": MESSAGES,
        "max_tokens": MAX_TOKENS,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    headers = {"Authorization": f"Bearer {API_KEY}"}

    async def call() -> float:
        started = time.perf_counter()
        async with client.stream("POST", f"{base_url}/chat/completions", json=body, headers=headers) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    json.loads(line[6:])
        return (time.perf_counter() - started) * 1000

    return call


async def bench(args: argparse.Namespace, base_url: str) -> None:
    from backend.accounts.principal import principal_for_member
    from backend.config import get_settings
    from backend.db import session_scope
    from backend.gateway.candidates import RetryPolicy, Target
    from backend.gateway.completion import stream_assembled
    from backend.gateway.llm import litellm
    from backend.gateway.router import stream_chat

    actor, connection_id, agent_id = setup_workspace(base_url)
    with session_scope() as s:
        principal = principal_for_member(actor, agent_id, s)
    targets = [Target(connection_id, MODEL)]
    no_retry = RetryPolicy(max_retries=0)

    async def bare(cut: bool = False) -> float:
        started = time.perf_counter()
        response = await litellm.acompletion(
            model=f"openai/{MODEL}",
            api_base=base_url,
            api_key=API_KEY,
            messages=MESSAGES,
            max_tokens=MAX_TOKENS,
            stream=True,
            stream_options={"include_usage": True},
            num_retries=0,
            max_retries=0,
        )
        async for _ in response:
            if cut and stream_assembled(response):  # where the gateway stops reading (completion.stream_assembled)
                break
        await response.aclose()
        return (time.perf_counter() - started) * 1000

    async def bare_cut() -> float:
        return await bare(cut=True)

    async def gateway() -> float:
        started = time.perf_counter()
        async for _ in stream_chat(
            principal=principal,
            targets=targets,
            messages=MESSAGES,
            max_tokens=MAX_TOKENS,
            retry=no_retry,
        ):
            pass
        return (time.perf_counter() - started) * 1000

    floor = plain_stream(base_url)
    settings = get_settings()
    db = "postgresql" if settings.resolved_database_url.startswith("postgresql") else "sqlite"
    print(
        f"gateway overhead: {os.cpu_count()} CPUs, database {db}, rate-limit storage "
        f"{'redis' if settings.redis_url else 'memory'}, upstream latency {args.latency_ms:g} ms, streamed calls"
    )
    print("load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    for path in (floor, bare, bare_cut, gateway):  # warm up: imports, HTTP pools, tokenizer, SQLite pages
        await run_load(path, 10, 30)
    header = f"{'concurrent':>10} {'calls':>6} | {'path':<8} {'p50':>8} {'p95':>8} {'p99':>8} (overhead ms)"
    header += f" {'CPU ms/call':>11}"
    print(header)
    print("-" * len(header))
    paths = (("httpx", floor), ("litellm", bare), ("lite-cut", bare_cut), ("gateway", gateway))
    for level in args.levels:
        total = max(args.calls, level * 3)
        rounds = max(1, min(args.rounds, total // (level * 3)))
        samples: dict[str, list[float]] = {name: [] for name, _ in paths}
        cpu_ms: dict[str, float] = dict.fromkeys(samples, 0.0)
        for _ in range(rounds):  # interleaved: a noisy minute on the shared machine hits every path alike
            for name, path in paths:
                times, cpu = await measure(path, level, total // rounds)
                samples[name] += [t - args.latency_ms for t in times]
                cpu_ms[name] += cpu / rounds
        runs = {name: (samples[name], cpu_ms[name]) for name in samples}
        for name, (values, cpu) in runs.items():
            print(
                f"{level:>10} {total:>6} | {name:<8} "
                f"{pct(values, 50):>8.2f} {pct(values, 95):>8.2f} {pct(values, 99):>8.2f} {'':>13} {cpu:>11.2f}"
            )
        gate, gate_cpu = runs["gateway"]
        for label, over in (("", "litellm"), (" cut", "lite-cut")):
            base, base_cpu = runs[over]
            added = [pct(gate, p) - pct(base, p) for p in (50, 95, 99)]
            ratio = [pct(gate, p) / max(pct(base, p), 0.01) for p in (50, 95, 99)]
            print(f"{'':>10} {'':>6} | {'added' + label:<8} {added[0]:>8.2f} {added[1]:>8.2f} {added[2]:>8.2f}")
            print(
                f"{'':>10} {'':>6} | {'ratio' + label:<8} {ratio[0]:>7.2f}x {ratio[1]:>7.2f}x {ratio[2]:>7.2f}x "
                f"{'':>13} {gate_cpu / max(base_cpu, 0.01):>10.2f}x"
            )
    print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(
        "overhead = wall time - upstream latency; added = gateway - litellm; ratio = gateway / litellm;\n"
        "lite-cut = bare LiteLLM that stops reading at its closing usage chunk, as the gateway does\n"
        "(skipping LiteLLM's end-of-stream logging); added cut / ratio cut compare the gateway with it;\n"
        "CPU ms/call = this process's CPU time (all threads) / calls; httpx = plain stream of the same reply (floor)"
    )


def add_common_args(parser: argparse.ArgumentParser, *, levels: str) -> None:
    """The options every gateway-level benchmark takes: levels, stub latency, database."""
    parser.add_argument("--levels", default=levels, help="comma-separated concurrency levels")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="the stub's fixed upstream latency")
    parser.add_argument("--database-url", default=None, help="scratch database (default: SQLite in a temp dir)")


def run_benchmark(args: argparse.Namespace, bench: Callable[[argparse.Namespace, str], Awaitable[None]]) -> None:
    """Run ``bench(args, stub_base_url)`` in a scratch data dir with the local stub started and stopped."""
    args.levels = [int(x) for x in args.levels.split(",") if x.strip()]
    with tempfile.TemporaryDirectory(prefix="agenthub-bench-") as data_dir:
        os.environ["AGENTHUB_DATA_DIR"] = data_dir
        if args.database_url:
            os.environ["DATABASE_URL"] = args.database_url
        else:
            os.environ.pop("DATABASE_URL", None)
        stub, base_url = start_stub(args.latency_ms)
        try:
            asyncio.run(bench(args, base_url))
        finally:
            stub.terminate()
            stub.wait(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description="Gateway overhead vs bare LiteLLM (issue 3).")
    add_common_args(parser, levels="1,10,100")
    parser.add_argument("--calls", type=int, default=200, help="calls per level and path (at least 3x the level)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="the paths take turns this many times per level (each round calls/rounds)"
    )
    run_benchmark(parser.parse_args(), bench)


if __name__ == "__main__":
    main()
