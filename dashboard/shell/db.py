"""Database work from event handlers, off the event loop.

One event loop serves every user of a Reflex process: a handler that queried the database on
it would make every other user's clicks and streams wait. :func:`in_session` runs the work in a
worker thread, in one transaction (``backend.db.session_scope``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from backend.db import session_scope

T = TypeVar("T")


async def in_session(work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` in a worker thread inside one transaction; return its result.

    Raises:
        Whatever ``work`` raises (the transaction is rolled back).
    """

    def run() -> T:
        with session_scope() as session:
            return work(session)

    return await asyncio.to_thread(run)
