"""An agent's tool settings (blueprint fields ``tools``, ``allowed_domains``, ``approval_tools``):
validation for the builder and the :class:`RunContext` a run of that blueprint uses.

``validate_blueprint`` (``backend.agents.service``) can merge :func:`validate_tool_settings`'s
messages into its own; the fields are plain JSON lists with empty defaults.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from backend.accounts.actor import Actor
from backend.models import BlueprintFields
from backend.tools.base import RunContext
from backend.tools.http_common import normalize_domain
from backend.tools.registry import resolve_tools

MAX_TOOLS = 64
MAX_DOMAINS = 50


def validate_tool_settings(fields: BlueprintFields, *, actor: Actor, session: Session) -> dict[str, str]:
    """Check an agent's tool settings.

    Returns:
        ``{field: message}`` (fields ``tools``, ``allowed_domains``, ``approval_tools``), empty
        when valid. Rules: at most 64 tools, each a built-in or a custom tool of the workspace;
        at most 50 domains, each a host name, ``*.domain`` or IP address (no scheme or path);
        approval tools must be among the enabled tools.
    """
    errors: dict[str, str] = {}
    tools = list(dict.fromkeys(fields.tools))
    if len(tools) > MAX_TOOLS:
        errors["tools"] = f"At most {MAX_TOOLS} tools."
    else:
        known = resolve_tools(tools, workspace_id=actor.workspace_id)
        unknown = [t for t in tools if t not in known]
        if unknown:
            errors["tools"] = f"Unknown tool: {', '.join(map(str, unknown[:3]))}."
    if len(fields.allowed_domains) > MAX_DOMAINS:
        errors["allowed_domains"] = f"At most {MAX_DOMAINS} domains."
    else:
        for entry in fields.allowed_domains:
            try:
                normalize_domain(entry)
            except ValueError as exc:
                errors["allowed_domains"] = str(exc)
                break
    stray = [t for t in fields.approval_tools if t not in tools]
    if stray:
        errors["approval_tools"] = f"Only enabled tools can need approval: {', '.join(map(str, stray[:3]))}."
    return errors


def clean_domains(domains: Sequence[str]) -> list[str]:
    """Canonical, de-duplicated domain entries; invalid ones are dropped (they allow nothing)."""
    out: list[str] = []
    for entry in domains:
        try:
            out.append(normalize_domain(entry))
        except ValueError:
            continue
    return list(dict.fromkeys(out))


def run_context_for(fields: BlueprintFields, *, conversation_id: str | None = None) -> RunContext:
    """The tool context of a run of this blueprint (domains, approval tools, the conversation)."""
    return RunContext(
        conversation_id=conversation_id,
        allowed_domains=tuple(clean_domains(fields.allowed_domains)),
        approval_tools=tuple(fields.approval_tools),
    )
