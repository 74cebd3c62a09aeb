"""Benchmark: tool dispatch overhead per call (registry lookup, JSON parse, schema validation,
the tool itself, summary, redaction and the audit-row write), p50/p95 in ms.

Run from the repository root::

    .venv/bin/python benchmarks/tool_dispatch.py                    # SQLite in a temporary directory
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/tool_dispatch.py
    .venv/bin/python benchmarks/tool_dispatch.py --calls 2000 --parallel 8

Uses the production path (``backend.tools.executor.execute_tool_call``) with the ``calculator``
tool, whose own work is a few microseconds, so the figures are the executor's overhead. A denied
call (tool outside the allowlist: lookup + audit only) and a schema error are measured too, and a
batch of ``--parallel`` calls through ``execute_tool_calls``. Target: p95 <= 5 ms per call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
if "AGENTHUB_DATA_DIR" not in os.environ:
    os.environ["AGENTHUB_DATA_DIR"] = tempfile.mkdtemp(prefix="agenthub-bench-")

from backend.accounts.actor import Actor  # noqa: E402
from backend.accounts.service import sign_up  # noqa: E402
from backend.db import migrate, session_scope  # noqa: E402
from backend.tools.executor import ToolCall, execute_tool_call, execute_tool_calls  # noqa: E402
from backend.tools.registry import builtin_registry  # noqa: E402


def _percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   (n={len(ordered)})"


async def _measure(actor: Actor, name: str, arguments: str, allow: list[str], calls: int) -> list[float]:
    samples: list[float] = []
    for i in range(calls):
        started = time.perf_counter()
        result = await execute_tool_call(
            actor=actor,
            agent_id="bench-agent",
            run_id="bench-run",
            allowlist=allow,
            tool_name=name,
            arguments_json=arguments,
            call_id=f"c{i}",
        )
        samples.append((time.perf_counter() - started) * 1000)
        assert result.audit_id, "the audit row must be written"  # noqa: S101
    return samples


async def main(calls: int, parallel: int) -> None:
    migrate()
    builtin_registry()  # imported once per process; not part of the per-call overhead
    with session_scope() as s:
        user, _ = sign_up(email=f"bench-{time.time_ns()}@example.com", password="correct horse battery", session=s)
    actor = Actor(user.id, user.workspace_id)
    await _measure(actor, "calculator", '{"expression": "1 + 1"}', ["calculator"], 50)  # warm-up

    ok = await _measure(actor, "calculator", '{"expression": "(1200 * 0.07) / 12"}', ["calculator"], calls)
    denied = await _measure(actor, "http_request", '{"url": "https://example.com/"}', ["calculator"], calls)
    invalid = await _measure(actor, "calculator", '{"expr": 1}', ["calculator"], calls)
    batches: list[float] = []
    for b in range(max(1, calls // parallel)):
        batch = [ToolCall(f"b{b}-{i}", "calculator", '{"expression": "2 ** 10"}') for i in range(parallel)]
        started = time.perf_counter()
        await execute_tool_calls(batch, actor=actor, agent_id="bench-agent", run_id="bench", allowlist=["calculator"])
        batches.append((time.perf_counter() - started) * 1000)

    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"Tool dispatch overhead ({database}, {calls} calls each; includes the audit-row write)")
    print(f"  calculator, ok            {_percentiles(ok)}")
    print(f"  not in allowlist, denied  {_percentiles(denied)}")
    print(f"  schema error              {_percentiles(invalid)}")
    print(f"  batch of {parallel:<2} in parallel    {_percentiles(batches)}  (whole batch)")
    p95 = sorted(ok)[int(len(ok) * 0.95)]
    print(f"Target p95 <= 5 ms: {'met' if p95 <= 5 else 'NOT met'} ({p95:.2f} ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.parallel))
