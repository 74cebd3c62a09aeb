"""An agent turn with one tool call: ``run_agent`` end to end against a local stub.

The stub (``benchmarks/_llm_stub.py``, a separate process) answers each chat completion after a
fixed latency (``--latency-ms``, default 50 ms). A turn is: store the user message and run row,
model call 1 (streamed; the stub calls the agent's ``calculator`` tool), the tool call through
the executor (lookup, allowlist, validation, audit row, step rows), model call 2 (the answer),
and the final writes (answer, run, usage records). Printed: p50/p95/p99 of the turn's wall
time and of its overhead (wall time minus the two upstream latencies), sequentially and with
concurrent turns, next to the overhead of a plain turn (no tools, one model call).

    .venv/bin/python benchmarks/agent_turn.py                # SQLite in a temp dir
    .venv/bin/python benchmarks/agent_turn.py --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks.gateway_overhead import (  # noqa: E402
    API_KEY,
    MODEL,
    add_common_args,
    pct,
    run_benchmark,
    run_load,
)


def setup(base_url: str) -> tuple[Any, str, str]:
    """A user, an agent with the ``calculator`` tool on the stub and one without tools."""
    from backend.accounts.actor import Actor
    from backend.accounts.service import sign_up
    from backend.agents.service import create_agent
    from backend.connections.service import create_connection
    from backend.db import migrate, session_scope
    from backend.models import BlueprintFields

    migrate()
    with session_scope() as s:
        user, _ = sign_up(email=f"turn{time.time_ns()}@example.com", password="benchmark password 1", session=s)
    actor = Actor(user_id=user.id, workspace_id=user.workspace_id)
    with session_scope() as s:
        conn = create_connection(
            actor=actor, name="Stub", provider="openai_compatible", api_key=API_KEY, base_url=base_url, session=s
        )
        fields = BlueprintFields(name="Calc", connection_id=conn.id, model=MODEL, max_tokens=64, tools=["calculator"])
        agent = create_agent(actor=actor, fields=fields, session=s)
        plain = create_agent(actor=actor, fields=fields.model_copy(update={"tools": []}), session=s)
    return actor, agent, plain


async def bench(args: argparse.Namespace, base_url: str) -> None:
    from backend.accounts.principal import principal_for_member
    from backend.chat.service import create_conversation
    from backend.config import get_settings
    from backend.db import session_scope
    from backend.runtime.events import RunDone, ToolCallFinished
    from backend.runtime.run import run_agent

    actor, agent, plain = setup(base_url)

    async def turn(agent_id: str = agent, expected: tuple[str, ...] = ("ok",)) -> float:
        with session_scope() as s:
            conv = create_conversation(actor=actor, agent_id=agent_id, session=s).id
            principal = principal_for_member(actor, agent_id, s)
        started = time.perf_counter()
        statuses, done = [], None
        async for event in run_agent(principal=principal, conversation_id=conv, user_text="What is 6 times 7?"):
            if isinstance(event, ToolCallFinished):
                statuses.append(event.status)
            elif isinstance(event, RunDone):
                done = event.status
        elapsed = (time.perf_counter() - started) * 1000
        assert tuple(statuses) == expected and done == "succeeded", (statuses, done)
        return elapsed

    async def plain_turn() -> float:
        return await turn(plain, ())

    settings = get_settings()
    db = "postgresql" if settings.resolved_database_url.startswith("postgresql") else "sqlite"
    print(
        f"agent turn with one tool call: {os.cpu_count()} CPUs, database {db}, "
        f"upstream latency {args.latency_ms:g} ms x 2 model calls"
    )
    await run_load(turn, 4, 12)  # warm up
    header = f"{'concurrent':>10} {'turns':>6} | {'what':<9} {'p50':>8} {'p95':>8} {'p99':>8} (ms)"
    print(header)
    print("-" * len(header))
    for level in args.levels:
        total = max(args.turns, level * 3)
        walls = await run_load(turn, level, total)
        overhead = [w - 2 * args.latency_ms for w in walls]
        no_tool = [w - args.latency_ms for w in await run_load(plain_turn, level, total)]
        for name, values in (("turn", walls), ("overhead", overhead), ("no-tool", no_tool)):
            print(
                f"{level:>10} {total:>6} | {name:<9} "
                f"{pct(values, 50):>8.2f} {pct(values, 95):>8.2f} {pct(values, 99):>8.2f}"
            )
    print(
        "turn = wall time of run_agent; overhead = turn - 2 x upstream latency (2 model calls); "
        "no-tool = overhead of a turn without tools (1 model call), for comparison"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="An agent turn with one tool call (issue 4).")
    add_common_args(parser, levels="1,10")
    parser.add_argument("--turns", type=int, default=60, help="turns per level (at least 3x the level)")
    run_benchmark(parser.parse_args(), bench)


if __name__ == "__main__":
    main()
