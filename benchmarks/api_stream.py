"""Developer API overhead: streamed chat completions over HTTP vs the same run in-process.

A local OpenAI-compatible stub (``benchmarks/_llm_stub.py``, its own process) answers every model
call after a fixed latency (50 ms: the "upstream time"). The same streamed request runs three
ways, at 1, 10 and 50 concurrent streams:

- **gateway**: ``backend.gateway.router.stream_chat`` in-process (one model call: plan, rate
  limit, budget hold, LiteLLM, settlement, usage record);
- **run**: ``backend.runtime.run.run_agent`` in-process, the chat page's run path (run row and
  messages stored, context, the gateway call, the answer and totals stored);
- **api**: ``POST /api/v1/chat/completions`` with ``stream: true`` through uvicorn in a separate
  process serving ``backend.api.routes.api`` (key check, the same run path, SSE chunks), read
  by ``httpx`` until ``data: [DONE]``.

Overhead = wall time - upstream latency. **HTTP layer** = api - run at the same percentile: what
the API adds on top of the run path (target: <= 3 ms p95 at 10 concurrent). CPU ms/call: this
process's CPU per call (in-process paths), and for **api** the server process's CPU per call
(read from /proc) plus the client's. Load average before and after: the machine is shared.

    .venv/bin/python benchmarks/api_stream.py                # SQLite in a temp dir
    .venv/bin/python benchmarks/api_stream.py --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks.gateway_overhead import (  # noqa: E402
    MAX_TOKENS,
    MESSAGES,
    MODEL,
    add_common_args,
    measure,
    pct,
    run_benchmark,
    run_load,
    setup_workspace,
)

SERVER = "import sys, uvicorn; from backend.api.routes import api; uvicorn.run(api, host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')"  # noqa: E501


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_api() -> tuple[subprocess.Popen[bytes], str]:
    """The /api app under uvicorn in its own process, sharing this data dir and database."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )  # noqa: E501, S603
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=2):  # noqa: S310  (local)
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the API server did not start")


def api_stream(url: str, key: str, model: str) -> Callable[[], Awaitable[float]]:
    """One streamed chat completion over HTTP, every chunk JSON-parsed."""
    import httpx

    client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=200))
    body = {"model": model, "messages": [MESSAGES[-1]], "stream": True}
    headers = {"Authorization": f"Bearer {key}"}

    async def call() -> float:
        started = time.perf_counter()
        async with client.stream("POST", f"{url}/api/v1/chat/completions", json=body, headers=headers) as response:
            assert response.status_code == 200, response.status_code
            async for line in response.aiter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    json.loads(line[6:])
        return (time.perf_counter() - started) * 1000

    return call


async def bench(args: argparse.Namespace, base_url: str) -> None:
    from backend.accounts.principal import principal_for_member
    from backend.api.developer import key_targets
    from backend.api.keys import KeyInput, create_key
    from backend.chat.principal import create_conversation_for
    from backend.config import get_settings
    from backend.db import session_scope
    from backend.gateway.candidates import RetryPolicy, Target
    from backend.gateway.router import stream_chat
    from backend.runtime.events import RunDone
    from backend.runtime.run import run_agent

    actor, connection_id, agent_id = setup_workspace(base_url)
    with session_scope() as s:
        principal = principal_for_member(actor, agent_id, s)
        key = create_key(actor=actor, data=KeyInput(name="bench"), session=s).secret
        model = next(t.model for t in key_targets(actor=actor, session=s) if t.value == f"agent:{agent_id}")

    async def gateway() -> float:
        started = time.perf_counter()
        async for _ in stream_chat(
            principal=principal, targets=[Target(connection_id, MODEL)], messages=MESSAGES,
            max_tokens=MAX_TOKENS, retry=RetryPolicy(max_retries=0),
        ):  # fmt: skip
            pass
        return (time.perf_counter() - started) * 1000

    async def run() -> float:
        started = time.perf_counter()
        with session_scope() as s:  # as the API's edge does (there in a thread)
            conv = create_conversation_for(principal=principal, session=s).id
        done = None
        async for event in run_agent(principal=principal, conversation_id=conv, user_text=MESSAGES[-1]["content"]):
            done = event.status if isinstance(event, RunDone) else done
        assert done == "succeeded", done
        return (time.perf_counter() - started) * 1000

    server, url = start_api()
    try:
        api = api_stream(url, key, model)
        settings = get_settings()
        db = "postgresql" if settings.resolved_database_url.startswith("postgresql") else "sqlite"
        print(f"developer API overhead: {os.cpu_count()} CPUs, database {db}, upstream latency {args.latency_ms:g} ms")
        print("load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        for path in (gateway, run, api):  # warm up: imports, pools, SQLite pages, the server
            await run_load(path, 10, 30)
        header = f"{'concurrent':>10} {'calls':>6} | {'path':<10} {'p50':>8} {'p95':>8} {'p99':>8} (overhead ms) {'CPU ms/call':>11}"  # noqa: E501
        print(header)
        print("-" * len(header))
        for level in args.levels:
            total = max(args.calls, level * 3)
            runs = {}
            for name, path in (("gateway", gateway), ("run", run)):
                times, cpu = await measure(path, level, total)
                runs[name] = ([t - args.latency_ms for t in times], cpu)
            server_cpu = _cpu_s(server.pid)
            times, client_cpu = await measure(api, level, total)
            server_ms = (_cpu_s(server.pid) - server_cpu) * 1000 / total
            runs["api"] = ([t - args.latency_ms for t in times], client_cpu + server_ms)
            for name, (values, cpu) in runs.items():
                print(
                    f"{level:>10} {total:>6} | {name:<10} "
                    f"{pct(values, 50):>8.2f} {pct(values, 95):>8.2f} {pct(values, 99):>8.2f} {'':>13} {cpu:>11.2f}"
                )
            added = [pct(runs["api"][0], p) - pct(runs["run"][0], p) for p in (50, 95, 99)]
            cpu_added = runs["api"][1] - runs["run"][1]
            print(
                f"{'':>10} {'':>6} | {'HTTP layer':<10} {added[0]:>8.2f} {added[1]:>8.2f} {added[2]:>8.2f} "
                f"{'':>13} {cpu_added:>11.2f}"
            )
        print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        print(
            "overhead = wall time - upstream latency; HTTP layer = api - run (same percentile; CPU: api - run);\n"
            "CPU ms/call: in-process paths this process, api = server process + client"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description="Developer API overhead vs the in-process run path (issue 15).")
    add_common_args(parser, levels="1,10,50")
    parser.add_argument("--calls", type=int, default=150, help="calls per level and path (at least 3x the level)")
    run_benchmark(parser.parse_args(), bench)


if __name__ == "__main__":
    main()
