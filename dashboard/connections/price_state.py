"""State of the "Edit price" form of the connection manager's model catalog (custom endpoints).

A price override replaces LiteLLM's list price and context window for one model on one
connection; budgets and usage records use it from the next call on.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.connections.catalog import reset_price, save_price
from dashboard.connections.state import ConnectionsState
from dashboard.shell.auth import signed_in


class PriceState(rx.State):
    """Which model's price form is open, its values and errors."""

    connection_id: str = ""
    model: str = ""  # "" while adding a model that is not listed
    context: str = ""
    price_in: str = ""
    price_out: str = ""
    form_key: int = 0
    model_error: str = ""
    context_error: str = ""
    input_error: str = ""
    output_error: str = ""
    form_error: str = ""

    def _clear_errors(self) -> None:
        self.model_error = self.context_error = self.input_error = self.output_error = self.form_error = ""

    @rx.event
    async def open_form(self, key: str) -> None:
        """Open the form for ``key`` = ``"<connection id>|<model>"`` (empty model: a new one)."""
        conns = await self.get_state(ConnectionsState)
        row = next((r for r in conns.catalog if r.key == key), None)
        self.connection_id, _, self.model = key.partition("|")
        self.context = row.context_value if row else ""
        self.price_in = row.input_value if row else ""
        self.price_out = row.output_value if row else ""
        self.form_key += 1
        conns.notice = ""
        self._clear_errors()

    @rx.event
    def close_form(self) -> None:
        """Close the form without saving."""
        self.connection_id = self.model = ""
        self._clear_errors()

    @rx.event
    async def submit(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Save the model's context window and prices on the connection."""
        actor = await signed_in(self)
        self._clear_errors()
        conns = await self.get_state(ConnectionsState)
        conns.notice = conns.page_error = ""
        model = (self.model or str(form.get("price_model", "") or "")).strip()
        errors = save_price(actor, self.connection_id, {**form, "price_model": model})
        self.model_error = errors.get("model", "")
        self.context_error = errors.get("context_window", "")
        self.input_error = errors.get("input_usd_per_1m", "")
        self.output_error = errors.get("output_usd_per_1m", "")
        self.form_error = errors.get("form", "")
        if errors:
            return None
        conns.notice = f"Saved the price of {model} on {conns._name_of(self.connection_id)}."
        conns._refresh(actor)
        self.connection_id = self.model = ""
        return None

    @rx.event
    async def reset_override(self, key: str):  # type: ignore[no-untyped-def]
        """Drop a model's override: LiteLLM's list price (or "unknown") applies again."""
        actor = await signed_in(self)
        connection_id, _, model = key.partition("|")
        conns = await self.get_state(ConnectionsState)
        conns.notice = ""
        conns.page_error = reset_price(actor, connection_id, model)
        if not conns.page_error:
            conns.notice = f"Reset the price of {model} on {conns._name_of(connection_id)}."
        conns._refresh(actor)
        return None
