"""Data of ``benchmarks/analytics_query.py``: a new database, a workspace with agents, and usage
records, runs and tool calls written with ``executemany`` (SQLite) or ``COPY`` (PostgreSQL)."""

from __future__ import annotations

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
    "cost_nano_usd cost_note error created_at finished_at latency_ms fallback_path partial_text conversation_id"
).split()
CONVERSATION_COLS = "id workspace_id agent_id user_id blueprint_version_id model title created_at updated_at".split()
MESSAGE_COLS = "id conversation_id position role content run_id created_at".split()
STARTERS = (
    "How do I reset my password?",
    "My order hasn't arrived yet",
    "I was charged twice",
    "Summarize these notes:",
    "Explain this query:",
    "What can you do?",
)
"""First messages of 60 % of the generated conversations (the rest are unique)."""
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


CHUNK = 200_000
"""Usage records generated (and written) per chunk."""


def _times(start: datetime, step_s: float, index: Any, pg: bool) -> list[str]:
    """Timestamps ``start + step_s * index`` as the database's text (ISO on PostgreSQL)."""
    import numpy as np

    micros = np.datetime64(start.replace(tzinfo=None), "us") + (index * step_s * 1e6).astype("timedelta64[us]")
    text = np.datetime_as_string(micros, unit="us")
    return [t + "+00:00" for t in text.tolist()] if pg else [t.replace("T", " ") for t in text.tolist()]


def find_workspace(engine: Any) -> tuple[Any, str]:
    """``(actor, id of "Agent 0")`` of a database :func:`setup_workspace` filled before."""
    import sqlalchemy as sa

    from backend.accounts.actor import Actor
    from backend.analytics.breakdowns import agent_names
    from backend.db import session_scope
    from backend.models import User, Workspace

    with session_scope(engine) as s:
        query = sa.select(User.id, Workspace.id).join(Workspace, Workspace.owner_id == User.id)  # type: ignore[arg-type,call-overload]
        user_id, workspace_id = s.execute(query.where(User.email == "bench@example.com")).one()  # type: ignore[arg-type]
        names = agent_names(s, workspace_id)
        first = next(i for i, n in names.items() if n == "Agent 0")
        return Actor(user_id=user_id, workspace_id=workspace_id), first


def _conversation(i: int, run: tuple[Any, ...], actor: Any) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """A conversation started with run ``run`` (``RUN_COLS`` order) and its two messages."""
    cid, at = f"c{i:031x}", run[13]
    text = STARTERS[(i // 9) % 6] if (i // 54) % 5 < 3 else f"A question of my own, number {i}"
    conv = (cid, actor.workspace_id, run[2], actor.user_id, run[4], run[6], "Bench", at, at)
    question = (f"m{i:031x}", cid, 1, "user", text, None, at)
    return conv, [question, (f"n{i:031x}", cid, 2, "assistant", "Hi!", run[0], at)]


def generate_chunks(
    n: int,
    days: int,
    actor: Any,
    agents: list[tuple[str, str]],
    conns: list[str],
    users: int,
    pg: bool,
    conversations: bool = False,
) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """``{"conversation" | "message" | "usage" | "run" | "tool": [row, ...]}`` per chunk of
    :data:`CHUNK` usage records, rows in column order, oldest first, generated with numpy (seeded):
    half the calls spread over 10 agents, half over 3; 90 % on the agent's model; 93 % ok; ~1 run
    per 3 calls, ~1 tool call per 5; with ``conversations``, every third run starts a conversation
    (a user message, 60 % of them one of :data:`STARTERS`, and an answer)."""
    import numpy as np

    rng = np.random.default_rng(1)
    end = datetime.now(UTC)
    start, step_s = end - timedelta(days=days), days * 86400 / n
    true, empty = ("t", "[]") if pg else (1, "[]")
    agent_ids = [a for a, _ in agents]
    model_of_agent = np.array([int(a, 16) % 4 for a in agent_ids])
    statuses = np.array(["ok", "error", "cancelled", "rejected"])
    error_classes = np.array(["provider_error", "timeout", "rate_limited"])
    tools = np.array(["calculator", "fetch_webpage", "knowledge_search", "http_request"])
    run_statuses = {"ok": "succeeded", "cancelled": "cancelled"}
    for lo in range(0, n, CHUNK):
        index = np.arange(lo, min(n, lo + CHUNK))
        m = len(index)
        agent = np.where(rng.random(m) < 0.5, rng.integers(0, 10, m), index % 3)
        model = np.where(rng.random(m) < 0.9, model_of_agent[agent], rng.integers(0, 4, m))
        status = np.where(rng.random(m) < 0.93, 0, rng.choice([1, 1, 2, 3], m))
        error_class = np.where(status == 1, error_classes[rng.integers(0, 3, m)], "")
        error_class = np.where(status == 2, "cancelled", np.where(status == 3, "budget", error_class))
        prompt, completion = rng.integers(50, 3001, m), rng.integers(10, 801, m)
        latency = rng.lognormal(7, 0.6, m).astype(np.int64)
        cost = prompt * 150 + completion * 600
        end_user = rng.integers(0, users, m)
        when = _times(start, step_s, index, pg)
        cols = zip(
            index.tolist(), agent.tolist(), model.tolist(), statuses[status].tolist(), error_class.tolist(),
            prompt.tolist(), completion.tolist(), latency.tolist(), cost.tolist(), end_user.tolist(), when,
            strict=True,
        )  # fmt: skip
        usage, runs, convs, msgs = [], [], [], []
        for i, a, mo, st, ec, p, c, lat, co, eu, at in cols:
            provider, model_name = MODELS[mo]
            usage.append(
                (f"u{i:031x}", actor.workspace_id, agent_ids[a], f"eu{eu}", "member", actor.user_id, None,
                 conns[provider == "anthropic"], provider, model_name, p, c, 0, co, "", lat, lat // 4, st, ec, "",
                 empty, true, at)
            )  # fmt: skip
            if i % 3 == 0:
                runs.append(
                    (f"r{i:031x}", actor.workspace_id, agent_ids[a], actor.user_id, agents[a][1], provider,
                     model_name, run_statuses.get(st, "failed"), p * 3, c * 3, co * 3, "", "", at, at, lat * 3,
                     empty, "", None)
                )  # fmt: skip
                if conversations and i % 9 == 0:
                    conv, pair = _conversation(i, runs[-1], actor)
                    runs[-1] = (*runs[-1][:-1], conv[0])
                    convs.append(conv)
                    msgs.extend(pair)
        picks = index % 5 == 0
        k = int(picks.sum())
        tool_rows = zip(
            index[picks].tolist(), agent[picks].tolist(), tools[rng.integers(0, 4, k)].tolist(),
            np.where(rng.random(k) < 0.95, "ok", "error").tolist(), rng.integers(5, 3001, k).tolist(),
            [when[j] for j in np.flatnonzero(picks).tolist()], strict=True,
        )  # fmt: skip
        tool = [
            (f"t{i:031x}", actor.workspace_id, agent_ids[a], actor.user_id, "", name, "1", "{}", st, "", "", ms, at)
            for i, a, name, st, ms, at in tool_rows
        ]
        yield {"conversation": convs, "message": msgs, "usage": usage, "run": runs, "tool": tool}


def write_rows(engine: Any, chunks: Iterator[dict[str, list[tuple[Any, ...]]]], pg: bool) -> dict[str, int]:
    """Write every chunk of :func:`generate_chunks` (``COPY`` on PostgreSQL, ``executemany`` on
    SQLite) in one transaction; returns the rows written per kind."""
    tables = {
        "conversation": ("conversations", CONVERSATION_COLS),
        "message": ("messages", MESSAGE_COLS),
        "usage": ("usage_records", USAGE_COLS),
        "run": ("runs", RUN_COLS),
        "tool": ("tool_audit", TOOL_COLS),
    }
    counts = dict.fromkeys(tables, 0)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for chunk in chunks:
            for kind, rows in chunk.items():
                name, cols = tables[kind]
                if not rows:
                    continue
                if pg:
                    with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join("?" * len(cols))
                    cur.executemany(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({marks})", rows)
                counts[kind] += len(rows)
        raw.commit()
    finally:
        raw.close()
    return counts
