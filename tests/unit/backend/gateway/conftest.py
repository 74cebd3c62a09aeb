"""Gateway fixtures: a private rate limiter, a second test server, ``stream_chat`` arguments."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from backend.accounts.actor import Actor
from backend.gateway.candidates import Target
from backend.gateway.ratelimit import RateLimiter
from tests.support.gateway import FAST, MESSAGES
from tests.support.llm_server import LLMTestServer
from tests.support.principal import member
from tests.support.settings_env import app_env  # noqa: F401  (fixture for the tests here)


@pytest.fixture
def limiter() -> RateLimiter:
    """A fresh in-memory limiter (no state shared between tests)."""
    return RateLimiter("async+memory://", key_prefix=f"t{uuid.uuid4().hex[:8]}")


@pytest.fixture
def second_server() -> Iterator[LLMTestServer]:
    """A second local OpenAI-compatible server (the fallback endpoint)."""
    with LLMTestServer(api_key="sk-test-second-000000000") as server:
        yield server


@pytest.fixture
def chat_kwargs(limiter: RateLimiter) -> Callable[..., dict[str, Any]]:
    """Factory of ``stream_chat`` keyword arguments with fast retries and a private limiter."""

    def make(actor: Actor, targets: list[Target], agent_id: str | None = None, **overrides: Any) -> dict[str, Any]:
        overrides.pop("end_user_id", None)  # the principal's end user is the actor
        kwargs: dict[str, Any] = {
            "principal": member(actor, agent_id),
            "targets": targets,
            "messages": MESSAGES,
            "max_tokens": 64,
            "retry": FAST,
            "limiter": limiter,
            "timeout_s": 5.0,
        }
        kwargs.update(overrides)
        return kwargs

    return make
