"""State of the agent edit page (``/agents/new`` and ``/agents/<id>``): the blueprint form.

An existing agent is edited through its **draft** (``backend.agents.drafts``): every change is
written to it as it is typed (debounced) or picked, "Save version" turns it into the next
version, "Discard draft" goes back. A new agent is a plain form whose save creates v1.
Only plain data lives in state; database work runs in worker threads (``in_session``).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import reflex as rx
from sqlmodel import Session

from backend.accounts import permissions
from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.agents.drafts import discard_draft, save_version
from backend.agents.service import (
    BlueprintInvalid,
    create_agent,
    fields_from_template,
    restore_version,
    validate_blueprint,
)
from backend.connections.service import list_connections
from backend.models import BlueprintFields
from dashboard.builder.catalog import fallback_row, load_catalog
from dashboard.builder.draft_status import DraftStatus, write_draft
from dashboard.builder.form_data import (
    ERROR_FIELDS,
    NUMBER_FIELDS,
    TAB_VALUES,
    TEXT_FIELDS,
    VersionRow,
    parse_number,
    snapshot,
)
from dashboard.builder.model_state import ConnectionOption, ModelMixin
from dashboard.builder.tools_state import ToolsState
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session


class BuilderState(ModelMixin, rx.State):
    """``/agents/new`` and ``/agents/<id>``: the blueprint form, its errors and version history."""

    editing_id: str = ""  # "" while creating a new agent
    loaded: bool = False
    not_found: bool = False
    forbidden: bool = False  # the member's role may not edit agents (a viewer)
    saving: bool = False
    name: str = ""
    description: str = ""
    avatar: str = "🤖"
    instructions: str = ""
    temperature: str = "0.7"
    max_tokens: str = "1024"
    starters: str = ""
    name_error: str = ""
    description_error: str = ""
    avatar_error: str = ""
    instructions_error: str = ""
    temperature_error: str = ""
    max_tokens_error: str = ""
    starters_error: str = ""
    form_error: str = ""
    message: str = ""
    current_version: int = 0
    saved_name: str = ""  # the heading: the name of the saved current version
    saved_avatar: str = ""
    versions: list[VersionRow] = []
    tab: str = "instructions"  # the open settings tab (``?tab=limits`` opens another one)
    _parse_errors: dict[str, str] = {}
    _flash: str = ""

    @rx.event
    def set_tab(self, value: str) -> None:
        """Open a settings tab."""
        self.tab = value

    @rx.var
    def needs_guide(self) -> bool:
        """Whether to show the three-step guide: no model or no instructions yet."""
        return not self.model.strip() or not self.instructions.strip()

    def _set_errors(self, errors: dict[str, str], *, banner: bool = False) -> None:
        errors = {**errors, **self._parse_errors}
        for key in ERROR_FIELDS:
            setattr(self, f"{key}_error", errors.get(key, ""))
        self.form_error = "Fix the highlighted fields, then save again." if errors and banner else ""

    def _show(self, fields: BlueprintFields) -> None:
        self.name, self.description, self.avatar = fields.name, fields.description, fields.avatar
        self.connection_id, self.model = fields.connection_id or "", fields.model
        self.instructions, self.starters = fields.instructions, "\n".join(fields.starters)
        self.temperature, self.max_tokens = f"{fields.temperature:g}", str(fields.max_tokens)
        names = {c.id: c.name for c in self.connections}
        self.fallbacks = [fallback_row(f, self.catalog, names) for f in fields.fallbacks]
        self.fallback_choice = ""
        self._parse_errors = {}
        self.form_rev += 1

    async def _load_agent(self, actor: Actor, agent_id: str, *, show: bool = True) -> None:
        """Read the draft, the current version and the history; ``show``: put the draft in the fields."""
        fields, (version, name, avatar), rows, dirty = await in_session(lambda s: snapshot(actor, agent_id, s))
        if show:
            self._show(fields)
        self.current_version, self.saved_name, self.saved_avatar, self.versions = version, name, avatar, rows
        status = await self.get_state(DraftStatus)
        status.dirty, status.version = dirty, version

    @rx.event
    async def load(self) -> None:
        """``on_load``: an existing agent's draft, or a blank/template form for ``new``."""
        self._set_errors({})
        self.not_found, self.loaded, self.saving = False, False, False
        self.message, self._flash = self._flash, ""
        self.versions, self.current_version = [], 0
        actor = await signed_in(self)
        self.forbidden = not await in_session(lambda s: permissions.can(actor, permissions.AGENTS_EDIT, s))
        if self.forbidden:  # a viewer: chat only (the services refuse every change anyway)
            self.loaded = True
            return
        raw_id = str(self.router.page.params.get("agent_id", "") or "")
        conns = await in_session(lambda s: list_connections(actor=actor, session=s))
        self.connections = [ConnectionOption(c.id, c.name, c.provider_label, list(c.models)) for c in conns]
        self.catalog = await asyncio.to_thread(load_catalog, actor)  # opens its own session
        self.editing_id = "" if raw_id == "new" else raw_id
        wanted = str(self.router.url.query_parameters.get("tab", "") or "")
        self.tab = wanted if wanted in TAB_VALUES else "instructions"
        try:
            if self.editing_id:
                await self._load_agent(actor, self.editing_id)
            else:
                await self._load_new()
        except (NotFound, PermissionDenied):
            self.not_found = True
        self.loaded = True

    async def _load_new(self) -> None:
        slug = str(self.router.url.query_parameters.get("template", "") or "")
        fields = BlueprintFields(name="")
        if slug:
            try:
                fields = await in_session(lambda s: fields_from_template(slug=slug, session=s))
            except NotFound:
                self.form_error = "That template no longer exists; starting from a blank agent."
        if self.connections:  # preselect the first connection that reported models
            first = next((c for c in self.connections if c.models), self.connections[0])
            fields.connection_id = first.id
            fields.model = first.models[0] if first.models else ""
        self._show(fields)

    def _refused(self, exc: Exception) -> None:
        """A change was refused: the role no longer allows editing (the page says so), or the agent is gone."""
        if isinstance(exc, PermissionDenied):
            self.forbidden = True
        else:
            self.not_found = True

    async def _write(self, changes: dict[str, Any]) -> None:
        """Store ``changes`` in the agent's draft and show its errors (a new agent: nothing yet)."""
        if not self.editing_id:
            return
        actor = await signed_in(self)
        try:
            errors, dirty = await write_draft(actor, self.editing_id, changes)
        except (NotFound, PermissionDenied) as exc:
            self._refused(exc)
            return
        self._set_errors(errors)
        self.message = ""
        status = await self.get_state(DraftStatus)
        status.dirty = dirty

    @rx.event
    async def edit(self, field: str, value: str, rev: int) -> None:
        """A text field changed (debounced while typing, and on leaving it): keep it in the draft.

        Numbers that do not parse stay in the field with an error and are not written. ``rev``
        is the ``form_rev`` the field was mounted with: a late (debounced) change from before a
        discard, restore or save is ignored instead of overwriting the draft.
        """
        if rev != self.form_rev or (field not in TEXT_FIELDS and field not in NUMBER_FIELDS):
            return
        if getattr(self, field) == value and field not in self._parse_errors:
            return
        setattr(self, field, value)
        change: dict[str, Any]
        if field in NUMBER_FIELDS:
            try:
                change = {field: parse_number(field, value)}
            except ValueError:
                self._parse_errors = {**self._parse_errors, field: NUMBER_FIELDS[field][1]}
                setattr(self, f"{field}_error", NUMBER_FIELDS[field][1])
                return
            self._parse_errors = {k: v for k, v in self._parse_errors.items() if k != field}
        elif field == "starters":
            change = {"starters": [line.strip() for line in value.splitlines() if line.strip()]}
        else:
            change = {field: value}
        await self._write(change)

    def _form_fields(self, form: dict[str, Any]) -> BlueprintFields:
        """A new agent's submitted values (kept in state so a re-mount shows them)."""
        for key in (*TEXT_FIELDS, "model", *NUMBER_FIELDS):
            setattr(self, key, str(form.get(key, getattr(self, key)) or ""))
        numbers: dict[str, Any] = {"temperature": 0.7, "max_tokens": 1024}
        self._parse_errors = {}
        for key in NUMBER_FIELDS:
            try:
                numbers[key] = parse_number(key, getattr(self, key))
            except ValueError:
                self._parse_errors[key] = NUMBER_FIELDS[key][1]
        return BlueprintFields.model_construct(
            name=self.name,
            description=self.description.strip(),
            avatar=self.avatar.strip() or "🤖",
            connection_id=self.connection_id or None,
            model=self.model,
            instructions=self.instructions,
            starters=[line.strip() for line in self.starters.splitlines() if line.strip()],
            fallbacks=self._fallback_data(),
            tools=[],
            allowed_domains=[],
            approval_tools=[],
            delegates=[],
            **numbers,
        )

    @rx.event
    async def create(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """A new agent's form: validate it and create the agent with v1."""
        actor = await signed_in(self)
        self._set_errors({})
        self.message, self.saving = "", True
        yield
        fields = self._form_fields(form)

        def work(session: Session) -> str:
            if errors := {**validate_blueprint(fields, actor=actor, session=session), **self._parse_errors}:
                raise BlueprintInvalid(errors)
            return create_agent(actor=actor, fields=fields, session=session)

        try:
            new_id = await in_session(work)
        except BlueprintInvalid as exc:
            self._set_errors(exc.errors, banner=True)
            return
        finally:
            self.saving = False
        self._flash = "Saved as v1"
        yield rx.redirect(f"/agents/{new_id}")

    @rx.event
    async def save_version(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """ "Save version": the draft becomes the next version, with the optional note."""
        actor = await signed_in(self)
        note = str(form.get("note", "") or "").strip()[:200]
        self.message, self.saving = "", True
        yield
        agent_id = self.editing_id
        try:
            version = await in_session(lambda s: save_version(actor=actor, agent_id=agent_id, note=note, session=s))
        except BlueprintInvalid as exc:
            self._set_errors(exc.errors, banner=True)
            self.saving = False
            return
        except (NotFound, PermissionDenied) as exc:
            self._refused(exc)
            self.saving = False
            return
        self.saving = False
        await self._load_agent(actor, agent_id, show=False)  # the fields already show the draft
        self._set_errors({})
        self.message = f"Saved as v{version}"

    @rx.event
    async def discard(self):  # type: ignore[no-untyped-def]
        """ "Discard draft" (after its confirmation): back to the current version."""
        actor = await signed_in(self)
        agent_id = self.editing_id
        try:
            await in_session(lambda s: discard_draft(actor=actor, agent_id=agent_id, session=s))
            await self._load_agent(actor, agent_id)
        except (NotFound, PermissionDenied) as exc:
            self._refused(exc)
            return None
        self._set_errors({})
        self.message = f"Draft discarded: back to v{self.current_version}"
        return cast(Any, ToolsState).load(agent_id)

    @rx.event
    async def restore(self, version: int):  # type: ignore[no-untyped-def]
        """Make a new version that copies ``version``; the draft and the form show it."""
        actor = await signed_in(self)
        self._set_errors({})
        self.message = ""
        agent_id = self.editing_id
        try:
            new_version = await in_session(
                lambda s: restore_version(actor=actor, agent_id=agent_id, version=version, session=s)
            )
            await self._load_agent(actor, agent_id)
        except (NotFound, PermissionDenied) as exc:
            self.form_error = str(exc) or "That version could not be restored."
            return None
        self.message = f"Restored v{version} as v{new_version}"
        return cast(Any, ToolsState).load(agent_id)
