"""Billing throughput: outbox records processed per second, and what the outbox row adds to a
billable run's usage write.

1. ``--records`` usage records of paid subscribers' runs (``--subscribers`` subscribers of one
   monthly listing, about 1.5 records per run) with their outbox rows are inserted (not timed);
   ``billing.outbox.process_pending`` then claims and processes them in batches of ``--batch``
   (one transaction each: run charges, period totals, rows marked done). Printed: records/s and
   CPU per record. Target: >= 2,000 records/s on SQLite and PostgreSQL.
2. The run path: ``--writes`` usage-record transactions with the outbox row
   (``backend.gateway.usage.insert_usage``, what the gateway does) and as many without it (the
   usage record alone), interleaved, each its own commit. Printed side by side: p50/p95 per
   write and the difference. Target: the outbox row adds <= 1 ms at p95.
3. Meter events (``benchmarks/_meter_events.py``): the subscriptions are switched to Stripe mode
   and every metered run charge part 1 wrote is sent by the real metering worker
   (``billing.stripe.metering.send_pending_meter_events``: batches of 100 through the official
   ``stripe`` SDK) to the local Stripe server (``tests.support.stripe_server``) in a child
   process: half of them by one sender, the rest by ``--senders`` concurrent ones. Printed:
   records/s, batches/s, CPU per record. Target: >= 2,000 records/s.

    .venv/bin/python benchmarks/billing_throughput.py               # SQLite in a temp dir
    .venv/bin/python benchmarks/billing_throughput.py --database-url postgresql://postgres@127.0.0.1:5432/bench
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def _setup(subscribers: int) -> list[dict[str, str]]:
    """A publisher with a paid listing and ``subscribers`` who checked out; returns the fields a
    usage record of each subscriber's run needs."""
    from backend.accounts.actor import Actor
    from backend.accounts.service import sign_up
    from backend.agents.service import create_agent
    from backend.connections.service import create_connection
    from backend.db import migrate, session_scope
    from backend.models import BlueprintFields, Subscription
    from backend.models.common import utcnow
    from billing.checkout import confirm_test_checkout
    from marketplace.listings import publish_listing, save_listing
    from marketplace.schemas import ListingInput
    from marketplace.subscriptions import subscribe

    migrate()

    def user() -> Actor:
        with session_scope() as s:
            row, _ = sign_up(email=f"b{uuid.uuid4().hex[:10]}@example.com", password="bench password 123", session=s)
        return Actor(user_id=row.id, workspace_id=row.workspace_id)

    owner = user()
    with session_scope() as s:
        conn = create_connection(
            actor=owner,
            name="x",
            provider="openai_compatible",
            api_key=None,
            base_url="http://127.0.0.1:9/v1",
            session=s,
        ).id
        fields = BlueprintFields(name="Bench", connection_id=conn, model="test-model", instructions="x")
        agent_id = create_agent(actor=owner, fields=fields, session=s)
        data = ListingInput(
            title="Bench agent", plan_kind="monthly", monthly_price_cents=500, included_runs=100, price_per_run_cents=1
        )
        listing_id = publish_listing(
            actor=owner, listing_id=save_listing(actor=owner, agent_id=agent_id, data=data, session=s).id, session=s
        ).id
    out = []
    for _ in range(subscribers):
        fan = user()
        with session_scope() as s:
            view = subscribe(actor=fan, listing_id=listing_id, session=s)
            assert view.checkout_url
            bsub = view.checkout_url.rsplit("/", 1)[-1]
            confirm_test_checkout(
                user_id=fan.user_id, billing_subscription_id=bsub, session=s, now=utcnow() - timedelta(hours=1)
            )
            grant = s.get(Subscription, view.id).grant_id  # type: ignore[union-attr]
        out.append({"ws": owner.workspace_id, "agent": agent_id, "user": fan.user_id, "grant": str(grant)})
    return out


def _values(sub: dict[str, str], run_id: str, cost: int) -> dict[str, Any]:
    from backend.models.common import new_id, utcnow

    return {
        "id": new_id(), "workspace_id": sub["ws"], "agent_id": sub["agent"], "end_user_id": sub["user"],
        "caller_kind": "grant", "caller_id": sub["grant"], "run_id": run_id, "connection_id": None,
        "provider": "openai_compatible", "model": "test-model", "prompt_tokens": 120, "completion_tokens": 40,
        "cached_tokens": 0, "cost_nano_usd": cost, "cost_note": "", "latency_ms": 800, "ttft_ms": 200,
        "status": "ok", "error_class": "", "error": "", "fallback_path": [], "streamed": True, "created_at": utcnow(),
    }  # fmt: skip


def _seed(subs: list[dict[str, str]], records: int) -> tuple[float, int]:
    from backend.db import session_scope
    from backend.gateway.usage import insert_usage
    from backend.models.common import new_id

    started, n, runs = time.perf_counter(), 0, 0
    while n < records:
        with session_scope() as s:
            for _ in range(min(500, records - n)):
                sub = subs[n % len(subs)]
                run_id = new_id()
                insert_usage(s, _values(sub, run_id, 2_400_000))
                n, runs = n + 1, runs + 1
                if n % 2 == 0 and n < records:  # every other run has a second call (a tool round)
                    insert_usage(s, _values(sub, run_id, 1_100_000))
                    n += 1
    return time.perf_counter() - started, runs


def _run_path(sub: dict[str, str], writes: int) -> tuple[list[float], list[float]]:
    from sqlalchemy import insert

    from backend.db import session_scope
    from backend.gateway.usage import insert_usage
    from backend.models import UsageRecord
    from backend.models.common import new_id

    plain, outbox = [], []
    usage_insert = insert(UsageRecord.__table__)  # type: ignore[attr-defined]
    for i in range(writes * 2 + 50):
        values = _values(sub, new_id(), 2_400_000)
        started = time.perf_counter()
        with session_scope() as s:
            if i % 2:
                insert_usage(s, values)  # usage record + outbox row (the gateway's write)
            else:
                s.connection().execute(usage_insert, values)  # the usage record alone
        took = (time.perf_counter() - started) * 1000
        if i >= 50:  # warm-up left out
            (outbox if i % 2 else plain).append(took)
    return plain, outbox


def _charges() -> int:
    from sqlmodel import func, select

    from backend.db import session_scope
    from backend.models.billing import RunCharge

    with session_scope() as s:
        return int(s.exec(select(func.count()).select_from(RunCharge)).one())


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def run(args: argparse.Namespace) -> None:
    from backend.config import get_settings
    from billing.outbox import process_pending

    subs = _setup(args.subscribers)
    db = "postgresql" if get_settings().resolved_database_url.startswith("postgresql") else "sqlite"
    print(f"billing throughput: {os.cpu_count()} CPUs, database {db}")
    print("load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    process_pending()  # rows of the set-up, if any
    (seeded, runs), before = _seed(subs, args.records), _charges()
    cpu, started = time.process_time(), time.perf_counter()
    done = process_pending(batch=args.batch, max_rows=args.records * 2)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"outbox: {done:,} records (seeded in {seeded:.1f} s) processed in {elapsed:.2f} s: "
        f"{done / elapsed:,.0f} records/s (floor 2,000), CPU {cpu / done * 1e6:.0f} µs per record, batch {args.batch}"
    )
    print(f"run charges written: {_charges() - before:,} (one per run: {runs:,} runs seeded)")
    plain, outbox = _run_path(subs[0], args.writes)
    print(
        f"usage write without outbox row: p50 {_p(plain, 50):.3f} ms, p95 {_p(plain, 95):.3f} ms; "
        f"with outbox row: p50 {_p(outbox, 50):.3f} ms, p95 {_p(outbox, 95):.3f} ms"
    )
    print(
        f"added by the outbox row: p50 {_p(outbox, 50) - _p(plain, 50):+.3f} ms, "
        f"p95 {_p(outbox, 95) - _p(plain, 95):+.3f} ms (ceiling 1 ms), {args.writes} writes each"
    )
    if not args.skip_meter:
        from benchmarks._meter_events import measure

        measure(subs[0]["ws"], args.senders)
    print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(description="Billing outbox throughput and the outbox row's cost on the run path.")
    parser.add_argument("--records", type=int, default=20_000, help="usage records to process")
    parser.add_argument("--subscribers", type=int, default=20, help="paid subscribers the records belong to")
    parser.add_argument("--batch", type=int, default=500, help="outbox rows per transaction")
    parser.add_argument("--writes", type=int, default=2000, help="usage writes of each kind (run path)")
    parser.add_argument("--senders", type=int, default=2, help="concurrent meter-event senders (second half)")
    parser.add_argument("--skip-meter", action="store_true", help="leave out the meter-event part (Stripe)")
    parser.add_argument("--database-url", default=None, help="scratch database (default: SQLite in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agenthub-bench-") as data_dir:
        os.environ["AGENTHUB_DATA_DIR"] = data_dir
        if args.database_url:
            os.environ["DATABASE_URL"] = args.database_url
        else:
            os.environ.pop("DATABASE_URL", None)
        run(args)


if __name__ == "__main__":
    main()
