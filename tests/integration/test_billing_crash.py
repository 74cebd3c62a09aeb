"""kill -9 the process that runs 200 paid subscriber runs while its billing worker claims the
outbox, then restart: every finished run has exactly one usage record and one run charge, every
outbox row is done exactly once (the period's counters and LLM cost equal the usage records),
and ``reconcile`` finds no difference for the subscription."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlmodel import col, func, select

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.gateway.admin import set_model_override
from backend.models import Run, UsageRecord
from backend.models.billing import BillingPeriod, RunCharge
from backend.models.outbox import BillingOutbox
from backend.runtime.sweep import sweep_stale_runs
from billing.checkout import confirm_test_checkout
from billing.outbox import process_pending
from billing.reconcile import reconcile_ledger
from marketplace.subscriptions import subscribe
from tests.support.llm_server import LLMTestServer
from tests.support.marketplace import listing, publisher_connection

ROOT = Path(__file__).resolve().parents[2]
RUNS = 200


def _charges(bsub_id: str) -> int:
    with session_scope() as s:
        return int(s.exec(select(func.count()).where(RunCharge.billing_subscription_id == bsub_id)).one())


def _load(user_id: str, listing_id: str, count: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603  (our own test helper)
        [sys.executable, "-m", "tests.support.billing_load", user_id, listing_id, str(count)],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _paid_listing(owner: Actor, fan: Actor, server: LLMTestServer) -> tuple[str, str, str]:
    conn = publisher_connection(owner, base_url=server.base_url, api_key=server.api_key)
    with session_scope() as s:  # a price, so each record's cost shows if it were counted twice
        set_model_override(
            actor=owner,
            connection_id=conn,
            model="test-model",
            input_usd_per_1m=100.0,
            output_usd_per_1m=100.0,
            session=s,
        )
    pub = listing(owner, conn, plan_kind="monthly", monthly_price_cents=500, included_runs=50, price_per_run_cents=1)
    with session_scope() as s:
        view = subscribe(actor=fan, listing_id=pub.id, session=s)
        assert view.checkout_url is not None
        bsub_id = view.checkout_url.rsplit("/", 1)[-1]
        confirm_test_checkout(user_id=fan.user_id, billing_subscription_id=bsub_id, session=s)
    return pub.id, pub.agent_id, bsub_id


def test_kill_9_mid_billing_then_restart(make_actor: Callable[[], Actor]) -> None:
    owner, fan = make_actor(), make_actor()
    with LLMTestServer(reply="Short answer.") as server:
        listing_id, agent_id, bsub_id = _paid_listing(owner, fan, server)
        proc = _load(fan.user_id, listing_id, RUNS)
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and proc.poll() is None and _charges(bsub_id) < 60:
                time.sleep(0.05)
            at_kill = _charges(bsub_id)
            assert proc.poll() is None and 0 < at_kill < RUNS, "the worker was not killed mid-way"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        time.sleep(1.2)
        sweep_stale_runs(stale_after_s=1)  # restart: the interrupted run is finished (failed)
        with session_scope() as s:
            started = int(s.exec(select(func.count()).where(Run.agent_id == agent_id)).one())
        rest = _load(fan.user_id, listing_id, RUNS - started)
        out, _ = rest.communicate(timeout=300)
        assert rest.returncode == 0 and out.decode().strip().endswith("done"), out.decode()[-2000:]
    process_pending()

    with session_scope() as s:
        runs = s.exec(select(Run).where(Run.agent_id == agent_id)).all()
        records = s.exec(select(UsageRecord).where(UsageRecord.agent_id == agent_id)).all()
        charges = s.exec(select(RunCharge).where(RunCharge.billing_subscription_id == bsub_id)).all()
        outbox = s.exec(
            select(BillingOutbox).where(col(BillingOutbox.usage_record_id).in_([r.id for r in records]))
        ).all()
        [period] = s.exec(select(BillingPeriod).where(BillingPeriod.billing_subscription_id == bsub_id)).all()
        differences = [d for d in reconcile_ledger(session=s) if bsub_id in d or period.id in d]
    finished = [r for r in runs if r.status == "succeeded"]
    assert len(runs) == RUNS and len(finished) >= RUNS - 1
    per_run: dict[str, list[UsageRecord]] = {}
    for record in records:
        per_run.setdefault(str(record.run_id), []).append(record)
    charged = {c.run_id: c for c in charges}
    for run in finished:
        assert len(per_run[run.id]) == 1 and run.id in charged  # one usage record, one run charge
        assert charged[run.id].llm_cost_nano_usd == per_run[run.id][0].cost_nano_usd > 0
    billable = [r for r in records if r.cost_nano_usd > 0 or r.prompt_tokens + r.completion_tokens > 0]
    assert len(charges) == len({r.run_id for r in billable}) and len(charged) == len(charges)
    assert len(outbox) == len(billable) and all(o.done_at is not None and o.attempts == 0 for o in outbox)
    assert period.runs == len(charges) and period.metered_runs == len(charges) - 50
    assert period.llm_cost_nano_usd == sum(r.cost_nano_usd for r in billable)  # each record counted once
    assert sum(c.amount_cents for c in charges) == period.metered_runs
    assert differences == []
