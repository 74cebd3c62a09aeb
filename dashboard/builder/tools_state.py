"""State of the agent's "Tools" card on ``/agents/<id>``: the allowlist checkboxes, "needs
approval" per tool, the domains ``http_request`` may call, the "Plan complex requests" switch
(planner mode) and the per-agent audit log.

Every tick, switch and domain edit is written to the agent's draft at once
(``BlueprintFields.tools`` / ``approval_tools`` / ``allowed_domains`` / ``plan_complex``); the page's one
"Save version" button makes it a version.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import reflex as rx

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.agents.drafts import fields_of, get_draft
from backend.agents.service import domain_warnings_for
from backend.tools.audit import list_audit
from backend.tools.registry import available_tools
from dashboard.builder.draft_status import DraftStatus, write_draft
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session


@dataclasses.dataclass
class ToolOption:
    """One checkbox of the Tools card."""

    name: str = ""
    title: str = ""
    description: str = ""
    risk: str = "read"
    source: str = "builtin"
    checked: bool = False
    approval: bool = False
    always_approval: bool = False


@dataclasses.dataclass
class AuditRow:
    """One row of the audit log table."""

    id: str = ""
    time: str = ""
    tool: str = ""
    arguments: str = ""
    status: str = ""
    duration: str = ""
    summary: str = ""


def _audit_row(row: Any) -> AuditRow:
    args = json.dumps(row.arguments, ensure_ascii=False)
    return AuditRow(
        id=row.id,
        time=row.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        tool=row.tool_name,
        arguments=args if len(args) <= 300 else args[:300] + "…",
        status=row.status,
        duration=f"{row.duration_ms} ms",
        summary=row.summary or row.error[:200],
    )


class ToolsState(rx.State):
    """The Tools card and the audit log of one agent."""

    agent_id: str = ""
    options: list[ToolOption] = []
    domains: str = ""
    domains_rev: int = 0
    tools_error: str = ""
    domains_error: str = ""
    error: str = ""
    message: str = ""
    domain_warnings: list[str] = []
    audit: list[AuditRow] = []
    audit_loading: bool = False
    plan_complex: bool = False

    @rx.var
    def http_enabled(self) -> bool:
        """Whether ``http_request`` is ticked (the domain list matters then)."""
        return any(o.checked for o in self.options if o.name == "http_request")

    def _load_options(self, infos: list[Any], fields: Any) -> None:
        enabled, approval = set(fields.tools or []), set(fields.approval_tools or [])
        known = {i.name for i in infos}
        self.options = [
            ToolOption(
                name=i.name,
                title=i.title,
                description=i.description,
                risk=i.risk,
                source=i.source,
                checked=i.name in enabled,
                approval=i.needs_approval or i.name in approval,
                always_approval=i.needs_approval,
            )
            for i in infos
        ]
        missing = [t for t in fields.tools or [] if t not in known]
        self.tools_error = f"No longer available (untick to save a version): {', '.join(missing)}." if missing else ""
        self.plan_complex = bool(fields.plan_complex)
        self.domains = "\n".join(fields.allowed_domains or [])
        self.domain_warnings = domain_warnings_for(fields.allowed_domains or [])
        self.domains_rev += 1  # re-mount the text area with the draft's text

    async def _load_audit(self, actor: Actor) -> None:
        agent_id = self.agent_id
        rows = await in_session(lambda s: list_audit(actor=actor, agent_id=agent_id, limit=50, session=s))
        self.audit = [_audit_row(r) for r in rows]

    @rx.event
    async def load(self, agent_id: str):  # type: ignore[no-untyped-def]
        """``on_mount`` of the card: the tools, the agent's stored settings and its audit log."""
        self.agent_id, self.error, self.message, self.domains_error = agent_id, "", "", ""
        self.domain_warnings = []
        actor = await signed_in(self)
        if not agent_id:
            return None
        try:
            fields, infos = await in_session(
                lambda s: (
                    fields_of(get_draft(actor=actor, agent_id=agent_id, session=s)),
                    available_tools(actor=actor, session=s),
                )
            )
            self._load_options(infos, fields)
            await self._load_audit(actor)
        except (NotFound, PermissionDenied):
            self.error = "This agent no longer exists."
        return None

    @rx.event
    async def reload_options(self):  # type: ignore[no-untyped-def]
        """Refresh the checkbox list (after a custom tool was added or deleted), keeping the ticks."""
        actor = await signed_in(self)
        ticks = {o.name: (o.checked, o.approval) for o in self.options}
        infos = await in_session(lambda s: available_tools(actor=actor, session=s))
        self.options = [
            ToolOption(
                i.name,
                i.title,
                i.description,
                i.risk,
                i.source,
                ticks.get(i.name, (False, False))[0],
                i.needs_approval or ticks.get(i.name, (False, False))[1],
                i.needs_approval,
            )
            for i in infos
        ]
        return None

    async def _write(self, changes: dict[str, Any]) -> None:
        """Store tool settings in the draft; show their errors and the page's draft status."""
        actor = await signed_in(self)
        self.error = self.message = ""
        try:
            errors, dirty = await write_draft(actor, self.agent_id, changes)
        except (NotFound, PermissionDenied):
            self.error = "This agent no longer exists."
            return
        self.tools_error = errors.get("tools", "") or errors.get("approval_tools", "")
        self.domains_error = errors.get("allowed_domains", "")
        status = await self.get_state(DraftStatus)
        status.dirty = dirty

    async def _write_ticks(self) -> None:
        tools = [o.name for o in self.options if o.checked]
        approval = [o.name for o in self.options if o.checked and o.approval and not o.always_approval]
        await self._write({"tools": tools, "approval_tools": approval})

    @rx.event
    async def toggle(self, name: str, checked: bool) -> None:
        """Tick or untick a tool (kept in the draft)."""
        self.options = [dataclasses.replace(o, checked=checked) if o.name == name else o for o in self.options]
        await self._write_ticks()

    @rx.event
    async def toggle_approval(self, name: str, value: bool) -> None:
        """Switch "Needs approval" of a tool (tools that always need it stay on)."""
        self.options = [
            dataclasses.replace(o, approval=value or o.always_approval) if o.name == name else o for o in self.options
        ]
        await self._write_ticks()

    @rx.event
    async def toggle_plan(self, value: bool) -> None:
        """Switch "Plan complex requests" (planner mode, kept in the draft)."""
        self.plan_complex = bool(value)
        await self._write({"plan_complex": self.plan_complex})

    @rx.event
    async def domains_typed(self, value: str, rev: int) -> None:
        """The domains text changed (debounced) or lost focus: keep it in the draft, warn on local hosts.

        ``rev``: the ``domains_rev`` the text area was mounted with (a late change from before a
        reload of the card is ignored).
        """
        if rev != self.domains_rev or (value == self.domains and not self.domains_error):
            return
        self.domains = value
        domains = [d.strip() for d in value.replace(",", "\n").splitlines() if d.strip()]
        self.domain_warnings = domain_warnings_for(domains)
        await self._write({"allowed_domains": domains})

    @rx.event
    async def refresh_audit(self):  # type: ignore[no-untyped-def]
        """Reload the audit log."""
        actor = await signed_in(self)
        try:
            await self._load_audit(actor)
        except (NotFound, PermissionDenied):
            self.error = "This agent no longer exists."
        return None
