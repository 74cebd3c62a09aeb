"""Run one agent turn in its own process (crash tests kill it mid-stream).

    python -m tests.support.run_turn USER_ID WORKSPACE_ID CONVERSATION_ID "message"

Uses the database and data dir of the environment (``DATABASE_URL``, ``AGENTHUB_DATA_DIR``);
prints one line per run event.
"""

from __future__ import annotations

import asyncio
import os
import sys

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


async def _turn(user_id: str, workspace_id: str, conversation_id: str, text: str) -> None:
    from backend.accounts.actor import Actor
    from backend.runtime.run import run_agent
    from tests.support.principal import for_conversation

    actor = Actor(user_id=user_id, workspace_id=workspace_id)
    principal = for_conversation(actor, conversation_id)
    async for event in run_agent(principal=principal, conversation_id=conversation_id, user_text=text):
        print(type(event).__name__, flush=True)


if __name__ == "__main__":
    asyncio.run(_turn(*sys.argv[1:5]))
