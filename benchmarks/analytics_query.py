"""Analytics at scale: generate usage records (plus runs and tool calls), build the hourly rollups,
then time every query of the analytics page.

Rows are spread over ``--days`` days (default 90) in one workspace (the worst case: every query
of that workspace covers all of them), 10 agents, 4 models on 2 connections, ``--end-users``
end users; ~1 run per 3 usage records, ~1 tool call per 5. Generated with ``executemany``
(SQLite) or ``COPY`` (PostgreSQL). Printed: generation and rollup build time, the catch-up pass
when up to date (what a page load pays), and p50/p95 of each query over ``--reps`` repetitions
for the 24 h / 7 d / 30 d / 90 d presets, with and without an agent filter; the load average.

    .venv/bin/python benchmarks/analytics_query.py --rows 1000000
    .venv/bin/python benchmarks/analytics_query.py --rows 1000000 --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

MODELS = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o"),
    ("anthropic", "claude-3-5-haiku-20241022"),
    ("openai", "o3-mini"),
]
USAGE_COLS = (
    "id workspace_id agent_id end_user_id caller_kind caller_id run_id connection_id provider model prompt_tokens "
    "completion_tokens cached_tokens cost_nano_usd cost_note latency_ms ttft_ms status error_class error fallback_path "
    "streamed created_at"
).split()
RUN_COLS = (
    "id workspace_id agent_id user_id blueprint_version_id provider model status prompt_tokens completion_tokens "
    "cost_nano_usd cost_note error created_at finished_at latency_ms fallback_path partial_text"
).split()
TOOL_COLS = (
    "id workspace_id agent_id user_id call_id tool_name tool_version arguments status summary error duration_ms "
    "created_at"
).split()


def _database(url: str | None) -> tuple[str, Callable[[], None]]:
    """A brand-new database: a SQLite file in a temp dir, or a new PostgreSQL database."""
    import sqlalchemy as sa

    from backend.config import Settings

    if not url:
        path = Path(tempfile.mkdtemp(prefix="analytics-bench-")) / "bench.db"
        return f"sqlite:///{path}", lambda: None
    base = Settings(database_url=url).resolved_database_url
    name = f"agenthub_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        from backend.db import dispose_engines

        dispose_engines()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return base.rsplit("/", 1)[0] + "/" + name, drop


def _setup(engine: Any) -> tuple[Any, list[tuple[str, str]], list[str]]:
    """A user, 2 connections and 10 agents; returns ``(actor, [(agent id, version id)], connection ids)``."""
    from backend.accounts.actor import Actor
    from backend.accounts.service import sign_up
    from backend.agents.service import create_agent, get_blueprint
    from backend.connections.service import create_connection
    from backend.db import session_scope
    from backend.models import BlueprintFields

    with session_scope(engine) as s:
        user, _ = sign_up(email="bench@example.com", password="benchmark password 1", session=s)
    actor = Actor(user_id=user.id, workspace_id=user.workspace_id)
    conns, agents = [], []
    with session_scope(engine) as s:
        for provider in ("openai", "anthropic"):
            conns.append(
                create_connection(
                    actor=actor, name=provider, provider=provider, api_key="sk-bench-0000", base_url=None, session=s
                ).id
            )
        for i in range(10):
            fields = BlueprintFields(name=f"Agent {i}", connection_id=conns[0], model="gpt-4o-mini")
            agent_id = create_agent(actor=actor, fields=fields, session=s)
            agents.append((agent_id, get_blueprint(actor=actor, agent_id=agent_id, session=s).id))
    return actor, agents, conns


def _rows(
    n: int, days: int, actor: Any, agents: list[tuple[str, str]], conns: list[str], users: int, pg: bool
) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """``("usage" | "run" | "tool", row)`` tuples in column order, oldest first."""
    rng = random.Random(1)
    end = datetime.now(UTC)
    start, step = end - timedelta(days=days), timedelta(days=days) / n
    true, empty = ("t", "[]") if pg else (1, "[]")
    for i in range(n):
        at = start + step * i
        agent, version = agents[rng.randrange(10) if rng.random() < 0.5 else i % 3]
        provider, model = MODELS[int(agent, 16) % 4] if rng.random() < 0.9 else MODELS[rng.randrange(4)]
        status = "ok" if rng.random() < 0.93 else rng.choice(("error", "error", "cancelled", "rejected"))
        error_class = {
            "error": rng.choice(("provider_error", "timeout", "rate_limited")),
            "cancelled": "cancelled",
            "rejected": "budget",
        }.get(status, "")
        prompt, completion = rng.randint(50, 3000), rng.randint(10, 800)
        latency = int(rng.lognormvariate(7, 0.6))
        when = at.isoformat() if pg else at.strftime("%Y-%m-%d %H:%M:%S.%f")
        yield (
            "usage",
            (
                uuid.uuid4().hex,
                actor.workspace_id,
                agent,
                f"eu{rng.randrange(users)}",
                "member",
                actor.user_id,
                None,
                conns[provider == "anthropic"],
                provider,
                model,
                prompt,
                completion,
                0,
                prompt * 150 + completion * 600,
                "",
                latency,
                latency // 4,
                status,
                error_class,
                "",
                empty,
                true,
                when,
            ),
        )
        if i % 3 == 0:
            run_status = "succeeded" if status == "ok" else ("cancelled" if status == "cancelled" else "failed")
            yield (
                "run",
                (
                    uuid.uuid4().hex,
                    actor.workspace_id,
                    agent,
                    actor.user_id,
                    version,
                    provider,
                    model,
                    run_status,
                    prompt * 3,
                    completion * 3,
                    (prompt * 150 + completion * 600) * 3,
                    "",
                    "",
                    when,
                    when,
                    latency * 3,
                    empty,
                    "",
                ),
            )
        if i % 5 == 0:
            tool = rng.choice(("calculator", "fetch_webpage", "knowledge_search", "http_request"))
            yield (
                "tool",
                (
                    uuid.uuid4().hex,
                    actor.workspace_id,
                    agent,
                    actor.user_id,
                    "",
                    tool,
                    "1",
                    "{}",
                    "ok" if rng.random() < 0.95 else "error",
                    "",
                    "",
                    rng.randint(5, 3000),
                    when,
                ),
            )


def _load(engine: Any, rows: Iterator[tuple[str, tuple[Any, ...]]], pg: bool) -> dict[str, int]:
    tables = {"usage": ("usage_records", USAGE_COLS), "run": ("runs", RUN_COLS), "tool": ("tool_audit", TOOL_COLS)}
    counts = dict.fromkeys(tables, 0)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        batches: dict[str, list[tuple[Any, ...]]] = {k: [] for k in tables}

        def flush(kind: str) -> None:
            name, cols = tables[kind]
            if pg:
                with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in batches[kind]:
                        copy.write_row(row)
            else:
                cur.executemany(
                    f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", batches[kind]
                )
            counts[kind] += len(batches[kind])
            batches[kind] = []

        for kind, row in rows:
            batches[kind].append(row)
            if len(batches[kind]) >= 50_000:
                flush(kind)
        for kind in tables:
            flush(kind)
        raw.commit()
    finally:
        raw.close()
    return counts


def _pct(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _queries(actor: Any, period: Any, agent_id: str | None) -> dict[str, Callable[[Any], object]]:
    from backend.analytics import breakdowns as b
    from backend.analytics.agent_view import agent_view
    from backend.analytics.insights import cost_insights
    from backend.analytics.measures import series
    from backend.analytics.overview import overview
    from backend.analytics.periods import buckets

    ws, s = actor.workspace_id, period.start_hour
    ends = [b.end_hour for b in buckets(period)]
    out: dict[str, Callable[[Any], object]] = {
        "chart series (every chart's rows)": lambda x: series(x, ws, s, ends, agent_id),
        "overview (charts + totals + previous + errors)": lambda x: overview(
            actor=actor, period=period, agent_id=agent_id, session=x
        ),
        "table: by agent": lambda x: b._by_agent(x, ws, period, agent_id),
        "table: by model": lambda x: b._by_model(x, ws, period, agent_id),
        "table: by connection": lambda x: b._by_connection(x, ws, period, agent_id),
        "table: by end user": lambda x: b._by_end_user(x, ws, period, agent_id),
        "table: tools": lambda x: b._tools(x, ws, period, agent_id),
        "cost insights": lambda x: cost_insights(actor=actor, period=period, agent_id=agent_id, session=x),
    }
    if agent_id:
        out["agent: starters + slowest + failed runs"] = lambda x: agent_view(
            actor=actor, period=period, agent_id=agent_id, session=x
        )
    return out


def _time_queries(engine: Any, actor: Any, agent_id: str, reps: int) -> list[dict[str, Any]]:
    from sqlmodel import Session

    from backend.analytics.periods import preset_period

    results = []
    now = datetime.now(UTC)
    for preset, granularity in (("24h", "hour"), ("7d", "day"), ("30d", "day"), ("90d", "week")):
        period = preset_period(preset, "Europe/Berlin", granularity, now)
        for agent in (None, agent_id):
            for name, query in _queries(actor, period, agent).items():
                samples = []
                with Session(engine) as session:
                    query(session)  # warm-up
                    for _ in range(reps):
                        t0 = time.perf_counter()
                        query(session)
                        samples.append((time.perf_counter() - t0) * 1000)
                p50, p95 = _pct(samples)
                results.append(
                    {"range": preset, "agent": "one" if agent else "all", "query": name, "p50_ms": p50, "p95_ms": p95}
                )
                print(
                    f"{preset:>4} {'one agent' if agent else 'all agents':>10}  {name:<48} "
                    f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms",
                    flush=True,
                )
    return results


def main() -> None:
    """Generate, build, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="usage records to generate")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--end-users", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=20, help="repetitions per query")
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL (a new database is created); default SQLite"
    )
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()
    os.environ["AGENTHUB_DATA_DIR"] = tempfile.mkdtemp(prefix="analytics-bench-data-")
    from backend.analytics.rollup import run_rollup
    from backend.db import get_engine, migrate

    url, drop = _database(args.database_url)
    try:
        migrate(url)
        engine = get_engine(url)
        pg = engine.dialect.name == "postgresql"
        print(f"database: {engine.dialect.name}; load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        actor, agents, conns = _setup(engine)
        t0 = time.perf_counter()
        counts = _load(engine, _rows(args.rows, args.days, actor, agents, conns, args.end_users, pg), pg)
        generated = time.perf_counter() - t0
        print(f"generated {counts} in {generated:.1f} s", flush=True)
        t0 = time.perf_counter()
        batches = run_rollup(engine=engine)
        build = time.perf_counter() - t0
        print(f"rollup build: {build:.1f} s in {batches} transactions", flush=True)
        t0 = time.perf_counter()
        run_rollup(engine=engine)
        catch_up_ms = (time.perf_counter() - t0) * 1000
        print(f"catch-up pass when up to date: {catch_up_ms:.0f} ms", flush=True)
        results = _time_queries(engine, actor, agents[0][0], args.reps)
        worst = max(r["p95_ms"] for r in results)
        load = os.getloadavg()
        print(f"worst p95: {worst:.1f} ms; load average after: " + " ".join(f"{x:.2f}" for x in load))
        if args.json:
            summary = {
                "database": engine.dialect.name,
                "rows": counts,
                "generate_s": generated,
                "rollup_build_s": build,
                "catch_up_ms": catch_up_ms,
                "queries": results,
                "load_average": load,
            }
            Path(args.json).write_text(json.dumps(summary, indent=2))
    finally:
        drop()


if __name__ == "__main__":
    main()
