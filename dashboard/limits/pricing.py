"""Honest dollar budgets: which models a budget would meet that have no known price, and saving
their prices on the connections' model catalogs.

A model without a price (a custom OpenAI-compatible endpoint LiteLLM does not know) cannot be
held against a dollar budget: the gateway refuses its calls while one applies
(``backend.gateway.refusals``). Before such a budget is set the card asks for the
price (saved as the connection's price override, as the connection manager does) or offers a
token cap instead. Stateless and synchronous: call these in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.accounts import permissions
from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.agents.service import list_agents
from backend.blueprints import get_blueprint
from backend.connections.service import list_connections
from backend.db import session_scope
from backend.gateway.admin import apply_change, set_model_override
from backend.gateway.catalog import load_overrides, model_info
from dashboard.limits.rows import split_scope
from dashboard.shell.forms import parse_number


@dataclass
class UnpricedModel:
    """A model some agent runs that has no known price.

    Attributes:
        connection_id: The connection the model is reached through.
        model: The model id as the endpoint names it.
        label: ``"test-model on “Local test server” (agent “Helper”)"``.
        field: Prefix of this model's price inputs in the prompt form (``"price-0"``).
    """

    connection_id: str = ""
    model: str = ""
    label: str = ""
    field: str = ""


def _agent_models(actor: Actor, target: str, session: Any) -> list[tuple[str, str, str]]:
    """``(connection id, model, agent name)`` of every model the budget's scope can run."""
    scope, scope_id = split_scope(target)
    ids = [scope_id] if scope == "agent" else [a.id for a in list_agents(actor=actor, session=session)]
    pairs: list[tuple[str, str, str]] = []
    for agent_id in ids:
        try:
            bp = get_blueprint(actor=actor, agent_id=agent_id, session=session)
        except (NotFound, PermissionDenied):
            continue
        tried = [{"connection_id": bp.connection_id or "", "model": bp.model}, *(bp.fallbacks or [])]
        pairs += [(str(f.get("connection_id") or ""), str(f.get("model") or ""), bp.name) for f in tried]
    return pairs


def unpriced_models(actor: Actor, target: str) -> list[UnpricedModel]:
    """The models a budget on ``target`` (``"<scope>:<scope id>"``) would meet without a price.

    An agent's scope covers its model and fallbacks; the workspace and an end user cover every
    agent of the workspace. Each (connection, model) is listed once.

    Raises:
        PermissionDenied: the actor is not a member of the workspace.
    """
    with session_scope() as session:
        pairs = _agent_models(actor, target, session)
        viewable = permissions.can(actor, permissions.CONNECTIONS_VIEW, session)  # viewers see no connections
        conns = {c.id: c for c in list_connections(actor=actor, session=session)} if viewable else {}
        overrides = load_overrides(session, [cid for cid, _, _ in pairs if cid in conns])
    found: dict[tuple[str, str], UnpricedModel] = {}
    for cid, model, agent in pairs:
        conn = conns.get(cid)
        if conn is None or not model or (cid, model) in found:
            continue
        try:
            info = model_info(conn.provider, model, overrides.get((cid, model)))
        except ValueError:  # an unknown provider: its calls fail before any cost
            continue
        if not info.priced:
            label = f"{model} on “{conn.name}” (agent “{agent}”)"
            found[(cid, model)] = UnpricedModel(cid, model, label, f"price-{len(found)}")
    return list(found.values())


def _override(actor: Actor, m: UnpricedModel, price_in: float | None, price_out: float | None) -> Any:
    def change(session: Any) -> object:
        return set_model_override(
            actor=actor,
            connection_id=m.connection_id,
            model=m.model,
            input_usd_per_1m=price_in,
            output_usd_per_1m=price_out,
            session=session,
        )

    return change


def save_prices(actor: Actor, models: list[UnpricedModel], form: dict[str, Any]) -> str:
    """Save the prices typed for ``models`` (``<field>-in`` / ``<field>-out``, USD per 1M tokens).

    Returns:
        ``""`` when every price was saved, else one message naming the model and the problem
        (prices saved before it stay saved).
    """
    for m in models:
        errors: dict[str, str] = {}
        price_in = parse_number(form, f"{m.field}-in", float, "Enter a price in USD, e.g. 0.15.", errors)
        price_out = parse_number(form, f"{m.field}-out", float, "Enter a price in USD, e.g. 0.60.", errors)
        if not errors and (price_in is None or price_out is None):
            errors["form"] = "Enter both prices (0 for a free model)."
        if not errors:
            errors = apply_change(_override(actor, m, price_in, price_out))
        if errors:
            return f"{m.model}: {next(iter(errors.values()))}"
    return ""
