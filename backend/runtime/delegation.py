"""Agents as tools ("ask <agent>"): an agent's ``delegates`` become tools the model can call.

A delegate is another agent of the same workspace; its tool is named ``ask_agent_<first 12
characters of its id>`` with the title "Ask <name>" and one ``question`` argument. The runtime
runs the delegate's current blueprint as a read-only executor (see ``backend.runtime.loop``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from backend.blueprints import MAX_DELEGATES, current_blueprints
from backend.db import session_scope
from backend.models import BlueprintVersion

MAX_DEPTH = 3
"""Delegated runs nest at most 3 deep: a run at depth 3 is offered no "ask" tools."""
ASK_PREFIX = "ask_agent_"
ASK_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"question": {"type": "string", "description": "The full question or task, self-contained."}},
    "required": ["question"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Delegate:
    """An agent offered as a tool."""

    tool_name: str
    agent_id: str
    name: str
    description: str

    @property
    def title(self) -> str:
        """The step title, e.g. ``"Ask Research bot"``."""
        return f"Ask {self.name}"

    def openai_spec(self) -> dict[str, Any]:
        """The ``tools=`` entry for this delegate."""
        about = f" ({self.description})" if self.description else ""
        return {
            "type": "function",
            "function": {
                "name": self.tool_name,
                "description": f"Ask the agent {self.name}{about} and get its answer.",
                "parameters": ASK_PARAMETERS,
            },
        }


def ask_tool_name(agent_id: str) -> str:
    """``ask_agent_<first 12 characters of the id>``."""
    return ASK_PREFIX + agent_id[:12].lower()


def load_delegates(agent_ids: Sequence[str], *, workspace_id: str, self_id: str) -> dict[str, Delegate]:
    """The delegates that still exist in the workspace (not the agent itself), by tool name."""
    ids = [a for a in dict.fromkeys(agent_ids) if a != self_id][:MAX_DELEGATES]
    if not ids:
        return {}
    with session_scope() as session:
        found = current_blueprints(session, ids, workspace_id)
    out: dict[str, Delegate] = {}
    for agent_id in ids:
        bp = found.get(agent_id)
        if bp is not None:
            out[ask_tool_name(agent_id)] = Delegate(ask_tool_name(agent_id), agent_id, bp.name, bp.description)
    return out


def delegate_blueprint(agent_id: str, *, workspace_id: str) -> BlueprintVersion | None:
    """The current blueprint of a delegate of the workspace, or None if it is gone."""
    with session_scope() as session:
        return current_blueprints(session, [agent_id], workspace_id).get(agent_id)
