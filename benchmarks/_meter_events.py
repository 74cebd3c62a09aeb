"""Meter-event batches per second against the local Stripe server (part of
``benchmarks/billing_throughput.py``).

The local Stripe server (``tests.support.stripe_server``) runs in its own process, so the
benchmark's process pays only for what the app's worker pays: the real
``billing.stripe.metering.send_pending_meter_events`` (claim a batch of metered run charges,
build the Meter Events, ``POST /v2/billing/meter_event_stream`` through the official ``stripe``
SDK with an idempotency key, mark the rows sent, one transaction a batch of 100).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SERVER = """
import sys
from tests.support.stripe_server import StripeTestServer
with StripeTestServer() as server:
    print(server.base_url, server.api_key, flush=True)
    sys.stdin.readline()
    stream = server.requests_to("/v2/billing/meter_event_stream")
    print(len(server.store.meter_events), sum(1 for r in stream if r.status == 200), flush=True)
"""


@contextmanager
def stripe_server() -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    """The local Stripe server in a child process: yields (base URL, API key, process)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    try:
        assert proc.stdout is not None
        base_url, api_key = proc.stdout.readline().split()
        yield base_url, api_key, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def server_counts(proc: subprocess.Popen[str]) -> tuple[int, int]:
    """(distinct identifiers the server stored, stream requests it accepted); ends the server."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("\n")
    proc.stdin.flush()
    events, batches = proc.stdout.readline().split()
    return int(events), int(batches)


def to_stripe_mode(owner_workspace_id: str) -> int:
    """Turn the benchmark's test-mode subscriptions of ``owner_workspace_id`` into Stripe-mode ones
    (provider ``stripe``, a Stripe customer id per subscriber, the listing's meter event name) so
    their metered run charges are due for the metering worker; returns how many are due."""
    from sqlalchemy import update
    from sqlmodel import col, func, select

    from backend.db import session_scope
    from backend.models import BillingCustomer, BillingSubscription, ListingPrice, RunCharge
    from billing.catalog import meter_event_name

    with session_scope() as s:
        subs = s.exec(select(BillingSubscription).where(BillingSubscription.workspace_id == owner_workspace_id)).all()
        for sub in subs:
            sub.provider = "stripe"
            s.add(sub)
            customer = s.exec(select(BillingCustomer).where(BillingCustomer.user_id == sub.user_id)).one()
            customer.stripe_customer_id = f"cus_bench{customer.id[:12]}"
            s.add(customer)
            price = s.exec(select(ListingPrice).where(ListingPrice.listing_id == sub.listing_id)).one()
            price.meter_event_name = meter_event_name(sub.listing_id)
            s.add(price)
        ids = [sub.id for sub in subs]
        s.execute(
            update(RunCharge).where(col(RunCharge.billing_subscription_id).in_(ids)).values(meter_next_attempt_at=None)
        )
        due = select(func.count()).select_from(RunCharge)
        due = due.where(col(RunCharge.billing_subscription_id).in_(ids), col(RunCharge.metered).is_(True))
        return int(s.exec(due.where(col(RunCharge.meter_sent_at).is_(None))).one())


def _send(limit: int, senders: int) -> tuple[int, float, float]:
    """``senders`` threads each running the metering worker's pass for its share of ``limit``
    (PostgreSQL: concurrent claims with SKIP LOCKED; SQLite: the worker's process lock serializes
    them); returns (sent, wall seconds, CPU seconds of this process)."""
    from concurrent.futures import ThreadPoolExecutor

    from billing.stripe import metering

    share = -(-limit // senders)
    cpu, started = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        sent = sum(pool.map(lambda _: metering.send_pending_meter_events(limit=share), range(senders)))
    return sent, time.perf_counter() - started, time.process_time() - cpu


def measure(owner_workspace_id: str, senders: int = 2) -> None:
    """Send every due metered run charge of the owner's subscriptions through the metering worker
    against the local Stripe server in a child process: the first half with one sender, the rest
    with ``senders`` concurrent ones (side by side). Prints records/s (floor 2,000), batches/s,
    CPU per record and what the server received."""
    from billing.settings import get_billing_settings
    from billing.stripe import metering

    with stripe_server() as (base_url, api_key, proc):
        os.environ.update(STRIPE_SECRET_KEY=api_key, STRIPE_API_BASE=base_url)
        get_billing_settings.cache_clear()
        metering._tokens.clear()
        due = to_stripe_mode(owner_workspace_id)
        half = due // 2
        for count, label in ((1, "1 sender"), (senders, f"{senders} concurrent senders")):
            print("load average before meter events: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
            sent, elapsed, cpu = _send(half if count == 1 else due - half, count)
            print(
                f"meter events, {label}: {sent:,} metered runs sent in {elapsed:.2f} s: {sent / elapsed:,.0f} "
                f"records/s (floor 2,000), {sent / metering.BATCH_SIZE / elapsed:,.1f} batches/s of "
                f"{metering.BATCH_SIZE}, CPU {cpu / max(sent, 1) * 1e6:.0f} µs per record in the sender process"
            )
        events, batches = server_counts(proc)
    for key in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE"):
        os.environ.pop(key, None)
    get_billing_settings.cache_clear()
    print(
        f"local Stripe server received {events:,} distinct identifiers of {due:,} due in {batches:,} accepted batches"
    )
