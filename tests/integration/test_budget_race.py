"""50 concurrent gateway calls against a budget that fits 10, on the configured database.

SQLite by default; PostgreSQL when DATABASE_URL is set. Calls go through the real router and
LiteLLM's HTTP path to the local test server; the reply is long enough that every call uses
its whole output allowance, so a settled call frees almost nothing and at most 10 can ever
proceed, however the 50 interleave.
"""

from __future__ import annotations

import asyncio
import math
import uuid

from sqlmodel import select

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.gateway import admin
from backend.gateway.budgets import BudgetExceeded
from backend.gateway.candidates import Target
from backend.gateway.catalog import litellm_model_info, worst_case
from backend.gateway.llm import litellm
from backend.gateway.opening import PROMPT_MARGIN
from backend.gateway.ratelimit import RateLimiter
from backend.gateway.router import ChatUsage, stream_chat
from backend.models import UsageRecord
from tests.support.gateway import FAST, MESSAGES, add_agent, add_connection
from tests.support.llm_server import LLMTestServer
from tests.support.principal import member

MAX_TOKENS = 40


async def _one(actor: Actor, cid: str, agent: str, limiter: RateLimiter) -> str:
    try:
        async for event in stream_chat(
            principal=member(actor, agent),
            targets=[Target(cid, "gpt-4o-mini")],
            messages=MESSAGES,
            max_tokens=MAX_TOKENS,
            retry=FAST,
            limiter=limiter,
            timeout_s=10,
        ):
            if isinstance(event, ChatUsage):
                return "ok"
    except BudgetExceeded:
        return "over budget"
    return "no usage"


async def test_fifty_concurrent_calls_never_overshoot_a_budget_that_fits_ten(
    actor: Actor, llm_server: LLMTestServer
) -> None:
    llm_server.reply = " ".join(["word"] * 100)
    llm_server.first_token_delay_ms = 50
    cid = add_connection(actor, llm_server)
    agent = add_agent(actor, cid)
    info = litellm_model_info("openai/gpt-4o-mini")
    prompt = litellm.token_counter(model="openai/gpt-4o-mini", messages=MESSAGES)
    worst_usd, _ = worst_case(info, math.ceil(prompt * PROMPT_MARGIN) + 8, MAX_TOKENS)
    cap = round(worst_usd * 10, 9)
    with session_scope() as s:
        admin.set_budget(actor=actor, scope="agent", scope_id=agent, period="day", limit_usd=cap, session=s)
    limiter = RateLimiter("async+memory://", key_prefix=uuid.uuid4().hex)

    outcomes = await asyncio.gather(*(_one(actor, cid, agent, limiter) for _ in range(50)))

    assert outcomes.count("ok") <= 10 and outcomes.count("ok") >= 1
    assert outcomes.count("ok") + outcomes.count("over budget") == 50
    assert len(llm_server.chat_requests) == outcomes.count("ok")
    with session_scope() as s:
        rows = s.exec(select(UsageRecord).where(UsageRecord.agent_id == agent)).all()
        [budget] = admin.list_budgets(actor=actor, scope="agent", scope_id=agent, session=s)
    spent = sum(r.cost_nano_usd for r in rows if r.status == "ok")
    assert spent <= cap * 1_000_000_000
    assert budget.spent_nano == spent and budget.reserved_nano == 0
    assert all(r.completion_tokens == MAX_TOKENS for r in rows if r.status == "ok")
    assert sum(1 for r in rows if r.status == "rejected" and r.error_class == "budget") == outcomes.count("over budget")
