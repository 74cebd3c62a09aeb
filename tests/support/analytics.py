"""Rows for the analytics tests: agents of a workspace, usage records, runs and tool calls at
chosen times (written with Core inserts, as the gateway does)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert

from backend.accounts.actor import Actor
from backend.agents.service import create_agent, get_blueprint
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.models import BlueprintFields, Conversation, Message, Run, ToolAudit, UsageRecord
from backend.models.common import new_id


def agents(actor: Actor, *names: str) -> tuple[str, list[str]]:
    """A connection (never called) and one agent per name; returns ``(connection id, agent ids)``."""
    with session_scope() as s:
        conn = create_connection(
            actor=actor,
            name="Local",
            provider="openai_compatible",
            api_key="sk-test-analytics",
            base_url="http://127.0.0.1:9/v1",
            session=s,
        ).id
    ids = []
    for name in names:
        fields = BlueprintFields(name=name, avatar="🦉", connection_id=conn, model="test-model", instructions="Hi")
        with session_scope() as s:
            ids.append(create_agent(actor=actor, fields=fields, session=s))
    return conn, ids


def usage(actor: Actor, agent_id: str | None, at: datetime, **fields: Any) -> dict[str, Any]:
    """A usage-record row of the actor's workspace at ``at`` (defaults: ok, 10 ms, no tokens)."""
    row: dict[str, Any] = dict(
        id=new_id(),
        end_user_id=None,
        caller_id=None,
        run_id=None,
        connection_id=None,
        workspace_id=actor.workspace_id,
        agent_id=agent_id,
        created_at=at,
        caller_kind="member",
        provider="openai_compatible",
        model="test-model",
        prompt_tokens=0,
        completion_tokens=0,
        cached_tokens=0,
        cost_nano_usd=0,
        cost_note="",
        latency_ms=10,
        ttft_ms=None,
        status="ok",
        error_class="",
        error="",
        fallback_path=[],
        streamed=True,
    )
    row.update(fields)
    return row


def insert_usage(rows: list[dict[str, Any]]) -> None:
    """Insert usage-record rows (one transaction)."""
    with session_scope() as s:
        s.execute(insert(UsageRecord.__table__), rows)  # type: ignore[attr-defined]


def run(actor: Actor, agent_id: str, at: datetime, status: str, *, first_message: str = "Hello", **fields: Any) -> Run:
    """A finished run at ``at`` in a new conversation whose first user message is ``first_message``."""
    with session_scope() as s:
        version = get_blueprint(actor=actor, agent_id=agent_id, session=s).id
        conv = Conversation(
            workspace_id=actor.workspace_id,
            agent_id=agent_id,
            user_id=actor.user_id,
            blueprint_version_id=version,
            created_at=at,
        )
        s.add(conv)
        s.add(Message(conversation_id=conv.id, position=1, role="user", content=first_message, created_at=at))
        values: dict[str, Any] = {"finished_at": at, "latency_ms": 100}
        values.update(fields)
        row = Run(
            workspace_id=actor.workspace_id,
            agent_id=agent_id,
            user_id=actor.user_id,
            conversation_id=conv.id,
            blueprint_version_id=version,
            status=status,
            created_at=at,
            **values,
        )
        s.add(row)
    return row


def tool_call(actor: Actor, agent_id: str, at: datetime, tool: str, status: str, duration_ms: int) -> None:
    """One tool-audit row."""
    with session_scope() as s:
        s.add(
            ToolAudit(
                workspace_id=actor.workspace_id,
                agent_id=agent_id,
                user_id=actor.user_id,
                tool_name=tool,
                status=status,
                duration_ms=duration_ms,
                created_at=at,
            )
        )
