"""State of the agent's "Limits & budgets" card on ``/agents/<id>``: its budgets and rate limits.

Kept apart from the blueprint form: limits are not versioned with the blueprint and apply at
once. The card loads itself when it mounts, for the agent the builder shows.
"""

from __future__ import annotations

import reflex as rx

from backend.accounts.actor import PermissionDenied
from dashboard.limits.state import LimitsMixin
from dashboard.shell.auth import signed_in


class AgentLimitsState(LimitsMixin, rx.State):
    """Budgets and rate limits whose scope is the agent open in the builder."""

    agent_id: str = ""

    def _limits_filter(self) -> tuple[str | None, str | None]:
        return "agent", self.agent_id

    def _budget_target(self) -> str:
        return f"agent:{self.agent_id}"

    def _rate_target(self) -> str:
        return f"agent:{self.agent_id}"

    @rx.event
    async def load(self, agent_id: str):  # type: ignore[no-untyped-def]
        """On mount: the budgets and rate limits of the agent ``agent_id``."""
        actor = await signed_in(self)
        self._clear_limit_errors()
        self.agent_id = agent_id
        self.budgets, self.rate_limits, self.limits_loaded = [], [], False
        if not agent_id or agent_id == "new":
            return None
        try:
            await self._refresh_limits(actor)
        except PermissionDenied as exc:
            self.limits_error = str(exc)
        self.limits_loaded = True
        return None
