"""Analytics at scale: generate usage records (plus runs and tool calls), build the hourly rollups,
then time every query of the analytics page.

Rows are spread over ``--days`` days (default 90) in one workspace (the worst case: every query
of that workspace covers all of them), 10 agents, 4 models on 2 connections, ``--end-users``
end users; ~1 run per 3 usage records, ~1 tool call per 5. Generated with ``executemany``
(SQLite) or ``COPY`` (PostgreSQL). Printed: generation and rollup build time, the catch-up pass
when up to date (what a page load pays), and p50/p95 of each query over ``--reps`` repetitions
for the 24 h / 7 d / 30 d / 90 d presets, with and without an agent filter, and the CPU a query
uses (this process plus, on PostgreSQL, its server backend: what the query costs however busy the
machine is, where wall time also counts waiting for a core); the load average.

    .venv/bin/python benchmarks/analytics_query.py --rows 1000000
    .venv/bin/python benchmarks/analytics_query.py --rows 1000000 --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks._analytics_data import find_workspace, generate_chunks, new_database, setup_workspace, write_rows  # noqa: E402


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


def _cpu_clock(session: Any) -> Callable[[], float]:
    """Seconds of CPU used so far by this process and, on PostgreSQL, by the session's server
    backend (``/proc/<pid>/stat``, 10 ms ticks): a query's work, whatever else the machine runs."""
    import sqlalchemy as sa

    if session.get_bind().dialect.name != "postgresql":
        return time.process_time
    session.execute(sa.text("SET max_parallel_workers_per_gather = 0"))  # all of a query's CPU in one backend
    pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    tick = os.sysconf("SC_CLK_TCK")

    def clock() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return time.process_time() + (int(fields[11]) + int(fields[12])) / tick

    return clock


def _analyze(engine: Any) -> None:
    """Table statistics (and PostgreSQL's visibility map) after the bulk load, as autovacuum would
    leave them: without them PostgreSQL's planner takes the freshly built rollups for empty."""
    import sqlalchemy as sa

    t0 = time.perf_counter()
    pg = engine.dialect.name == "postgresql"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if pg else "ANALYZE"))
    print(f"{'VACUUM ANALYZE' if pg else 'ANALYZE'}: {time.perf_counter() - t0:.1f} s", flush=True)


def _import_page_modules() -> None:
    """Import what the analytics page's queries use (LiteLLM's catalog included), as the app does
    at start: imported after ``gc.freeze()`` their ~400,000 objects made full collections of
    ~200-300 ms land inside timed queries, a pause the app does not have."""
    import sqlmodel  # noqa: F401

    import backend.analytics.service  # noqa: F401
    import backend.gateway.catalog  # noqa: F401


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
                    clock = _cpu_clock(session)
                    query(session)  # warm-up
                    cpu0 = clock()
                    for _ in range(reps):
                        t0 = time.perf_counter()
                        query(session)
                        samples.append((time.perf_counter() - t0) * 1000)
                    cpu = (clock() - cpu0) * 1000 / reps
                p50, p95 = _pct(samples)
                results.append(
                    {
                        "range": preset,
                        "agent": "one" if agent else "all",
                        "query": name,
                        "p50_ms": p50,
                        "p95_ms": p95,
                        "cpu_ms": cpu,
                    }
                )
                print(
                    f"{preset:>4} {'one agent' if agent else 'all agents':>10}  {name:<48} "
                    f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  CPU {cpu:6.1f} ms/query",
                    flush=True,
                )
    return results


async def _lag_while_loading(actor: Any, concurrent: int, seconds: float) -> tuple[list[float], int]:
    """Event-loop lag (ms) while ``concurrent`` clients load the 90-day analytics page over and
    over for ``seconds``, the way the page does (``load_report`` in a worker thread, then the
    end-user table through ``in_session``); returns the lags and the pages loaded."""
    import asyncio

    from backend.analytics.periods import preset_period
    from backend.analytics.service import end_user_table, load_report
    from benchmarks.loop_lag import Probe
    from dashboard.shell.db import in_session

    period = preset_period("90d", "Europe/Berlin", "week", datetime.now(UTC))
    loaded = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal loaded
        while time.perf_counter() < deadline:
            await asyncio.to_thread(load_report, actor=actor, period=period, end_users=False)
            await in_session(lambda s: end_user_table(actor=actor, period=period, session=s))
            loaded += 1

    probe = Probe()
    task = asyncio.create_task(probe.run())
    if concurrent:
        await asyncio.gather(*(client() for _ in range(concurrent)))
    else:
        await asyncio.sleep(seconds)
    probe.running = False
    await task
    return probe.lags, loaded


def _print_lag(actor: Any, seconds: float) -> None:
    """The "no other client waits" figure: probe lag alone, then with 1 and 3 page loads at once."""
    import asyncio

    print("event-loop lag while analytics pages load (90 days, all agents; a 5 ms sleep's lateness):")
    for concurrent in (0, 1, 3):
        lags, loaded = asyncio.run(_lag_while_loading(actor, concurrent, seconds))
        ordered = sorted(lags)
        p = [ordered[min(len(ordered) - 1, int(len(ordered) * q))] for q in (0.5, 0.95, 0.99)]
        print(
            f"  {concurrent} page loads at once: {loaded:>3} pages | lag p50 {p[0]:6.1f}  p95 {p[1]:6.1f}  "
            f"p99 {p[2]:6.1f}  max {ordered[-1]:6.1f} ms",
            flush=True,
        )


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
    parser.add_argument(
        "--conversations",
        action="store_true",
        help="every third run starts a conversation (2 messages): the agent view's starters read them",
    )
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the generated database (prints its URL)")
    parser.add_argument("--generate-only", action="store_true", help="stop after generating (with --keep)")
    parser.add_argument(
        "--reuse", default=None, help="URL of a database a --keep run generated: migrate it, catch up, time queries"
    )
    parser.add_argument(
        "--lag-seconds", type=float, default=0, help="also measure event-loop lag while pages load (s per level)"
    )
    args = parser.parse_args()
    os.environ["AGENTHUB_DATA_DIR"] = tempfile.mkdtemp(prefix="analytics-bench-data-")
    from backend.analytics.rollup import run_rollup
    from backend.db import get_engine, migrate

    url, drop = (args.reuse, lambda: None) if args.reuse else new_database(args.database_url)
    if args.keep:
        drop = lambda: None  # noqa: E731
        print(f"database kept: {url}")
    try:
        t0 = time.perf_counter()
        migrate(url)
        engine = get_engine(url)
        pg = engine.dialect.name == "postgresql"
        print(f"database: {engine.dialect.name}; load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        if args.reuse:
            print(f"migrated in {time.perf_counter() - t0:.1f} s", flush=True)
            actor, agent_id = find_workspace(engine)
            counts, generated = {}, 0.0
        else:
            actor, agents, conns = setup_workspace(engine)
            agent_id = agents[0][0]
            t0 = time.perf_counter()
            chunks = generate_chunks(
                args.rows, args.days, actor, agents, conns, args.end_users, pg, conversations=args.conversations
            )
            counts = write_rows(engine, chunks, pg)
            generated = time.perf_counter() - t0
            print(f"generated {counts} in {generated:.1f} s", flush=True)
            if args.generate_only:
                return
        t0 = time.perf_counter()
        batches = run_rollup(engine=engine)
        build = time.perf_counter() - t0
        print(f"rollup build: {build:.1f} s in {batches} transactions", flush=True)
        t0 = time.perf_counter()
        run_rollup(engine=engine)
        catch_up_ms = (time.perf_counter() - t0) * 1000
        print(f"catch-up pass when up to date: {catch_up_ms:.0f} ms", flush=True)
        _analyze(engine)
        _import_page_modules()  # the app has them loaded before it freezes (its pages import them)
        from backend.heap import settle_heap

        settle_heap()  # as the app does once started (dashboard/app.py): freeze, then its GC thresholds
        results = _time_queries(engine, actor, agent_id, args.reps)
        if args.lag_seconds:
            os.environ["DATABASE_URL"] = url  # the page's own functions use the configured database
            from backend.config import get_settings

            get_settings.cache_clear()
            _print_lag(actor, args.lag_seconds)
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
