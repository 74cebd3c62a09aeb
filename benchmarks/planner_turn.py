"""A planner-mode turn: ``run_agent`` of an agent with "Plan complex requests" on, against a local stub.

The stub (``benchmarks/_llm_stub.py``, a separate process) answers each chat completion after a
fixed latency (``--latency-ms``, default 50 ms) and answers the planning call with a plan of 3
steps. A planned turn is: the run start, the planning call (not streamed), the plan's rows and
``PlanCreated``, per step its status writes and one executor model call, the synthesis call, and
the final writes: 5 model calls. Printed: p50/p95/p99 of the turn's wall time and of its overhead
(wall time minus 5 upstream latencies), next to the overhead of a plain turn of the same agent
with planner mode off (1 model call), sequentially and with concurrent turns.

    .venv/bin/python benchmarks/planner_turn.py              # SQLite in a temp dir
    .venv/bin/python benchmarks/planner_turn.py --database-url postgresql://postgres@127.0.0.1:5432/bench
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

from benchmarks._llm_stub import PLAN_STEPS  # noqa: E402
from benchmarks.gateway_overhead import (  # noqa: E402
    API_KEY,
    MODEL,
    add_common_args,
    pct,
    run_benchmark,
    run_load,
)

CALLS = PLAN_STEPS + 2  # planning + one executor call per step + the synthesis


def setup(base_url: str) -> tuple[Any, str, str]:
    """A user, a planner agent on the stub and the same agent with planner mode off."""
    from backend.accounts.actor import Actor
    from backend.accounts.service import sign_up
    from backend.agents.service import create_agent
    from backend.connections.service import create_connection
    from backend.db import migrate, session_scope
    from backend.models import BlueprintFields

    migrate()
    with session_scope() as s:
        user, _ = sign_up(email=f"plan{time.time_ns()}@example.com", password="benchmark password 1", session=s)
    actor = Actor(user_id=user.id, workspace_id=user.workspace_id)
    with session_scope() as s:
        conn = create_connection(
            actor=actor, name="Stub", provider="openai_compatible", api_key=API_KEY, base_url=base_url, session=s
        )
        fields = BlueprintFields(name="Planner", connection_id=conn.id, model=MODEL, max_tokens=64, plan_complex=True)
        planner = create_agent(actor=actor, fields=fields, session=s)
        plain = create_agent(actor=actor, fields=fields.model_copy(update={"plan_complex": False}), session=s)
    return actor, planner, plain


async def bench(args: argparse.Namespace, base_url: str) -> None:
    from backend.accounts.principal import principal_for_member
    from backend.chat.service import create_conversation
    from backend.config import get_settings
    from backend.db import session_scope
    from backend.runtime.events import PlanStepUpdated, RunDone
    from backend.runtime.run import run_agent

    actor, planner, plain = setup(base_url)

    async def turn(agent_id: str = planner, steps: int = PLAN_STEPS) -> float:
        with session_scope() as s:
            conv = create_conversation(actor=actor, agent_id=agent_id, session=s).id
            principal = principal_for_member(actor, agent_id, s)
        started = time.perf_counter()
        done_steps, done = 0, None
        async for event in run_agent(principal=principal, conversation_id=conv, user_text="Do three things"):
            if isinstance(event, PlanStepUpdated) and event.status == "done":
                done_steps += 1
            elif isinstance(event, RunDone):
                done = event.status
        elapsed = (time.perf_counter() - started) * 1000
        assert done_steps == steps and done == "succeeded", (done_steps, done)
        return elapsed

    async def plain_turn() -> float:
        return await turn(plain, 0)

    settings = get_settings()
    db = "postgresql" if settings.resolved_database_url.startswith("postgresql") else "sqlite"
    print(
        f"planner-mode turn ({PLAN_STEPS} steps): {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, database {db}, upstream latency "
        f"{args.latency_ms:g} ms x {CALLS} model calls"
    )
    await run_load(turn, 2, 4)  # warm up
    header = f"{'concurrent':>10} {'turns':>6} | {'what':<9} {'p50':>8} {'p95':>8} {'p99':>8} (ms)"
    print(header)
    print("-" * len(header))
    for level in args.levels:
        total = max(args.turns, level * 3)
        cpu = time.process_time()
        walls = await run_load(turn, level, total)
        cpu_ms = (time.process_time() - cpu) * 1000 / total
        overhead = [w - CALLS * args.latency_ms for w in walls]
        no_plan = [w - args.latency_ms for w in await run_load(plain_turn, level, total)]
        for name, values in (("turn", walls), ("overhead", overhead), ("no-plan", no_plan)):
            print(
                f"{level:>10} {total:>6} | {name:<9} "
                f"{pct(values, 50):>8.2f} {pct(values, 95):>8.2f} {pct(values, 99):>8.2f}"
            )
        print(f"{'':>10} {'':>6} | CPU of this process per planned turn: {cpu_ms:.1f} ms")
    print(
        f"turn = wall time of run_agent; overhead = turn - {CALLS} x upstream latency; "
        "no-plan = overhead of the same agent with planner mode off (1 model call), for comparison; "
        f"floor: planned-turn overhead p50 under {CALLS} x the no-plan p50 (one plain turn's work per call)"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description="A planner-mode turn (issue 15).")
    add_common_args(parser, levels="1,5")
    parser.add_argument("--turns", type=int, default=20, help="turns per level (at least 3x the level)")
    run_benchmark(parser.parse_args(), bench)


if __name__ == "__main__":
    main()
