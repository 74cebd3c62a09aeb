"""The model catalog as the builder shows it: price and context window next to models, fallbacks.

Plain data and pure helpers; :class:`~dashboard.builder.state.BuilderState` keeps the lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.gateway.admin import get_catalog
from backend.models.gateway import CatalogEntry


@dataclass
class CatalogOption:
    """A model on a connection with its limits and prices, formatted.

    ``key`` is ``"<connection id>|<model>"``; ``short`` e.g. ``"128k · $0.15/$0.60"``;
    ``info`` a sentence for the Model field's hint.
    """

    key: str = ""
    connection_id: str = ""
    model: str = ""
    label: str = ""
    short: str = ""
    info: str = ""


@dataclass
class FallbackRow:
    """One entry of the agent's ordered fallback list."""

    connection_id: str = ""
    model: str = ""
    label: str = ""
    short: str = ""


def money(value: float) -> str:
    """A price per 1M tokens: ``0`` -> ``"$0"``, ``0.6`` -> ``"$0.60"``, ``0.075`` -> ``"$0.075"``."""
    if value <= 0:
        return "$0"
    whole, _, frac = f"{value:,.4f}".rstrip("0").partition(".")
    return f"${whole}.{frac.ljust(2, '0')}"


def context_label(tokens: int | None) -> str:
    """``128000`` -> ``"128k"``, ``1048576`` -> ``"1M"``, None -> ``""``."""
    if not tokens:
        return ""
    if tokens >= 1_000_000:
        return f"{tokens / 1_000_000:.3g}M"
    return f"{round(tokens / 1000):,}k" if tokens >= 1000 else str(tokens)


def _option(entry: CatalogEntry) -> CatalogOption:
    priced = entry.input_usd_per_1m is not None and entry.output_usd_per_1m is not None
    prices = f"{money(entry.input_usd_per_1m or 0)}/{money(entry.output_usd_per_1m or 0)}" if priced else ""
    context = context_label(entry.context_window)
    short = " · ".join(p for p in (context, prices) if p) or "price unknown"
    parts = []
    if entry.context_window:
        parts.append(f"{entry.context_window:,}-token context")
    if priced:
        parts.append(
            f"{money(entry.input_usd_per_1m or 0)} input / {money(entry.output_usd_per_1m or 0)} output per 1M tokens"
        )
    else:
        parts.append("price unknown: only budgets' token caps apply to it")
    return CatalogOption(
        key=f"{entry.connection_id}|{entry.model}",
        connection_id=entry.connection_id,
        model=entry.model,
        label=f"{entry.model} · {entry.connection_name}",
        short=short,
        info=f"{entry.model}: " + " · ".join(parts),
    )


def load_catalog(actor: Actor) -> list[CatalogOption]:
    """The workspace's model catalog as options (any member may read it)."""
    with session_scope() as session:
        return [_option(e) for e in get_catalog(actor=actor, session=session)]


def find(catalog: list[CatalogOption], connection_id: str, model: str) -> CatalogOption | None:
    """The catalog option of ``model`` on ``connection_id``, if listed."""
    return next((c for c in catalog if c.connection_id == connection_id and c.model == model.strip()), None)


def fallback_row(item: dict[str, Any], catalog: list[CatalogOption], names: dict[str, str]) -> FallbackRow:
    """A stored ``{"connection_id", "model"}`` fallback as a row (``names``: connection id -> name)."""
    cid, model = str(item.get("connection_id", "")), str(item.get("model", ""))
    option = find(catalog, cid, model)
    conn = names.get(cid, "a deleted connection")
    return FallbackRow(cid, model, f"{model} · {conn}", option.short if option else "not in the catalog")
