"""Reflex configuration. The app module is ``dashboard.app``; ports come from the command line.

``REDIS_URL`` (the project's one Redis setting) also configures Reflex: state moves to Redis, so
several backend workers or app instances share every user's session (``REFLEX_REDIS_URL`` is set
from it; an explicit ``REFLEX_REDIS_URL`` wins). Without it state stays in process memory, which
only works with one backend worker: ``GRANIAN_WORKERS`` above 1 without Redis refuses to start.
``AGENTHUB_PUBLIC_URL`` (the load balancer's origin) becomes Reflex's ``api_url``.
"""

import os

import reflex as rx

from backend.config import Settings

_settings = Settings()
# One websocket message must carry the largest text the app accepts (knowledge text: the upload
# cap; OpenAPI documents: 2 MB) plus its JSON envelope; Reflex's default of 1 MB dropped the
# socket silently on a bigger paste. Workers start with "spawn": LanceDB (imported with the app)
# is not fork-safe, and a forked worker could deadlock in its runtime.
os.environ.setdefault("REFLEX_SOCKET_MAX_HTTP_BUFFER_SIZE", str(_settings.max_upload_bytes + 1_000_000))
os.environ.setdefault("REFLEX_BACKEND_START_METHOD", "spawn")

_redis_url = os.environ.get("REFLEX_REDIS_URL") or _settings.redis_url or None
if _redis_url:
    os.environ["REFLEX_REDIS_URL"] = _redis_url  # Reflex reads it from the environment in every worker
elif os.environ.get("GRANIAN_WORKERS", "1").strip() not in ("", "0", "1"):
    raise SystemExit(
        "REDIS_URL is required when GRANIAN_WORKERS is above 1: each backend worker would keep its own "
        "copy of every user's session. Set REDIS_URL=redis://host:6379/0, or GRANIAN_WORKERS=1."
    )

# Behind a load balancer the browser must reach the backend through the public origin, not the
# instance's own port: the front end's event/upload URLs are built from ``api_url``.
_public = {"api_url": _settings.public_url.rstrip("/")} if _settings.public_url else {}

config = rx.Config(
    **_public,
    app_name="dashboard",
    app_module_import="dashboard.app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    state_manager_mode="redis" if _redis_url else "memory",
    redis_url=_redis_url,
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
)
