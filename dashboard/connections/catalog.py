"""The model catalog of the connection manager: rows for the page and the price form's handling.

Plain data and stateless helpers (each opens its own database session); prices are USD per
1M tokens, the context window in tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.connections.providers import PROVIDERS
from backend.db import session_scope
from backend.gateway.admin import apply_change, delete_model_override, get_catalog, set_model_override
from backend.models.gateway import CatalogEntry
from dashboard.shell.forms import parse_number

SOURCES = {"litellm": "list price", "override": "set here", "unknown": "unknown"}


@dataclass
class CatalogRow:
    """One model of one connection, formatted (``"—"`` when unknown)."""

    key: str = ""
    connection_id: str = ""
    model: str = ""
    context: str = "—"
    input_price: str = "—"
    output_price: str = "—"
    source: str = ""
    overridden: bool = False
    editable: bool = False
    context_value: str = ""
    input_value: str = ""
    output_value: str = ""


def _price(value: float | None) -> str:
    if value is None:
        return "—"
    whole, _, frac = f"{value:,.4f}".rstrip("0").partition(".")
    return f"${whole}.{frac.ljust(2, '0')}" if value else "$0"


def _plain(value: float | int | None) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _row(entry: CatalogEntry) -> CatalogRow:
    provider = PROVIDERS.get(entry.provider)
    return CatalogRow(
        key=f"{entry.connection_id}|{entry.model}",
        connection_id=entry.connection_id,
        model=entry.model,
        context=f"{entry.context_window:,}" if entry.context_window else "—",
        input_price=_price(entry.input_usd_per_1m),
        output_price=_price(entry.output_usd_per_1m),
        source=SOURCES.get(entry.price_source, entry.price_source),
        overridden=entry.price_source == "override",
        editable=bool(provider and provider.needs_base_url),
        context_value=_plain(entry.context_window),
        input_value=_plain(entry.input_usd_per_1m),
        output_value=_plain(entry.output_usd_per_1m),
    )


def load_catalog(actor: Actor) -> list[CatalogRow]:
    """Every model of every connection of the workspace, with context window and prices."""
    with session_scope() as session:
        return [_row(e) for e in get_catalog(actor=actor, session=session)]


def save_price(actor: Actor, connection_id: str, form: dict[str, Any]) -> dict[str, str]:
    """Set a model's prices and context window on a connection from the "Edit price" form.

    Form fields: ``price_model``, ``context_window``, ``input_usd_per_1m``, ``output_usd_per_1m``.

    Returns:
        ``{field: message}`` (fields as in ``set_model_override``, ``"form"`` for the whole form);
        empty on success.
    """
    errors: dict[str, str] = {}
    context = parse_number(form, "context_window", int, "Enter the context window as a whole number of tokens.", errors)
    price_in = parse_number(form, "input_usd_per_1m", float, "Enter a price in USD, e.g. 0.15.", errors)
    price_out = parse_number(form, "output_usd_per_1m", float, "Enter a price in USD, e.g. 0.60.", errors)
    if errors:
        return errors
    return apply_change(
        lambda session: set_model_override(
            actor=actor,
            connection_id=connection_id,
            model=str(form.get("price_model", "") or ""),
            input_usd_per_1m=price_in,
            output_usd_per_1m=price_out,
            context_window=context,
            session=session,
        )
    )


def reset_price(actor: Actor, connection_id: str, model: str) -> str:
    """Remove a model's price override; returns an error message or ``""``."""
    try:
        with session_scope() as session:
            delete_model_override(actor=actor, connection_id=connection_id, model=model, session=session)
    except NotFound:
        return "That price was already reset."
    except PermissionDenied as exc:
        return str(exc)
    return ""
