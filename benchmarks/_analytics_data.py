"""Data of ``benchmarks/analytics_query.py``: a new database, a workspace with agents, and usage
records, runs and tool calls written with ``executemany`` (SQLite) or ``COPY`` (PostgreSQL)."""

from __future__ import annotations

import random
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


def new_database(url: str | None) -> tuple[str, Callable[[], None]]:
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


def setup_workspace(engine: Any) -> tuple[Any, list[tuple[str, str]], list[str]]:
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


def generate_rows(
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


def write_rows(engine: Any, rows: Iterator[tuple[str, tuple[Any, ...]]], pg: bool) -> dict[str, int]:
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
