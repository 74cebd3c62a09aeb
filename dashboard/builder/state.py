"""State of the agent edit page (``/agents/new`` and ``/agents/<id>``): the blueprint form.

Only plain data lives in state (dataclasses, strings, numbers); every mutating handler re-checks
the signed-in user and talks to :mod:`backend.agents.service` in a fresh database session.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import reflex as rx

from backend.accounts.actor import NotFound, PermissionDenied
from backend.agents.service import (
    MAX_FALLBACKS,
    BlueprintInvalid,
    create_agent,
    fields_from_template,
    get_blueprint,
    list_versions,
    restore_version,
    save_agent,
    validate_blueprint,
)
from backend.connections.service import list_connections
from backend.db import session_scope
from backend.models import BlueprintFields
from dashboard.builder.catalog import CatalogOption, FallbackRow, fallback_row, find, load_catalog
from dashboard.builder.tools_state import keep_tool_fields
from dashboard.shell.auth import signed_in

ERROR_FIELDS = (
    "name",
    "description",
    "avatar",
    "connection_id",
    "model",
    "instructions",
    "temperature",
    "max_tokens",
    "starters",
    "fallbacks",
)


@dataclasses.dataclass
class ConnectionOption:
    """A workspace connection the form can pick a model from (no secrets)."""

    id: str = ""
    name: str = ""
    provider_label: str = ""
    models: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class VersionRow:
    """One row of the version history panel."""

    version: int = 1
    created_at: str = ""
    note: str = ""
    model: str = ""
    is_current: bool = False


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


class BuilderState(rx.State):
    """``/agents/new`` and ``/agents/<id>``: the blueprint form, its errors and version history."""

    editing_id: str = ""  # "" while creating a new agent
    loaded: bool = False
    not_found: bool = False
    saving: bool = False
    form_rev: int = 0  # bumped to re-mount the (uncontrolled) form with fresh values
    model_rev: int = 0
    name: str = ""
    description: str = ""
    avatar: str = "🤖"
    connection_id: str = ""
    model: str = ""
    instructions: str = ""
    temperature: str = "0.7"
    max_tokens: str = "1024"
    starters: str = ""
    name_error: str = ""
    description_error: str = ""
    avatar_error: str = ""
    connection_id_error: str = ""
    model_error: str = ""
    instructions_error: str = ""
    temperature_error: str = ""
    max_tokens_error: str = ""
    starters_error: str = ""
    fallbacks_error: str = ""
    form_error: str = ""
    message: str = ""
    current_version: int = 0
    saved_name: str = ""  # the heading: the name of the saved current version
    saved_avatar: str = ""
    versions: list[VersionRow] = []
    connections: list[ConnectionOption] = []
    catalog: list[CatalogOption] = []
    fallbacks: list[FallbackRow] = []
    fallback_choice: str = ""
    _flash: str = ""

    @rx.var
    def reported_models(self) -> list[str]:
        """The models the chosen connection reported when it was last tested."""
        for conn in self.connections:
            if conn.id == self.connection_id:
                return list(conn.models)
        return []

    @rx.var
    def model_chips(self) -> list[CatalogOption]:
        """The reported models with their context window and prices (``short``) from the catalog."""
        return [
            find(self.catalog, self.connection_id, m) or CatalogOption(model=m, short="price unknown")
            for m in self.reported_models
        ]

    @rx.var
    def model_info(self) -> str:
        """Context window and prices of the chosen model, or ``""`` when the catalog does not list it."""
        option = find(self.catalog, self.connection_id, self.model)
        return option.info if option else ""

    @rx.var
    def fallback_choices(self) -> list[CatalogOption]:
        """Catalog models that can still be added as fallbacks (not the main model, not chosen yet)."""
        taken = {(f.connection_id, f.model) for f in self.fallbacks} | {(self.connection_id, self.model.strip())}
        return [c for c in self.catalog if (c.connection_id, c.model) not in taken]

    def _set_errors(self, errors: dict[str, str]) -> None:
        for key in ERROR_FIELDS:
            setattr(self, f"{key}_error", errors.get(key, ""))
        self.form_error = "Fix the highlighted fields, then save again." if errors else ""

    def _show(self, fields: BlueprintFields) -> None:
        self.name, self.description, self.avatar = fields.name, fields.description, fields.avatar
        self.connection_id, self.model = fields.connection_id or "", fields.model
        self.instructions, self.starters = fields.instructions, "\n".join(fields.starters)
        self.temperature, self.max_tokens = f"{fields.temperature:g}", str(fields.max_tokens)
        names = {c.id: c.name for c in self.connections}
        self.fallbacks = [fallback_row(f, self.catalog, names) for f in fields.fallbacks]
        self.fallback_choice = ""
        self.form_rev += 1

    def _load_agent(self, actor: Any, agent_id: str) -> None:
        with session_scope() as session:
            current = get_blueprint(actor=actor, agent_id=agent_id, session=session)
            self._show(current)
            self.current_version = current.version
            self.saved_name, self.saved_avatar = current.name, current.avatar
            self.versions = [
                VersionRow(v.version, _when(v.created_at), v.note, v.model, v.version == current.version)
                for v in list_versions(actor=actor, agent_id=agent_id, session=session)
            ]

    @rx.event
    async def load(self) -> None:
        """``on_load``: an existing agent's current blueprint, or a blank/template form for ``new``."""
        self._set_errors({})
        self.not_found, self.loaded, self.saving = False, False, False
        self.message, self._flash = self._flash, ""
        self.versions, self.current_version = [], 0
        actor = await signed_in(self)
        raw_id = str(self.router.page.params.get("agent_id", "") or "")
        with session_scope() as session:
            self.connections = [
                ConnectionOption(c.id, c.name, c.provider_label, list(c.models))
                for c in list_connections(actor=actor, session=session)
            ]
        self.catalog = load_catalog(actor)
        self.editing_id = "" if raw_id == "new" else raw_id
        try:
            if self.editing_id:
                self._load_agent(actor, self.editing_id)
            else:
                self._load_new(actor)
        except (NotFound, PermissionDenied):
            self.not_found = True
        self.loaded = True

    def _load_new(self, actor: Any) -> None:
        slug = str(self.router.url.query_parameters.get("template", "") or "")
        fields = BlueprintFields(name="")
        if slug:
            try:
                with session_scope() as session:
                    fields = fields_from_template(slug=slug, session=session)
            except NotFound:
                self.form_error = "That template no longer exists; starting from a blank agent."
        if self.connections:  # preselect the first connection that reported models
            first = next((c for c in self.connections if c.models), self.connections[0])
            fields.connection_id = first.id
            fields.model = first.models[0] if first.models else ""
        self._show(fields)

    @rx.event
    def set_connection(self, value: str) -> None:
        """Pick a connection; when it reports models and the model is not one of them, take the first."""
        self.connection_id = value
        models = self.reported_models
        if models and self.model not in models:
            self._fill_model(models[0])

    def _fill_model(self, value: str) -> None:
        self.model = value
        self.model_rev += 1  # re-mount the uncontrolled Model input with the new value

    @rx.event
    def pick_model(self, value: str) -> None:
        """Fill the Model field from the list of reported models."""
        self._fill_model(value)

    @rx.event
    def model_typed(self, value: str) -> None:
        """The Model field lost focus: remember what was typed (for its price hint)."""
        self.model = value

    @rx.event
    def set_fallback_choice(self, value: str) -> None:
        """Pick the catalog model the "Add fallback" button adds."""
        self.fallback_choice = value

    @rx.event
    def add_fallback(self) -> None:
        """Append the picked model to the fallbacks (saved with the blueprint)."""
        option = next((c for c in self.fallback_choices if c.key == self.fallback_choice), None)
        if option is None:
            self.fallbacks_error = "Choose a model to add as a fallback."
            return
        if len(self.fallbacks) >= MAX_FALLBACKS:
            self.fallbacks_error = f"Up to {MAX_FALLBACKS} fallback models."
            return
        self.fallbacks = [*self.fallbacks, FallbackRow(option.connection_id, option.model, option.label, option.short)]
        self.fallback_choice, self.fallbacks_error = "", ""

    @rx.event
    def remove_fallback(self, index: int) -> None:
        """Remove the fallback at ``index``."""
        self.fallbacks = [f for i, f in enumerate(self.fallbacks) if i != index]
        self.fallbacks_error = ""

    @rx.event
    def move_fallback(self, index: int, step: int) -> None:
        """Move the fallback at ``index`` one place up (``step=-1``) or down (``step=1``)."""
        other = index + step
        if 0 <= index < len(self.fallbacks) and 0 <= other < len(self.fallbacks):
            rows = list(self.fallbacks)
            rows[index], rows[other] = rows[other], rows[index]
            self.fallbacks = rows

    def _read_form(self, form: dict[str, Any]) -> tuple[BlueprintFields, dict[str, str]]:
        """The submitted values (kept in state so a re-mount shows them) and number-parsing errors."""
        for key in ("name", "description", "avatar", "model", "instructions", "temperature", "max_tokens", "starters"):
            setattr(self, key, str(form.get(key, getattr(self, key)) or ""))
        errors: dict[str, str] = {}
        try:
            temperature = float(self.temperature.strip().replace(",", "."))
        except ValueError:
            temperature, errors["temperature"] = 0.7, "Temperature must be a number between 0 and 2."
        try:
            max_tokens = int(self.max_tokens.strip())
        except ValueError:
            max_tokens, errors["max_tokens"] = 1024, "Max output tokens must be a whole number."
        fields = BlueprintFields.model_construct(
            name=self.name,
            description=self.description.strip(),
            avatar=self.avatar.strip() or "🤖",
            connection_id=self.connection_id or None,
            model=self.model,
            instructions=self.instructions,
            temperature=temperature,
            max_tokens=max_tokens,
            starters=[line.strip() for line in self.starters.splitlines() if line.strip()],
            fallbacks=[{"connection_id": f.connection_id, "model": f.model} for f in self.fallbacks],
        )
        return fields, errors

    @rx.event
    async def save(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Validate the form and save it: v1 for a new agent, otherwise a new version."""
        actor = await signed_in(self)
        self._set_errors({})
        self.message, self.saving = "", True
        yield
        fields, errors = self._read_form(form)
        fields = keep_tool_fields(fields, actor=actor, agent_id=self.editing_id)
        note = str(form.get("note", "") or "").strip()[:200]
        try:
            with session_scope() as session:
                errors = {**validate_blueprint(fields, actor=actor, session=session), **errors}
                if errors:
                    raise BlueprintInvalid(errors)
                if self.editing_id:
                    version = save_agent(
                        actor=actor, agent_id=self.editing_id, fields=fields, note=note, session=session
                    )
                else:
                    new_id = create_agent(actor=actor, fields=fields, session=session)
        except BlueprintInvalid as exc:
            self._set_errors(exc.errors)
            return
        except (NotFound, PermissionDenied):
            self.not_found = True
            return
        finally:
            self.saving = False
        if not self.editing_id:
            self._flash = "Saved as v1"
            yield rx.redirect(f"/agents/{new_id}")
            return
        self._load_agent(actor, self.editing_id)
        self.message = f"Saved as v{version}"

    @rx.event
    async def restore(self, version: int):  # type: ignore[no-untyped-def]
        """Make a new version that copies ``version`` and show it in the form."""
        actor = await signed_in(self)
        self._set_errors({})
        self.message = ""
        try:
            with session_scope() as session:
                new_version = restore_version(actor=actor, agent_id=self.editing_id, version=version, session=session)
            self._load_agent(actor, self.editing_id)
        except (NotFound, PermissionDenied) as exc:
            self.form_error = str(exc) or "That version could not be restored."
            return None
        self.message = f"Restored v{version} as v{new_version}"
        return None
