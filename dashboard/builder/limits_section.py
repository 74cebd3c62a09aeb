"""The agent's "Limits & budgets" card on ``/agents/<id>`` (the shared card of ``dashboard.limits``)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.limits_state import AgentLimitsState
from dashboard.limits.card import CardText, limits_card

L: Any = AgentLimitsState  # class attributes are Vars at render time
_TEXT = CardText(
    prefix="agent",
    intro="Applies immediately, not part of versions: every conversation with this agent, from now on.",
    budgets_empty="No budget on this agent. Workspace budgets still apply (Settings).",
    rates_empty="No rate limit on this agent.",
    rates_heading="Rate limit",
)


def limits_section(agent_id: Any) -> rx.Component:
    """Budgets (spend this period vs cap) and the rate limit of this agent, with forms to set them.

    Args:
        agent_id: Var of the agent's id; the card re-mounts (and reloads) when it changes.
    """
    return limits_card(L, _TEXT, key=agent_id, on_mount=L.load(agent_id))
