"""The tool audit log: one row per tool call (executed, refused, failed or timed out).

Arguments are stored with secrets redacted: values under secret-looking keys (``password``,
``token``, ``api_key``, ``Authorization``, ...) become ``[redacted]`` and every string goes
through ``backend.security.redact.redact_secrets`` (key prefixes, bearer tokens, JWTs, long
random runs). Strings are cut at 2,000 characters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from backend.accounts.actor import Actor, NotFound, require_member
from backend.db import get_engine
from backend.models import Agent
from backend.models.common import new_id, utcnow
from backend.models.tools import ToolAudit, ToolAuditPublic
from backend.security.redact import REDACTED, redact_secrets

MAX_STRING = 2000
MAX_ITEMS = 50
MAX_DEPTH = 6
MAX_LIMIT = 500
_SECRET_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
    "credential",
    "private_key",
    "signature",
)


def is_secret_key(key: str) -> bool:
    """True for argument names whose values are secrets (``X-Api-Key``, ``access_token``, ``auth``)."""
    norm = key.lower().replace("-", "_")
    return norm == "auth" or any(part in norm for part in _SECRET_KEY_PARTS)


def _redact(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())[:MAX_ITEMS]
        return {str(k): REDACTED if is_secret_key(str(k)) else _redact(v, depth + 1) for k, v in items}
    if isinstance(value, list):
        return [_redact(v, depth + 1) for v in value[:MAX_ITEMS]]
    if isinstance(value, str):
        # Cut before redacting (the patterns are slow on very long runs), with a margin so that a
        # secret across the cut is still recognised, then cut again.
        text = redact_secrets(value[: MAX_STRING + 200])
        return text if len(value) <= MAX_STRING and len(text) <= MAX_STRING else text[:MAX_STRING] + "…"
    return value


def redact_arguments(arguments_json: str | None) -> dict[str, Any]:
    """The model's raw arguments as a redacted JSON object for the audit log.

    Returns:
        The parsed object, redacted; ``{"_value": ...}`` for valid JSON that is not an object;
        ``{"_raw": "..."}`` (redacted, cut) when the text is not JSON.
    """
    text = arguments_json or ""
    try:
        parsed = json.loads(text) if text.strip() else {}
    except ValueError:
        return {"_raw": _redact(text, 0)}
    return _redact(parsed, 0) if isinstance(parsed, dict) else {"_value": _redact(parsed, 0)}


@dataclass(frozen=True)
class AuditEntry:
    """What :func:`write_audit` stores (see ``ToolAudit`` for units)."""

    workspace_id: str
    agent_id: str
    run_id: str | None
    user_id: str
    call_id: str
    tool_name: str
    tool_version: str
    arguments: dict[str, Any]
    status: str
    summary: str
    error: str
    duration_ms: int


def _values(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": new_id(),
        "workspace_id": entry.workspace_id,
        "agent_id": entry.agent_id,
        "run_id": entry.run_id,
        "user_id": entry.user_id,
        "call_id": entry.call_id[:100],
        "tool_name": entry.tool_name[:64],
        "tool_version": entry.tool_version[:20],
        "arguments": entry.arguments,
        "status": entry.status,
        "summary": entry.summary[:300],
        "error": redact_secrets(entry.error[:4200])[:4000],
        "duration_ms": entry.duration_ms,
        "created_at": utcnow(),
    }


def write_audits(entries: Sequence[AuditEntry], *, session: Session | None = None) -> list[str]:
    """Insert audit rows in one transaction (own, unless ``session`` is given); returns their ids.

    A Core ``INSERT`` rather than an ORM unit of work: it runs on every tool call, and this
    halves its cost (see ``benchmarks/tool_dispatch.py``); a parallel batch is one commit.
    """
    rows = [_values(e) for e in entries]
    if not rows:
        return []
    statement = insert(ToolAudit.__table__)  # type: ignore[attr-defined]
    if session is not None:
        session.connection().execute(statement, rows)
    else:
        with get_engine().begin() as connection:
            connection.execute(statement, rows)
    return [r["id"] for r in rows]


def write_audit(entry: AuditEntry, *, session: Session | None = None) -> str:
    """Insert one audit row (see :func:`write_audits`); returns its id."""
    return write_audits([entry], session=session)[0]


def list_audit(
    *, actor: Actor, agent_id: str, limit: int = 50, run_id: str | None = None, session: Session
) -> list[ToolAuditPublic]:
    """An agent's tool calls, newest first (the per-agent audit view).

    Args:
        agent_id: An agent of the actor's workspace.
        limit: Rows, 1-500.
        run_id: Only this run's calls (then oldest first, the order they happened).

    Raises:
        NotFound: the agent is not in the actor's workspace.
        PermissionDenied: the actor is not a member of the workspace.
    """
    require_member(actor, session)
    agent = session.get(Agent, agent_id)
    if agent is None or agent.workspace_id != actor.workspace_id:
        raise NotFound("Agent not found.")
    query = select(ToolAudit).where(ToolAudit.workspace_id == actor.workspace_id, ToolAudit.agent_id == agent_id)
    if run_id is not None:
        query = query.where(ToolAudit.run_id == run_id).order_by(col(ToolAudit.created_at), col(ToolAudit.id))
    else:
        query = query.order_by(col(ToolAudit.created_at).desc(), col(ToolAudit.id))
    rows = session.exec(query.limit(max(1, min(limit, MAX_LIMIT)))).all()
    return [ToolAuditPublic.model_validate(r, from_attributes=True) for r in rows]
