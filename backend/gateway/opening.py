"""The blocking steps of a gateway call that touch the database, run in a worker thread.

:func:`open_call` plans the call and reserves the first candidate's budget hold in ONE transaction;
:func:`next_candidate` gives back a failed candidate's hold and reserves the next one. The streaming
side (retries, fallbacks, the usage record) is :mod:`backend.gateway.router`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from backend.config import get_settings
from backend.db import DbConn, core_transaction, session_scope
from backend.gateway import budgets, hygiene
from backend.gateway.calls import Call, count_prompt
from backend.gateway.candidates import Attempt, Plan, RetryPolicy, Target, make_plan
from backend.gateway.catalog import worst_case
from backend.gateway.llm import GatewayError

PROMPT_MARGIN = 1.05
"""Reservations count the prompt 5% (+8 tokens) high: providers' tokenizers differ slightly."""


@dataclass(frozen=True)
class CallOptions:
    """The per-call settings every step of a gateway call needs (timeouts in s, tokens)."""

    temperature: float | None
    max_tokens: int | None
    timeout_s: float
    tools: list[dict[str, Any]] | None
    retry: RetryPolicy
    run_id: str | None


def prepare(call: Call, plan: Plan, start: int, opts: CallOptions, session: DbConn | None) -> int:
    """Make the first usable candidate from ``start`` on current: prompt counted, hold reserved.

    Skipped candidates (missing connection, context window too small) are added to
    ``call.attempts``. Blocking (tokenizer, database): runs in a worker thread.

    Returns:
        The index of the candidate in ``plan.candidates`` (``call.current``, ``call.hold`` set),
        or ``len(plan.candidates)`` when none is left.

    Raises:
        BudgetExceeded: a budget cannot hold the call.
        UnpricedModel: a dollar budget applies and the candidate's price is unknown.
        ReserveConflict: only with ``session`` (see ``budgets.reserve``).
    """
    for index in range(start, len(plan.candidates)):
        cand = plan.candidates[index]
        if isinstance(cand, Attempt):
            call.attempts.append(cand)
            continue
        prompt = count_prompt(cand.info.litellm_name, call.messages)
        window = cand.info.context_window
        if window is not None and prompt > window:
            call.attempts.append(Attempt(cand.target.connection_id, cand.target.model, "skipped", "context_window"))
            continue
        budgets.require_price(plan.budgets, priced=cand.info.priced, model=cand.target.model)
        usd, tokens = worst_case(cand.info, math.ceil(prompt * PROMPT_MARGIN) + 8, opts.max_tokens)
        call.current, call.prompt_tokens = cand, prompt
        call.hold = budgets.reserve(
            plan.budgets,
            usd=usd,
            tokens=tokens,
            ttl_s=get_settings().budget_hold_ttl_s,
            run_id=opts.run_id,
            session=session,
        )
        return index
    return len(plan.candidates)


def open_call(
    call: Call, targets: Sequence[Target], messages: Sequence[dict[str, Any]], opts: CallOptions
) -> tuple[Plan, int, GatewayError | None]:
    """Plan the call and reserve the first candidate's hold in ONE transaction (blocking).

    Returns:
        ``(plan, index of the prepared candidate, None)``, or ``(plan, 0, error)`` for a
        rejection to record (size caps, budget).

    Raises:
        As ``make_plan`` (not recorded: the call never began).
    """
    plan: Plan | None = None
    try:
        with core_transaction() as conn:  # prebuilt Core statements only: no ORM session (CPU per call)
            plan = make_plan(principal=call.principal, targets=targets, session=conn)
            call.messages = hygiene.clean_messages(messages)
            return plan, prepare(call, plan, 0, opts, conn), None
    except budgets.ReserveConflict:  # rolled back: create the counter / sweep expired holds, then retry
        assert plan is not None
        call.attempts.clear()
        try:
            return plan, prepare(call, plan, 0, opts, None), None
        except GatewayError as exc:
            return plan, 0, exc
    except GatewayError as exc:
        if plan is None:
            raise
        return plan, 0, exc


def next_candidate(call: Call, plan: Plan, start: int, opts: CallOptions) -> int:
    """Give back the failed candidate's hold (nothing was streamed) and prepare the next (blocking)."""
    if call.hold is not None:
        with session_scope() as session:
            budgets.settle(session, call.hold, nano_usd=0, tokens=0)
        call.hold = None
    return prepare(call, plan, start, opts, None)
