"""Graceful stop of an app process (SIGTERM): replies in flight finish, or are stopped and recorded.

On SIGTERM the server (Granian: ``dashboard.serve`` or ``reflex run``) stops accepting connections,
closes the open websockets (browsers reconnect to another instance through the load balancer) and
runs the app's lifespan shutdown, where Reflex's event processor stops every event handler still
running. By default it cancels them at once; :func:`graceful_stop` gives them
``AGENTHUB_SHUTDOWN_GRACE_S`` (20 s) to finish first. A chat reply still streaming then is
cancelled: its run generator is closed, which stores the partial answer and marks the run
``cancelled`` with the usage received (``backend.runtime.run``), as the Stop button does.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from backend.config import get_settings

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def graceful_stop(app: Any) -> AsyncIterator[None]:
    """Lifespan task (register after Reflex's own, i.e. after creating the app): sets the grace
    period of the app's event processor, and logs the stop.

    Args:
        app: The ``rx.App`` (Reflex passes it by parameter name).
    """
    grace = get_settings().shutdown_grace_s
    app.event_processor.graceful_shutdown_timeout = grace
    yield
    running = len(getattr(app.event_processor, "_tasks", ()))
    log.info("stopping: %d event handler(s) running get up to %.0f s to finish", running, grace)
