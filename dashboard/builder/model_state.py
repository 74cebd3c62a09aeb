"""The "Model" part of the builder's state: connection, model, the catalog and the fallbacks.

A mixin of :class:`dashboard.builder.state.BuilderState`. Each change is handed to
``_write`` (the draft of an existing agent, nothing yet for a new one).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx

from backend.agents.service import MAX_FALLBACKS
from dashboard.builder.catalog import CatalogOption, FallbackRow, find


@dataclasses.dataclass
class ConnectionOption:
    """A workspace connection the form can pick a model from (no secrets)."""

    id: str = ""
    name: str = ""
    provider_label: str = ""
    models: list[str] = dataclasses.field(default_factory=list)


class ModelMixin(rx.State, mixin=True):
    """Connection, model and fallbacks of the blueprint being edited."""

    connection_id: str = ""
    model: str = ""
    form_rev: int = 0  # bumped to re-mount the (uncontrolled) fields with fresh values
    model_rev: int = 0
    connections: list[ConnectionOption] = []
    catalog: list[CatalogOption] = []
    fallbacks: list[FallbackRow] = []
    fallback_choice: str = ""
    connection_id_error: str = ""
    model_error: str = ""
    fallbacks_error: str = ""

    async def _write(self, changes: dict[str, Any]) -> None:
        """Store ``changes`` in the draft (implemented by the state using this mixin)."""
        raise NotImplementedError

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

    def _fallback_data(self) -> list[dict[str, str]]:
        return [{"connection_id": f.connection_id, "model": f.model} for f in self.fallbacks]

    @rx.event
    async def set_connection(self, value: str) -> None:
        """Pick a connection; when it reports models and the model is not one of them, take the first."""
        self.connection_id = value
        models = self.reported_models
        if models and self.model not in models:
            self._fill_model(models[0])
        await self._write({"connection_id": value or None, "model": self.model})

    def _fill_model(self, value: str) -> None:
        self.model = value
        self.model_rev += 1  # re-mount the uncontrolled Model input with the new value

    @rx.event
    async def pick_model(self, value: str) -> None:
        """Fill the Model field from the list of reported models."""
        self._fill_model(value)
        await self._write({"model": value})

    @rx.event
    async def model_typed(self, value: str, rev: int) -> None:
        """The Model field changed: remember what was typed (for its price hint) and keep it.

        ``rev``: the ``form_rev`` the field was mounted with; a late (debounced) change from
        before a discard or restore is ignored.
        """
        if rev == self.form_rev and value != self.model:
            self.model = value
            await self._write({"model": value})

    @rx.event
    def set_fallback_choice(self, value: str) -> None:
        """Pick the catalog model the "Add fallback" button adds."""
        self.fallback_choice = value

    @rx.event
    async def add_fallback(self) -> None:
        """Append the picked model to the fallbacks."""
        option = next((c for c in self.fallback_choices if c.key == self.fallback_choice), None)
        if option is None:
            self.fallbacks_error = "Choose a model to add as a fallback."
            return
        if len(self.fallbacks) >= MAX_FALLBACKS:
            self.fallbacks_error = f"Up to {MAX_FALLBACKS} fallback models."
            return
        self.fallbacks = [*self.fallbacks, FallbackRow(option.connection_id, option.model, option.label, option.short)]
        self.fallback_choice, self.fallbacks_error = "", ""
        await self._write({"fallbacks": self._fallback_data()})

    @rx.event
    async def remove_fallback(self, index: int) -> None:
        """Remove the fallback at ``index``."""
        self.fallbacks = [f for i, f in enumerate(self.fallbacks) if i != index]
        self.fallbacks_error = ""
        await self._write({"fallbacks": self._fallback_data()})

    @rx.event
    async def move_fallback(self, index: int, step: int) -> None:
        """Move the fallback at ``index`` one place up (``step=-1``) or down (``step=1``)."""
        other = index + step
        if 0 <= index < len(self.fallbacks) and 0 <= other < len(self.fallbacks):
            rows = list(self.fallbacks)
            rows[index], rows[other] = rows[other], rows[index]
            self.fallbacks = rows
            await self._write({"fallbacks": self._fallback_data()})
