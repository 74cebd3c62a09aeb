"""Budget holds at scale: ``release_expired`` next to 1M settled holds, and settle + usage writes/s.

1. ``--holds`` (default 1,000,000) settled reservation rows are inserted into
   ``budget_reservations`` (what older versions left behind: today settling deletes the rows,
   this is the worst case a database upgraded without the pruning migration would see), plus
   a few unsettled holds that have not expired. ``budgets.release_expired`` is then timed
   (median and max of ``--repeat`` runs): it must read only unsettled holds, through the partial
   index ``ix_budget_reservations_unsettled``.
2. ``--writes`` gateway call endings, each exactly what the gateway does when a call finishes
   (``calls.finish``: settle the call's hold and write its usage record, one transaction), one
   after another from one thread; holds reserved beforehand (not timed). Printed: writes/s.

Issue 10's targets: ``release_expired`` <= 5 ms with 1M settled holds; >= 1,000 writes/s on SQLite.

    .venv/bin/python benchmarks/budget_holds.py               # SQLite in a temp dir
    .venv/bin/python benchmarks/budget_holds.py --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks.gateway_overhead import setup_workspace  # noqa: E402

CHUNK = 50_000


def seed_settled(counter: str, holds: int) -> float:
    """Insert ``holds`` settled, long-expired reservations on ``counter``; returns seconds taken."""
    from sqlalchemy import insert

    from backend.db import session_scope
    from backend.models.common import utcnow
    from backend.models.gateway import BudgetReservation

    started, past = time.perf_counter(), utcnow() - timedelta(days=30)
    for first in range(0, holds, CHUNK):
        rows = [
            {
                "id": uuid.uuid4().hex,
                "hold_id": uuid.uuid4().hex,
                "counter_id": counter,
                "amount_nanousd": 1000,
                "tokens": 10,
                "expires_at": past,
                "settled": True,
                "expired": False,
                "created_at": past,
                "run_id": None,
            }
            for _ in range(min(CHUNK, holds - first))
        ]
        with session_scope() as s:
            s.execute(insert(BudgetReservation), rows)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="release_expired with many settled holds; settle + usage writes/s.")
    parser.add_argument("--holds", type=int, default=1_000_000, help="settled holds to seed")
    parser.add_argument("--writes", type=int, default=2000, help="settle + usage-record writes to time")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of release_expired")
    parser.add_argument("--database-url", default=None, help="scratch database (default: SQLite in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agenthub-bench-") as data_dir:
        os.environ["AGENTHUB_DATA_DIR"] = data_dir
        if args.database_url:
            os.environ["DATABASE_URL"] = args.database_url
        else:
            os.environ.pop("DATABASE_URL", None)
        run(args)


def run(args: argparse.Namespace) -> None:
    from backend.accounts.principal import principal_for_member
    from backend.config import get_settings
    from backend.db import session_scope
    from backend.gateway import budgets
    from backend.gateway.calls import Call, finish
    from backend.gateway.candidates import Target, make_plan
    from backend.gateway.completion import Usage
    from benchmarks.gateway_overhead import MODEL

    actor, connection_id, agent_id = setup_workspace("http://127.0.0.1:9/v1")
    targets = [Target(connection_id, MODEL)]
    with session_scope() as session:
        principal = principal_for_member(actor, agent_id, session)
    plan = make_plan(principal=principal, targets=targets)
    hold = budgets.reserve(plan.budgets, usd=0.001, tokens=100, ttl_s=600)  # creates this period's counter
    assert hold is not None
    settings = get_settings()
    db = "postgresql" if settings.resolved_database_url.startswith("postgresql") else "sqlite"
    print(f"budget holds: {os.cpu_count()} CPUs, database {db}")
    print("load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    seeded = seed_settled(hold.counter_ids[0], args.holds)
    for _ in range(5):  # a few holds in progress (not expired): release_expired must leave them
        budgets.reserve(plan.budgets, usd=0.001, tokens=100, ttl_s=600)
    budgets.release_expired()  # warm up
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        released = budgets.release_expired()
        times.append((time.perf_counter() - started) * 1000)
        assert released == 0
    print(
        f"release_expired with {args.holds:,} settled holds (seeded in {seeded:.1f} s): "
        f"median {statistics.median(times):.2f} ms, max {max(times):.2f} ms ({args.repeat} runs)"
    )

    calls = []
    for _ in range(args.writes):
        call = Call(principal, None, True)
        call.current, call.called = plan.candidates[0], True  # type: ignore[assignment]
        call.hold = budgets.reserve(plan.budgets, usd=0.001, tokens=100, ttl_s=600)
        calls.append(call)
    usage = Usage(30, 20, 0.0000165, None, 5, 50, MODEL, 0)
    started = time.perf_counter()
    for call in calls:
        finish(call, status="ok", usage=usage)
    elapsed = time.perf_counter() - started
    print(
        f"settle + usage record (calls.finish, one transaction each, one thread): "
        f"{args.writes / elapsed:,.0f} writes/s ({elapsed / args.writes * 1000:.2f} ms each)"
    )
    print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
