"""Cost of asking the permissions module: ``permissions.require`` (one membership read by primary
key) and ``audit.record`` (one user read and one insert), on a fresh SQLite file or PostgreSQL
(``DATABASE_URL``), each inside an open transaction as the services call them.

Printed: p50/p95 wall time per call and this process's CPU time per call, beside a floor (a
``SELECT 1`` round trip in the same transaction), with the machine's load average.

    .venv/bin/python benchmarks/permissions_check.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("AGENTHUB_DATA_DIR", tempfile.mkdtemp(prefix="perm-bench-"))


def _timed(fn: Callable[[], object], calls: int) -> tuple[float, float, float]:
    walls = []
    cpu0 = time.process_time()
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        walls.append((time.perf_counter() - t) * 1000)
    cpu = (time.process_time() - cpu0) * 1000 / calls
    walls.sort()
    return statistics.median(walls), walls[int(len(walls) * 0.95)], cpu


def main(calls: int) -> None:
    import sqlalchemy as sa

    from backend.accounts import audit, permissions
    from backend.accounts.actor import Actor
    from backend.accounts.service import sign_up
    from backend.db import migrate, session_scope

    migrate()
    with session_scope() as s:
        user, _ = sign_up(email=f"bench{time.time_ns()}@example.com", password="correct horse battery", session=s)
    actor = Actor(user.id, user.workspace_id)
    print(f"database: {'PostgreSQL' if os.environ.get('DATABASE_URL', '').startswith('postgres') else 'SQLite'}")
    print(f"load average (1, 5, 15 min): {os.getloadavg()}  cpus: {os.cpu_count()}")
    with session_scope() as s:
        for name, fn in (
            ("floor: SELECT 1", lambda: s.execute(sa.text("SELECT 1")).scalar()),
            ("permissions.require(agents.edit)", lambda: permissions.require(actor, permissions.AGENTS_EDIT, s)),
            (
                "audit.record (insert)",
                lambda: audit.record(s, actor=actor, action="bench.call", summary="Benchmark event"),
            ),
        ):
            fn()  # warm-up
            p50, p95, cpu = _timed(fn, calls)
            print(f"{name:36s} p50 {p50:7.3f} ms  p95 {p95:7.3f} ms  cpu/call {cpu:7.3f} ms")
        s.rollback()  # the benchmark's audit rows are not kept


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    main(parser.parse_args().calls)
