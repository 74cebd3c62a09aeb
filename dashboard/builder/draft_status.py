"""The agent page's draft status (header badge), shared by the builder's cards.

Every card that writes to the agent's draft (the form, the Tools card) sets it after the write,
so the header says "Draft — unsaved changes" or "v4 (saved)".
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.accounts.actor import Actor
from backend.agents.drafts import has_unsaved_changes, update_draft
from dashboard.shell.db import in_session


async def write_draft(actor: Actor, agent_id: str, changes: dict[str, Any]) -> tuple[dict[str, str], bool]:
    """Store ``changes`` in the agent's draft (in a worker thread).

    Returns:
        The draft's ``{field: message}`` errors and whether it now differs from the current version.

    Raises:
        NotFound, PermissionDenied: the agent is gone or not the actor's.
    """

    def work(session: Any) -> tuple[dict[str, str], bool]:
        errors = update_draft(actor=actor, agent_id=agent_id, changes=changes, session=session)
        return errors, has_unsaved_changes(actor=actor, agent_id=agent_id, session=session)

    return await in_session(work)


class DraftStatus(rx.State):
    """Whether the open agent's draft has changes that are not in a version yet."""

    dirty: bool = False
    version: int = 0

    @rx.var
    def label(self) -> str:
        """``"Draft — unsaved changes"`` or ``"v4 (saved)"``."""
        return "Draft — unsaved changes" if self.dirty else f"v{self.version} (saved)"
