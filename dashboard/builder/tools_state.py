"""State of the agent's "Tools" card on ``/agents/<id>``: the allowlist checkboxes, "needs
approval" per tool, the domains ``http_request`` may call, and the per-agent audit log.

"Update tools" writes a new blueprint version: the agent's current blueprint with these three
fields replaced (``BlueprintFields.tools`` / ``approval_tools`` / ``allowed_domains``). The main
form's Save keeps the stored tool settings (:func:`keep_tool_fields`).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import reflex as rx

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.agents.service import BlueprintInvalid, get_blueprint, save_agent
from backend.db import session_scope
from backend.models import BlueprintFields
from backend.tools.agent_settings import validate_tool_settings
from backend.tools.audit import list_audit
from backend.tools.registry import available_tools
from dashboard.shell.auth import require_actor, signed_in

TOOL_FIELDS = ("tools", "approval_tools", "allowed_domains")


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


def keep_tool_fields(fields: BlueprintFields, *, actor: Actor, agent_id: str) -> BlueprintFields:
    """Copy the stored tool settings of ``agent_id`` into ``fields`` (the main form's Save does not
    edit them; without this a save would clear the agent's tools). New agents keep the defaults."""
    if not agent_id:
        return fields
    try:
        with session_scope() as session:
            current = get_blueprint(actor=actor, agent_id=agent_id, session=session)
            for name in TOOL_FIELDS:
                setattr(fields, name, list(getattr(current, name) or []))
    except (NotFound, PermissionDenied):
        pass
    return fields


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
    saving: bool = False
    audit: list[AuditRow] = []
    audit_loading: bool = False

    @rx.var
    def http_enabled(self) -> bool:
        """Whether ``http_request`` is ticked (the domain list matters then)."""
        return any(o.checked for o in self.options if o.name == "http_request")

    def _load_options(self, actor: Actor, fields: Any) -> None:
        with session_scope() as session:
            infos = available_tools(actor=actor, session=session)
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
        self.tools_error = f"No longer available (will be removed on save): {', '.join(missing)}." if missing else ""
        stored = "\n".join(fields.allowed_domains or [])
        if stored != self.domains:  # re-mount the text area only when its text changes, so that
            self.domains = stored  # what is typed while the card (re)loads is not replaced
            self.domains_rev += 1

    def _load_audit(self, actor: Actor) -> None:
        with session_scope() as session:
            rows = list_audit(actor=actor, agent_id=self.agent_id, limit=50, session=session)
        self.audit = [_audit_row(r) for r in rows]

    @rx.event
    async def load(self, agent_id: str):  # type: ignore[no-untyped-def]
        """``on_mount`` of the card: the tools, the agent's stored settings and its audit log."""
        self.agent_id, self.error, self.message, self.domains_error = agent_id, "", "", ""
        actor = await require_actor(self)
        if actor is None or not agent_id:
            return None
        try:
            with session_scope() as session:
                current = get_blueprint(actor=actor, agent_id=agent_id, session=session)
                fields = BlueprintFields.model_validate(current.model_dump(include=set(BlueprintFields.model_fields)))
            self._load_options(actor, fields)
            self._load_audit(actor)
        except (NotFound, PermissionDenied):
            self.error = "This agent no longer exists."
        return None

    @rx.event
    async def reload_options(self):  # type: ignore[no-untyped-def]
        """Refresh the checkbox list (after a custom tool was added or deleted), keeping the ticks."""
        actor = await signed_in(self)
        ticks = {o.name: (o.checked, o.approval) for o in self.options}
        with session_scope() as session:
            infos = available_tools(actor=actor, session=session)
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

    @rx.event
    def toggle(self, name: str, checked: bool) -> None:
        """Tick or untick a tool."""
        self.options = [dataclasses.replace(o, checked=checked) if o.name == name else o for o in self.options]
        self.message = ""

    @rx.event
    def toggle_approval(self, name: str, value: bool) -> None:
        """Switch "Needs approval" of a tool (tools that always need it stay on)."""
        self.options = [
            dataclasses.replace(o, approval=value or o.always_approval) if o.name == name else o for o in self.options
        ]
        self.message = ""

    @rx.event
    def domains_typed(self, value: str) -> None:
        """The domains text area lost focus: remember its text."""
        self.domains = value

    @rx.event
    async def save(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Save the tool settings (and the submitted domain list) as a new blueprint version."""
        self.domains = str(form.get("allowed_domains", self.domains) or "")
        actor = await signed_in(self)
        self.error = self.message = self.domains_error = self.tools_error = ""
        self.saving = True
        yield
        tools = [o.name for o in self.options if o.checked]
        approval = [o.name for o in self.options if o.checked and o.approval and not o.always_approval]
        domains = [d.strip() for d in self.domains.replace(",", "\n").splitlines() if d.strip()]
        try:
            with session_scope() as session:
                current = get_blueprint(actor=actor, agent_id=self.agent_id, session=session)
                data = current.model_dump(include=set(BlueprintFields.model_fields))
                data.update(tools=tools, approval_tools=approval, allowed_domains=domains)
                fields = BlueprintFields.model_validate(data)
                errors = validate_tool_settings(fields, actor=actor, session=session)
                if errors:
                    raise BlueprintInvalid(errors)
                version = save_agent(
                    actor=actor, agent_id=self.agent_id, fields=fields, note="Tools changed", session=session
                )
        except BlueprintInvalid as exc:
            self.tools_error = exc.errors.get("tools", "") or exc.errors.get("approval_tools", "")
            self.domains_error = exc.errors.get("allowed_domains", "")
            other = {k: v for k, v in exc.errors.items() if k not in TOOL_FIELDS}
            self.error = (
                "The agent's other settings are invalid; fix them in the form above first: " + "; ".join(other.values())
                if other
                else ""
            )
            self.saving = False
            return
        except (NotFound, PermissionDenied):
            self.error, self.saving = "This agent no longer exists.", False
            return
        self.saving = False
        self.message = f"Tools saved as v{version}"
        yield type(self).after_save(version)  # type: ignore[operator]

    @rx.event
    async def after_save(self, version: int):  # type: ignore[no-untyped-def]
        """Show the new version in the page heading and history (without touching the form)."""
        from dashboard.builder.state import BuilderState, VersionRow

        actor = await signed_in(self)
        builder = await self.get_state(BuilderState)
        if builder.editing_id != self.agent_id:
            return
        from backend.agents.service import list_versions

        with session_scope() as session:
            rows = list_versions(actor=actor, agent_id=self.agent_id, session=session)
            builder.versions = [
                VersionRow(
                    v.version, v.created_at.strftime("%Y-%m-%d %H:%M UTC"), v.note, v.model, v.version == version
                )
                for v in rows
            ]
        builder.current_version = version

    @rx.event
    async def refresh_audit(self):  # type: ignore[no-untyped-def]
        """Reload the audit log."""
        actor = await signed_in(self)
        try:
            self._load_audit(actor)
        except (NotFound, PermissionDenied):
            self.error = "This agent no longer exists."
        return None
