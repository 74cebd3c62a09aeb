"""Model catalog: what each model reachable through a workspace's connections costs and holds.

Prices and context windows come from LiteLLM's bundled price map (``litellm.get_model_info``,
read locally: ``LITELLM_LOCAL_MODEL_COST_MAP=True``), looked up by the LiteLLM model name
(``openai/gpt-4o-mini``), so a custom endpoint serving a name the map knows gets its list price.
A :class:`~backend.models.gateway.ModelOverride` on a connection replaces any of those values
(custom endpoints, negotiated prices, self-hosted models with a known context window).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Protocol, cast

import sqlalchemy as sa
from sqlalchemy import Select, bindparam
from sqlmodel import Session, col, select

from backend.accounts import permissions
from backend.accounts.actor import Actor, NotFound, require_member
from backend.connections.providers import PROVIDERS, get_provider, litellm_model_name
from backend.db import DbConn, connection_of
from backend.gateway.completion import estimate_cost
from backend.gateway.llm import litellm
from backend.models import Connection
from backend.models.gateway import CatalogEntry, ModelOverride

PriceSource = Literal["litellm", "override", "unknown"]
DEFAULT_MAX_OUTPUT_TOKENS = 4096
"""Output tokens assumed for a worst case when neither the call nor the map gives a cap."""


@dataclass(frozen=True)
class ModelInfo:
    """Limits and prices of one model on one connection.

    Attributes:
        litellm_name: LiteLLM model name, e.g. ``"openai/gpt-4o-mini"``.
        context_window: Input tokens the model accepts (``max_input_tokens``), None if unknown.
        max_output_tokens: Output tokens it can produce, None if unknown.
        input_usd_per_1m: USD per 1,000,000 input tokens, None if unknown.
        output_usd_per_1m: USD per 1,000,000 output tokens, None if unknown.
        price_source: ``"litellm"``, ``"override"`` or ``"unknown"``.
        peak_input_usd_per_1m, peak_output_usd_per_1m: The highest tier's prices (LiteLLM's
            ``*_above_<n>k_tokens``), USD per 1M tokens, when the map has tiers; None otherwise.
            Worst cases are priced with them, so a hold never under-reserves.
    """

    litellm_name: str
    context_window: int | None
    max_output_tokens: int | None
    input_usd_per_1m: float | None
    output_usd_per_1m: float | None
    price_source: PriceSource
    peak_input_usd_per_1m: float | None = None
    peak_output_usd_per_1m: float | None = None

    @property
    def priced(self) -> bool:
        """True when both prices are known."""
        return self.input_usd_per_1m is not None and self.output_usd_per_1m is not None


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and value > 0 else None


def _peak_per_1m(info: Mapping[str, Any], base: str) -> float | None:
    """The highest of ``base`` and its ``base_above_<n>k_tokens`` tiers, USD per 1M; None without tiers."""
    tier = re.compile(rf"{base}_above_\d+k_tokens")  # not the _priority / _flex service tiers
    tiers = [v for k, v in info.items() if tier.fullmatch(k) and isinstance(v, int | float)]
    if not tiers:
        return None
    return max([float(info.get(base) or 0.0), *map(float, tiers)]) * 1_000_000


@lru_cache(maxsize=1024)
def litellm_model_info(litellm_name: str) -> ModelInfo:
    """Limits and list prices from LiteLLM's bundled map (cached per process).

    Args:
        litellm_name: e.g. ``"openai/gpt-4o-mini"`` or ``"anthropic/claude-haiku-4-5"``.

    Returns:
        A :class:`ModelInfo`; every field None and ``price_source="unknown"`` if the map does
        not know the model.
    """
    try:
        info = litellm.get_model_info(model=litellm_name)
    except Exception:
        return ModelInfo(litellm_name, None, None, None, None, "unknown")
    prompt, output = info.get("input_cost_per_token"), info.get("output_cost_per_token")
    priced = prompt is not None and output is not None
    return ModelInfo(
        litellm_name=litellm_name,
        context_window=_int(info.get("max_input_tokens")) or _int(info.get("max_tokens")),
        max_output_tokens=_int(info.get("max_output_tokens")),
        input_usd_per_1m=float(prompt) * 1_000_000 if priced and prompt is not None else None,
        output_usd_per_1m=float(output) * 1_000_000 if priced and output is not None else None,
        price_source="litellm" if priced else "unknown",
        peak_input_usd_per_1m=_peak_per_1m(info, "input_cost_per_token") if priced else None,
        peak_output_usd_per_1m=_peak_per_1m(info, "output_cost_per_token") if priced else None,
    )


def model_info(provider_id: str, model: str, override: PriceOverride | None = None) -> ModelInfo:
    """Limits and prices of ``model`` on a connection to ``provider_id``, override applied.

    Args:
        provider_id: A key of ``providers.PROVIDERS``.
        model: The provider's model id, e.g. ``"gpt-4o-mini"``.
        override: The connection's override row for this model, if any. Its prices replace the
            map's only when both are set; its context window replaces the map's when set.

    Returns:
        The effective :class:`ModelInfo`.

    Raises:
        ValueError: unknown provider or empty model name.
    """
    base = litellm_model_info(litellm_model_name(provider_id, model))
    if override is None:
        return base
    priced = override.input_usd_per_1m is not None and override.output_usd_per_1m is not None
    return ModelInfo(
        litellm_name=base.litellm_name,
        context_window=override.context_window or base.context_window,
        max_output_tokens=base.max_output_tokens,
        input_usd_per_1m=override.input_usd_per_1m if priced else base.input_usd_per_1m,
        output_usd_per_1m=override.output_usd_per_1m if priced else base.output_usd_per_1m,
        price_source="override" if priced else base.price_source,
        peak_input_usd_per_1m=None if priced else base.peak_input_usd_per_1m,
        peak_output_usd_per_1m=None if priced else base.peak_output_usd_per_1m,
    )


class PriceOverride(Protocol):
    """What :func:`model_info` reads of an override (a ``ModelOverride`` row or a Core row of it)."""

    input_usd_per_1m: float | None
    output_usd_per_1m: float | None
    context_window: int | None


def _overrides_statement(*, many: bool) -> Select[Any]:
    o = ModelOverride.__table__.c  # type: ignore[attr-defined]
    columns = (o.connection_id, o.model, o.input_usd_per_1m, o.output_usd_per_1m, o.context_window)
    match = o.connection_id.in_(bindparam("ids", expanding=True)) if many else o.connection_id == bindparam("id")
    return sa.select(*columns).where(match)


# Built once: the gateway reads overrides on every call. Most calls name one connection, and an
# expanding IN is re-rendered on every execution, so that case has its own statement.
_OVERRIDES = _overrides_statement(many=True)
_OVERRIDES_ONE = _overrides_statement(many=False)


def load_overrides(session: DbConn, connection_ids: Iterable[str]) -> dict[tuple[str, str], PriceOverride]:
    """Override rows of the given connections, keyed by ``(connection_id, model)`` (Core rows)."""
    ids = list(set(connection_ids))
    if not ids:
        return {}
    conn = connection_of(session)
    rows = conn.execute(_OVERRIDES_ONE, {"id": ids[0]}) if len(ids) == 1 else conn.execute(_OVERRIDES, {"ids": ids})
    return {(r.connection_id, r.model): cast(PriceOverride, r) for r in rows}


def call_cost(info: ModelInfo, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> tuple[float, str]:
    """Cost of a call, the same for streamed and non-streamed calls of the same usage.

    Args:
        info: The model's effective :class:`ModelInfo`.
        prompt_tokens: Input tokens (cached included).
        completion_tokens: Output tokens.
        cached_tokens: Input tokens from the provider's prompt cache (LiteLLM-priced models
            bill them at the cache-read price; overrides at the input price).

    Returns:
        ``(cost_usd, note)``; ``note`` is ``""`` when priced, else
        ``"price unknown for <model>: counted as $0"``.
    """
    if info.price_source == "override" and info.priced:
        assert info.input_usd_per_1m is not None and info.output_usd_per_1m is not None
        usd = (prompt_tokens * info.input_usd_per_1m + completion_tokens * info.output_usd_per_1m) / 1_000_000
        return usd, ""
    usd, note = estimate_cost(info.litellm_name, prompt_tokens, completion_tokens, cached_tokens)
    return usd, note or ""


def worst_case(info: ModelInfo, prompt_tokens: int, max_tokens: int | None) -> tuple[float, int]:
    """Most a call can cost: all of ``prompt_tokens`` plus the full output allowance.

    Args:
        info: The model's effective :class:`ModelInfo`.
        prompt_tokens: Counted input tokens.
        max_tokens: The call's output cap; None uses the model's maximum, else 4096.

    Returns:
        ``(usd, tokens)``; ``usd`` is 0.0 for a model without a known price (a dollar budget
        then refuses the call: ``budgets.require_price``; token caps bind it).
    """
    output = max_tokens or info.max_output_tokens or DEFAULT_MAX_OUTPUT_TOKENS
    tokens = prompt_tokens + output
    if info.input_usd_per_1m is None or info.output_usd_per_1m is None:
        return 0.0, tokens
    # Priced here, not by LiteLLM's cost_per_token (~0.7 ms per call): every token at the
    # highest tier's price when the map has tiers, so this is never below what LiteLLM charges.
    per_in = info.peak_input_usd_per_1m or info.input_usd_per_1m
    per_out = info.peak_output_usd_per_1m or info.output_usd_per_1m
    return (prompt_tokens * per_in + output * per_out) / 1_000_000, tokens


def _entry(conn: Connection, model: str, info: ModelInfo) -> CatalogEntry:
    provider = PROVIDERS.get(conn.provider)
    return CatalogEntry(
        connection_id=conn.id,
        connection_name=conn.name,
        provider=conn.provider,
        provider_label=provider.label if provider else conn.provider,
        model=model,
        context_window=info.context_window,
        max_output_tokens=info.max_output_tokens,
        input_usd_per_1m=None if info.input_usd_per_1m is None else round(info.input_usd_per_1m, 6),
        output_usd_per_1m=None if info.output_usd_per_1m is None else round(info.output_usd_per_1m, 6),
        price_source=info.price_source,
    )


def catalog_entry(conn: Connection, model: str, override: PriceOverride | None) -> CatalogEntry:
    """The catalog row of one model on one connection (see :func:`get_catalog`)."""
    return _entry(conn, model, model_info(conn.provider, model, override))


def has_known_price(*, actor: Actor, connection_id: str, model: str, session: Session) -> bool:
    """Whether ``model`` on the workspace's connection has a known price (LiteLLM's map or an override).

    A dollar budget only binds priced models (the gateway refuses calls to an unpriced model
    while a dollar budget applies); the UI asks this before accepting a dollar budget, and
    offers to set a price or a token cap instead.

    Args:
        actor: Any member of the workspace.
        connection_id: One of the workspace's connections.
        model: The provider's model id, e.g. ``"gpt-4o-mini"``.

    Raises:
        NotFound: the connection is not the workspace's (or its provider is unknown).
        PermissionDenied: the actor is not a member of the workspace.
    """
    require_member(actor, session)
    conn = session.get(Connection, connection_id)
    if conn is None or conn.workspace_id != actor.workspace_id or conn.provider not in PROVIDERS:
        raise NotFound("Connection not found.")
    if not model.strip():
        return False
    override = load_overrides(session, [conn.id]).get((conn.id, model.strip()))
    return model_info(conn.provider, model.strip(), override).priced


def get_catalog(*, actor: Actor, session: Session) -> list[CatalogEntry]:
    """Models reachable through the workspace's connections, with limits and prices.

    A connection contributes the models its last test listed (else its provider's example
    models) plus every model that has an override on it. Sorted by connection name, then model.

    Returns:
        ``CatalogEntry`` rows; prices in USD per 1M tokens (None if unknown), context window in
        tokens (None if unknown).

    Raises:
        PermissionDenied: the actor is not a member of the workspace.
    """
    permissions.require(actor, permissions.CONNECTIONS_VIEW, session)
    conns = session.exec(
        select(Connection).where(Connection.workspace_id == actor.workspace_id).order_by(col(Connection.name))
    ).all()
    overrides = load_overrides(session, [c.id for c in conns])
    entries: list[CatalogEntry] = []
    for conn in conns:
        if conn.provider not in PROVIDERS:
            continue
        models = list(conn.models or []) or list(get_provider(conn.provider).example_models)
        models += [m for (cid, m) in overrides if cid == conn.id and m not in models]
        for model in sorted(set(models)):
            entries.append(catalog_entry(conn, model, overrides.get((conn.id, model))))
    return entries
