"""The stale-run sweep finishes runs a crashed process left ``running``: failed with the partial
answer, a usage record for the tokens already received, the budget hold released; a crash while
carrying out approval decisions leaves the approval answerable."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from backend.accounts.actor import Actor
from backend.chat.service import get_messages
from backend.cli import main
from backend.db import session_scope
from backend.gateway import budgets
from backend.gateway.catalog import call_cost, model_info
from backend.memory.worker import MemoryWorker
from backend.models import Conversation, Run, RunStep, UsageRecord
from backend.models.common import new_id, utcnow
from backend.models.gateway import usd_to_nano
from backend.runtime.resume import _claim
from backend.runtime.sweep import INTERRUPTED, run_maintenance, sweep_stale_runs
from tests.support import agents as h
from tests.support.crash import counter, run_state, workspace_budget
from tests.support.llm_server import LLMTestServer
from tests.support.principal import for_run


def _crashed_run(
    actor: Actor, server: LLMTestServer, *, seconds_ago: float = 700
) -> tuple[str, str, budgets.BudgetRef]:
    """What a process killed mid-stream leaves: a ``running`` run with its last checkpoint, and a hold."""
    conn = h.connection(actor, server)
    conv = h.conversation(actor, h.agent(actor, conn))
    ref = workspace_budget(actor)
    run_id = new_id()
    with session_scope() as s:
        bp_conv = s.get(Conversation, conv)
        assert bp_conv is not None
        hold = budgets.reserve([ref], usd=0.5, tokens=5000, ttl_s=900, run_id=run_id)
        assert hold is not None
        s.add(
            Run(
                id=run_id,
                workspace_id=actor.workspace_id,
                agent_id=bp_conv.agent_id,
                user_id=actor.user_id,
                conversation_id=conv,
                blueprint_version_id=bp_conv.blueprint_version_id,
                connection_id=conn,
                model="test-model",
                created_at=utcnow() - timedelta(seconds=seconds_ago + 5),
                heartbeat_at=utcnow() - timedelta(seconds=seconds_ago),
                partial_text="The first half of a long answer",
                inflight={
                    "record_id": new_id(),
                    "connection_id": conn,
                    "provider": "openai_compatible",
                    "model": "gpt-4o-mini",
                    "litellm_name": "openai/gpt-4o-mini",
                    "agent_id": bp_conv.agent_id,
                    "end_user_id": actor.user_id,
                    "prompt_tokens": 1200,
                    "completion_tokens": 7,
                    "hold_id": hold.id,
                    "attempts": [],
                    "elapsed_ms": 1500,
                    "ttft_ms": 100,
                    "streamed": True,
                },
            )
        )
    return run_id, conv, ref


def test_a_stale_run_is_failed_with_its_partial_answer_usage_and_released_hold(
    actor: Actor, llm_server: LLMTestServer
) -> None:
    run_id, conv, ref = _crashed_run(actor, llm_server)
    assert counter(ref).reserved_nanousd > 0
    assert sweep_stale_runs() >= 1
    run, messages, records = run_state(run_id)
    assert run.status == "failed" and run.error == INTERRUPTED and run.finished_at is not None
    assert [m.content for m in messages] == ["The first half of a long answer"]
    [record] = records
    expected, _ = call_cost(model_info("openai_compatible", "gpt-4o-mini"), 1200, 7)
    assert (record.prompt_tokens, record.completion_tokens, record.status) == (1200, 7, "error")
    assert record.error_class == "interrupted" and expected > 0 and record.cost_nano_usd == usd_to_nano(expected)
    assert (run.prompt_tokens, run.completion_tokens) == (1200, 7) and run.cost_nano_usd == record.cost_nano_usd
    row = counter(ref)
    assert row.reserved_nanousd == 0 and row.spent_nanousd == budgets.to_nano(expected)
    with session_scope() as s:  # the chat shows it on reload, with the reason
        shown = [m for m in get_messages(actor=actor, conversation_id=conv, session=s) if m.role == "assistant"]
    assert [(m.content, m.run_status, m.error) for m in shown] == [
        ("The first half of a long answer", "failed", INTERRUPTED)
    ]
    assert sweep_stale_runs() == 0 or len(run_state(run_id)[2]) == 1  # a second sweep changes nothing
    assert len(run_state(run_id)[2]) == 1


def test_a_run_with_a_recent_heartbeat_is_left_alone(actor: Actor, llm_server: LLMTestServer) -> None:
    run_id, _, ref = _crashed_run(actor, llm_server, seconds_ago=30)
    sweep_stale_runs()
    run, messages, records = run_state(run_id)
    assert run.status == "running" and messages == [] and records == []
    assert counter(ref).reserved_nanousd > 0
    assert sweep_stale_runs(stale_after_s=10) >= 1  # with a shorter timeout it is stale
    assert run_state(run_id)[0].status == "failed"


def test_a_record_the_call_already_wrote_is_not_written_twice(actor: Actor, llm_server: LLMTestServer) -> None:
    run_id, _, _ = _crashed_run(actor, llm_server)
    with session_scope() as s:
        run = s.get(Run, run_id)
        assert run is not None and run.inflight
        s.add(UsageRecord(id=run.inflight["record_id"], workspace_id=run.workspace_id, run_id=run_id, prompt_tokens=3))
    sweep_stale_runs()
    assert [r.prompt_tokens for r in run_state(run_id)[2]] == [3]


async def test_a_crash_while_resuming_an_approval_keeps_it_answerable(actor: Actor, llm_server: LLMTestServer) -> None:
    agent = h.agent(actor, h.connection(actor, llm_server), tools=["create_task"], approval_tools=["create_task"])
    conv = h.conversation(actor, agent)
    llm_server.script = [{"content": "Filing.", "tool_calls": [h.call("create_task", {"title": "Pay rent"})]}]
    events = await h.run(actor, conv, "File a task to pay rent")
    run_id = events[0].run_id
    _claim(for_run(actor, run_id), run_id)  # the resume took the run ... and the process died before the tool ran
    with session_scope() as s:
        s.execute(update(Run).where(col(Run.id) == run_id).values(heartbeat_at=utcnow() - timedelta(hours=1)))
    assert sweep_stale_runs() >= 1
    run, _, _ = run_state(run_id)
    assert run.status == "awaiting_approval" and run.resume_state and run.error == ""
    with session_scope() as s:
        statuses = [st.status for st in s.exec(select(RunStep).where(RunStep.run_id == run_id))]
    assert statuses == ["awaiting_approval"]
    llm_server.script = [{"content": "Done, filed."}]
    step_id = events[[type(e).__name__ for e in events].index("ApprovalRequired")].step_id
    resumed = await h.resume(actor, run_id, {step_id: True})
    assert resumed[-1].status == "succeeded"


def test_the_worker_command_sweeps_at_start(actor: Actor, llm_server: LLMTestServer) -> None:
    run_id, _, ref = _crashed_run(actor, llm_server)
    assert main(["worker", "--once"]) == 0
    assert run_state(run_id)[0].status == "failed" and counter(ref).reserved_nanousd == 0


def test_the_in_process_worker_sweeps_at_start(actor: Actor, llm_server: LLMTestServer) -> None:
    run_id, _, _ = _crashed_run(actor, llm_server)
    worker = MemoryWorker(maintenance=run_maintenance)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while run_state(run_id)[0].status == "running" and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.stop()
    assert run_state(run_id)[0].status == "failed"


def test_maintenance_releases_expired_holds(actor: Actor) -> None:
    ref = workspace_budget(actor)
    budgets.reserve([ref], usd=0.25, tokens=10, ttl_s=900, now=utcnow() - timedelta(hours=1))
    assert counter(ref).reserved_nanousd > 0
    run_maintenance()
    assert counter(ref).reserved_nanousd == 0


def test_a_stale_planned_run_leaves_no_plan_step_running(actor: Actor, llm_server: LLMTestServer) -> None:
    from backend.models import Plan, PlanStep
    from backend.runtime.plans import NewPlanStep, create_plan, list_plans, set_step

    run_id, conv, _ = _crashed_run(actor, llm_server)
    _, (first, second) = create_plan(
        run_id, conv, [NewPlanStep("Look it up", None, "Helper", ()), NewPlanStep("Sum up", None, "Helper", ())]
    )
    set_step(first, "running")
    assert sweep_stale_runs() >= 1
    with session_scope() as s:
        plan = s.exec(select(Plan).where(Plan.run_id == run_id)).one()
        steps = s.exec(select(PlanStep).where(PlanStep.plan_id == plan.id).order_by(col(PlanStep.position))).all()
        shown = list_plans(actor=actor, conversation_id=conv, session=s)
    assert plan.status == "stopped"
    assert [(st.id, st.status, st.summary) for st in steps] == [
        (first, "failed", "Interrupted: the server stopped."),
        (second, "failed", "Interrupted: the server stopped."),
    ]
    [(_, public)] = shown.items()  # under the kept partial answer
    assert public.status == "stopped" and [st.status for st in public.steps] == ["failed", "failed"]
