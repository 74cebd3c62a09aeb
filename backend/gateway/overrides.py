"""Price and context-window overrides of a connection's models (the catalog in the connection
manager): owners and admins set what LiteLLM does not know for a custom endpoint. Public through
``backend.gateway.admin``.
"""

from __future__ import annotations

from sqlmodel import Session, select

from backend.accounts import audit, permissions
from backend.accounts.actor import Actor, NotFound
from backend.errors import LimitInputError
from backend.gateway.catalog import catalog_entry
from backend.models import Connection
from backend.models.common import utcnow
from backend.models.gateway import CatalogEntry, ModelOverride


def _audit(session: Session, actor: Actor, action: str, target_id: str, summary: str) -> None:
    audit.record(
        session, actor=actor, action=f"limits.{action}", target_kind="limit", target_id=target_id, summary=summary
    )


def _connection(actor: Actor, connection_id: str, session: Session) -> Connection:
    conn = session.get(Connection, connection_id)
    if conn is None or conn.workspace_id != actor.workspace_id:
        raise NotFound("Connection not found.")
    return conn


def set_model_override(
    *,
    actor: Actor,
    connection_id: str,
    model: str,
    input_usd_per_1m: float | None,
    output_usd_per_1m: float | None,
    context_window: int | None = None,
    session: Session,
) -> CatalogEntry:
    """Set a model's prices and/or context window on one connection (custom endpoints).

    Args:
        actor: An owner or admin of the workspace.
        connection_id: The connection.
        model: The model id as the endpoint names it.
        input_usd_per_1m, output_usd_per_1m: USD per 1M tokens (>= 0; 0 = free), both or neither.
        context_window: Input tokens the model accepts (> 0), or None to keep LiteLLM's value.

    Returns:
        The model's catalog entry with the override applied.

    Raises:
        LimitInputError, NotFound, PermissionDenied.
    """
    permissions.require(actor, permissions.LIMITS_MANAGE, session)
    conn = _connection(actor, connection_id, session)
    model = model.strip()
    errors: dict[str, str] = {}
    if not model or len(model) > 200:
        errors["model"] = "Enter the model name (at most 200 characters)."
    if (input_usd_per_1m is None) != (output_usd_per_1m is None):
        errors["input_usd_per_1m"] = "Enter both the input and the output price, or neither."
    for name, value in (("input_usd_per_1m", input_usd_per_1m), ("output_usd_per_1m", output_usd_per_1m)):
        if value is not None and not 0 <= value <= 100_000:
            errors[name] = "Prices are between $0 and $100,000 per million tokens."
    if context_window is not None and not 0 < context_window <= 100_000_000:
        errors["context_window"] = "Enter the context window in tokens."
    if errors:
        raise LimitInputError(errors)
    row = session.exec(
        select(ModelOverride).where(ModelOverride.connection_id == conn.id, ModelOverride.model == model)
    ).first()
    row = row or ModelOverride(connection_id=conn.id, model=model)
    row.input_usd_per_1m, row.output_usd_per_1m = input_usd_per_1m, output_usd_per_1m
    row.context_window, row.updated_at = context_window, utcnow()
    session.add(row)
    session.flush()
    _audit(session, actor, "price_set", conn.id, f"Set prices of {model} on {conn.name}")
    return catalog_entry(conn, model, row)


def delete_model_override(*, actor: Actor, connection_id: str, model: str, session: Session) -> None:
    """Remove a model's override (LiteLLM's values apply again). Raises NotFound, PermissionDenied."""
    permissions.require(actor, permissions.LIMITS_MANAGE, session)
    conn = _connection(actor, connection_id, session)
    row = session.exec(
        select(ModelOverride).where(ModelOverride.connection_id == conn.id, ModelOverride.model == model.strip())
    ).first()
    if row is None:
        raise NotFound("No override for that model.")
    _audit(session, actor, "price_deleted", conn.id, f"Removed the price override of {row.model} on {conn.name}")
    session.delete(row)
    session.flush()
