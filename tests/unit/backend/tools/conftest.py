"""Fixtures for the tool tests: agents with tool settings, and a one-call helper for the executor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from backend.accounts.actor import Actor
from backend.security.outbound import parse_allow_rules
from backend.tools.base import RunContext
from backend.tools.executor import ToolResult, execute_tool_call
from backend.tools.registry import ToolRegistry
from tests.support.settings_env import app_env  # noqa: F401  (fixture for the tests here)


def local_context(port: int | None = None, *, domains: tuple[str, ...] = ("127.0.0.1",), **extra: Any) -> RunContext:
    """A run context that lets tools reach the local test servers: the operator allow-range
    ``127.0.0.1/32`` (or only ``127.0.0.1:port``) and 127.0.0.1 on the agent's domain list."""
    rule = f"127.0.0.1:{port}" if port else "127.0.0.1/32"
    return RunContext(allowed_domains=domains, net_allow=tuple(parse_allow_rules(rule)), **extra)


@pytest.fixture
def make_agent() -> Callable[..., str]:
    """Factory: an agent of ``actor`` with the given blueprint fields (tools, domains, ...)."""
    from backend.agents.service import create_agent
    from backend.connections.service import create_connection
    from backend.db import session_scope
    from backend.models import BlueprintFields

    def make(actor: Actor, **fields: Any) -> str:
        with session_scope() as s:
            conn = create_connection(
                actor=actor,
                name="Local",
                provider="openai_compatible",
                api_key=None,
                base_url="http://127.0.0.1:9/v1",
                session=s,
            )
            blueprint = BlueprintFields(name="Helper", connection_id=conn.id, model="m", **fields)
            return create_agent(actor=actor, fields=blueprint, session=s)

    return make


CallTool = Callable[..., Awaitable[ToolResult]]


@pytest.fixture
def call_tool(actor: Actor) -> CallTool:
    """``await call_tool(name, args_json, allow=[...], context=..., registry=...)`` as ``actor``;
    the allowlist defaults to just ``name``."""

    async def call(
        name: str,
        arguments_json: str = "{}",
        *,
        allow: list[str] | None = None,
        context: RunContext | None = None,
        registry: ToolRegistry | None = None,
        as_actor: Actor | None = None,
        agent_id: str = "agent-under-test",
        run_id: str | None = None,
        approved: bool = False,
    ) -> ToolResult:
        return await execute_tool_call(
            actor=as_actor or actor,
            agent_id=agent_id,
            run_id=run_id,
            allowlist=[name] if allow is None else allow,
            tool_name=name,
            arguments_json=arguments_json,
            context=context,
            registry=registry,
            approved=approved,
        )

    return call
