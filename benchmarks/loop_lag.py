"""Event-loop lag while N chat turns stream: how long every other user's click would wait.

One Reflex process serves every user from one asyncio event loop, so any blocking work on it
(database queries, hashing, parsing) delays everyone. This benchmark runs what the chat page
does for a turn, through the same functions and the same thread hand-offs
(``dashboard.shell.db.in_session``):

- ``create_conversation`` (the first message of a new conversation),
- ``run_agent`` streamed to the end (run row + user message, the gateway call against the local
  stub — ``benchmarks/_llm_stub.py``, 50 ms upstream latency by default —, the answer),
- ``list_conversations`` when the run starts, and ``list_conversations`` + ``load_messages``
  when it ends (the page reloads what was stored),

with N turns at once, repeated ``--rounds`` times, on an agent that already has
``--conversations`` past conversations (default 100). Meanwhile a probe sleeps 5 ms in a loop on
the same event loop and records how late it wakes up: the lag. Printed: lag p50/p95/p99/max per
level (level 0: the probe alone for 2 s, the machine's own noise), turns per second and the
load average (the machine is shared). Issue 10's target:
p99 <= 50 ms at 20 concurrent turns on a 2-core machine.

    .venv/bin/python benchmarks/loop_lag.py                   # SQLite in a temp dir
    .venv/bin/python benchmarks/loop_lag.py --levels 1,10,20 --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks.gateway_overhead import API_KEY, MODEL, add_common_args, pct, run_benchmark  # noqa: E402

PROBE_S = 0.005


def setup(base_url: str, conversations: int) -> tuple[Any, str]:
    """A user, a plain agent on the stub (64 output tokens) and ``conversations`` past conversations."""
    from backend.accounts.actor import Actor
    from backend.accounts.service import sign_up
    from backend.agents.service import create_agent
    from backend.chat.service import append_message, create_conversation
    from backend.connections.service import create_connection
    from backend.db import migrate, session_scope
    from backend.models import BlueprintFields, Conversation

    migrate()
    with session_scope() as s:
        user, _ = sign_up(email=f"lag{time.time_ns()}@example.com", password="benchmark password 1", session=s)
    actor = Actor(user_id=user.id, workspace_id=user.workspace_id)
    with session_scope() as s:
        conn = create_connection(
            actor=actor, name="Stub", provider="openai_compatible", api_key=API_KEY, base_url=base_url, session=s
        )
        fields = BlueprintFields(name="Chat", connection_id=conn.id, model=MODEL, max_tokens=64)
        agent = create_agent(actor=actor, fields=fields, session=s)
    with session_scope() as s:
        for i in range(conversations):
            conv = s.get(Conversation, create_conversation(actor=actor, agent_id=agent, session=s).id)
            assert conv is not None
            append_message(conversation=conv, role="user", content=f"Earlier question {i}", run_id=None, session=s)
    return actor, agent


class Probe:
    """Sleeps ``PROBE_S`` in a loop and records how late each wake-up is (ms)."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.running = True

    async def run(self) -> None:
        while self.running:
            due = time.perf_counter() + PROBE_S
            await asyncio.sleep(PROBE_S)
            self.lags.append(max(0.0, (time.perf_counter() - due) * 1000))


async def bench(args: argparse.Namespace, base_url: str) -> None:
    from backend.accounts.principal import principal_for_member
    from backend.chat.service import create_conversation, list_conversations
    from backend.config import get_settings
    from backend.heap import settle_heap
    from backend.runtime.events import RunDone, RunStarted
    from backend.runtime.run import run_agent
    from dashboard.chat.citations import load_messages
    from dashboard.shell.db import in_session

    actor, agent = setup(base_url, args.conversations)

    async def turn() -> None:
        conv = (await in_session(lambda s: create_conversation(actor=actor, agent_id=agent, session=s))).id
        done = None
        principal = await in_session(lambda s: principal_for_member(actor, agent, s))
        async for event in run_agent(principal=principal, conversation_id=conv, user_text="Tell me about foxes."):
            if isinstance(event, RunStarted):
                await in_session(lambda s: list_conversations(actor=actor, agent_id=agent, session=s))
            elif isinstance(event, RunDone):
                done = event.status
        assert done == "succeeded", done
        await in_session(
            lambda s: (list_conversations(actor=actor, agent_id=agent, session=s), load_messages(actor, conv, s))
        )

    settings = get_settings()
    db = "postgresql" if settings.resolved_database_url.startswith("postgresql") else "sqlite"
    print(
        f"event-loop lag while chat turns stream: {os.cpu_count()} CPUs, database {db}, "
        f"upstream latency {args.latency_ms:g} ms, {args.conversations} past conversations, "
        f"probe every {PROBE_S * 1000:g} ms"
    )
    print("load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    await asyncio.gather(*(turn() for _ in range(4)))  # warm up
    settle_heap()  # as the app does once started (dashboard/app.py): freeze, then its GC thresholds
    header = f"{'turns at once':>13} {'turns':>6} | {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} (lag ms) {'turns/s':>8}"
    print(header)
    print("-" * len(header))
    for level in args.levels:
        probe = Probe()
        task = asyncio.create_task(probe.run())
        started = time.perf_counter()
        if level == 0:  # the machine's own noise: the probe alone
            await asyncio.sleep(2.0)
        for _ in range(args.rounds if level else 0):
            await asyncio.gather(*(turn() for _ in range(level)))
        elapsed = time.perf_counter() - started
        probe.running = False
        await task
        lags, total = probe.lags, level * args.rounds
        print(
            f"{level:>13} {total:>6} | {pct(lags, 50):>7.1f} {pct(lags, 95):>7.1f} {pct(lags, 99):>7.1f} "
            f"{max(lags):>7.1f} {'':>8} {total / elapsed:>8.1f}"
        )
    print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print("lag = how late a 5 ms sleep on the event loop wakes up while the turns run")


def main() -> None:
    parser = argparse.ArgumentParser(description="Event-loop lag while chat turns stream (issue 10).")
    add_common_args(parser, levels="0,1,10,20")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of N concurrent turns per level")
    parser.add_argument("--conversations", type=int, default=100, help="past conversations of the agent")
    run_benchmark(parser.parse_args(), bench)


if __name__ == "__main__":
    main()
