"""The stale-run sweep: finish runs a crashed process left ``running``, and expired budget holds.

A run is stale when it is still ``running`` ``Settings.run_stale_after_s`` seconds (default 600)
after its last sign of life (``heartbeat_at``, written by its checkpoint; else ``created_at``).
The sweep marks it ``failed`` (:data:`INTERRUPTED`), keeps the partial answer on its assistant
message, writes the usage record of the call in flight (tokens received so far), sets the run's
totals to the sum of its usage records and releases its budget holds. A run that crashed while
carrying out approval decisions goes back to ``awaiting_approval`` instead, so the user can
decide again. :func:`run_maintenance` runs on a schedule: every minute in the in-process worker
(``backend.memory.worker``) and in ``agenthub worker``, and once when either starts.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from backend.analytics import rollup
from backend.chat.service import append_message
from backend.config import get_settings
from backend.db import session_scope
from backend.gateway import budgets
from backend.gateway.inflight import record_interrupted
from backend.models import Conversation, Message, Run, RunStep
from backend.models.common import utcnow
from backend.runtime.plans import stop_plans
from backend.runtime.usage import apply_totals

log = logging.getLogger(__name__)
INTERRUPTED = "interrupted: the server stopped while this reply was being written"
MAINTENANCE_EVERY_S = 60.0
"""Seconds between two maintenance passes of a worker."""


def _last_sign(now: datetime, stale_after_s: float) -> tuple[object, datetime]:
    cutoff = now - timedelta(seconds=stale_after_s)
    return func.coalesce(col(Run.heartbeat_at), col(Run.created_at)) < cutoff, cutoff


def _restore_approval(session: Session, run: Run) -> None:
    """The crash came before the decided calls ran: make the pending steps answerable again."""
    pending = [str(p.get("step_id")) for p in (run.resume_state or {}).get("pending") or []]
    run.status, run.error, run.finished_at = "awaiting_approval", "", None
    if pending:
        session.execute(update(RunStep).where(col(RunStep.id).in_(pending)).values(status="awaiting_approval"))


def _keep_answer(session: Session, run: Run) -> None:
    """Put the partial answer on the run's assistant message (creating it if needed)."""
    message = session.exec(select(Message).where(Message.run_id == run.id, Message.role == "assistant")).first()
    if message is not None:
        if run.partial_text:
            message.content = run.partial_text
            session.add(message)
        return
    conv = session.get(Conversation, run.conversation_id) if run.conversation_id else None
    if conv is not None:
        append_message(conversation=conv, role="assistant", content=run.partial_text, run_id=run.id, session=session)


def finish_stale_run(run_id: str, *, now: datetime, stale_after_s: float) -> str | None:
    """Finish one stale run (one transaction; a conditional UPDATE claims it first, so two
    sweepers, or a run that just showed life, never double-finish).

    Returns:
        The new status (``failed`` or ``awaiting_approval``), or None when the run was not stale.
    """
    stale, _ = _last_sign(now, stale_after_s)
    with session_scope() as session:
        claimed = session.execute(
            update(Run)
            .where(col(Run.id) == run_id, col(Run.status) == "running", stale)  # type: ignore[arg-type]
            .values(status="failed", error=INTERRUPTED, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        run = session.get(Run, run_id)
        assert run is not None  # noqa: S101  (just claimed)
        inflight = run.inflight if isinstance(run.inflight, dict) else None
        record_interrupted(session, inflight, workspace_id=run.workspace_id, run_id=run.id, error=INTERRUPTED)
        if run.resume_state:
            _restore_approval(session, run)
        else:
            _keep_answer(session, run)
            session.execute(
                update(RunStep)
                .where(col(RunStep.run_id) == run.id, col(RunStep.status) == "running")
                .values(status="error", summary="Interrupted: the server stopped.")
            )
            stop_plans(session, [run.id], "Interrupted: the server stopped.")
        if inflight:
            run.connection_id = inflight.get("connection_id") or run.connection_id
            run.provider = str(inflight.get("provider") or run.provider)
            run.model = str(inflight.get("model") or run.model)
        apply_totals(session, run)
        last = run.heartbeat_at or run.created_at
        run.latency_ms = int((last - run.created_at).total_seconds() * 1000) if last and run.created_at else None
        run.partial_text, run.inflight = "", None
        session.add(run)
        return run.status


def sweep_stale_runs(*, stale_after_s: float | None = None, now: datetime | None = None, limit: int = 200) -> int:
    """Finish up to ``limit`` stale runs (see the module docstring; blocking).

    Args:
        stale_after_s: Seconds without a sign of life (default ``Settings.run_stale_after_s``).
        now: Current time (tests).

    Returns:
        How many runs were finished (failed or back to awaiting approval).
    """
    now = now or utcnow()
    stale_after_s = get_settings().run_stale_after_s if stale_after_s is None else stale_after_s
    stale, _ = _last_sign(now, stale_after_s)
    with session_scope() as session:
        ids = session.exec(
            select(Run.id).where(col(Run.status) == "running", stale).limit(limit)  # type: ignore[arg-type]
        ).all()
    done = 0
    for run_id in ids:
        try:
            if finish_stale_run(run_id, now=now, stale_after_s=stale_after_s):
                done += 1
        except Exception:  # one bad row must not stop the sweep
            log.exception("could not finish stale run %s", run_id)
    if done:
        log.warning("finished %d run(s) interrupted by a stopped server", done)
    return done


def run_maintenance(*, stale_after_s: float | None = None) -> tuple[int, int]:
    """One scheduled pass: :func:`sweep_stale_runs`, ``budgets.release_expired``, the analytics rollups.

    Returns:
        ``(runs finished, expired reservations released)``.
    """
    result = sweep_stale_runs(stale_after_s=stale_after_s), budgets.release_expired()
    rollup.run_scheduled()  # analytics rollups (backend.analytics.rollup), failures logged
    return result
