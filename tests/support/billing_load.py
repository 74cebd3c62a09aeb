"""A subscriber's runs with the billing worker running in the same process (the crash test
kills it with SIGKILL mid-way).

    python -m tests.support.billing_load USER_ID LISTING_ID COUNT

Runs COUNT subscriber runs of the listing's agent through the real run path (10 per
conversation) while a thread claims the billing outbox in small batches, like the app's
in-process worker; prints ``run <n>`` after each run and ``done`` once the outbox is empty.
Uses the database and data dir of the environment (``DATABASE_URL``, ``AGENTHUB_DATA_DIR``).
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def _worker(stop: threading.Event) -> None:
    from billing.outbox import process_outbox

    while not stop.is_set():
        if process_outbox(limit=5) == 0:
            time.sleep(0.02)


async def _runs(user_id: str, listing_id: str, count: int) -> None:
    from backend.accounts.actor import Actor
    from backend.db import session_scope
    from backend.models import Listing
    from backend.runtime.run import run_agent
    from marketplace.subscriptions import start_conversation, subscriber_principal

    with session_scope() as s:
        listing = s.get(Listing, listing_id)
        assert listing is not None
        actor = Actor(user_id=user_id, workspace_id=listing.workspace_id)
    conversation = ""
    for n in range(count):
        with session_scope() as s:
            principal = subscriber_principal(actor=actor, listing_id=listing_id, session=s)
            if n % 10 == 0:
                conversation = start_conversation(actor=actor, listing_id=listing_id, session=s).id
        async for _event in run_agent(principal=principal, conversation_id=conversation, user_text=f"Run {n}"):
            pass
        print(f"run {n}", flush=True)


def main(user_id: str, listing_id: str, count: str) -> None:
    from billing.outbox import process_pending

    stop = threading.Event()
    thread = threading.Thread(target=_worker, args=(stop,), daemon=True)
    thread.start()
    asyncio.run(_runs(user_id, listing_id, int(count)))
    stop.set()
    thread.join(30)
    process_pending()
    print("done", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
