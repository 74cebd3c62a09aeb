"""Several processes starting together on a fresh database migrate it exactly once (issue 17).

On PostgreSQL two concurrent ``alembic upgrade`` runs used to collide on ``alembic_version``
(``UniqueViolation ... pg_type_typname_nsp_index``); ``backend.db.migrate`` now takes an advisory
lock. Each process here is a real ``agenthub migrate``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 4


def test_processes_starting_together_migrate_once(fresh_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": fresh_url, "AGENTHUB_DATA_DIR": str(tmp_path)}
    env.pop("REDIS_URL", None)
    procs = [
        subprocess.Popen(  # noqa: S603  (our own command)
            [sys.executable, "-c", "from backend.cli import main; raise SystemExit(main(['migrate']))"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    outputs = [(p.wait(120), p.stdout.read() if p.stdout else "") for p in procs]
    assert [code for code, _ in outputs] == [0] * PROCESSES, outputs
    engine = sa.create_engine(fresh_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            heads = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
            tables = sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()
    assert len(heads) == len(set(heads)) >= 1 and "users" in tables
