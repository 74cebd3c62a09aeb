"""Reflex configuration. The app module is ``dashboard.app``; ports come from the command line."""

import os

import reflex as rx

from backend.config import Settings

# One websocket message must carry the largest text the app accepts (knowledge text: the upload
# cap; OpenAPI documents: 2 MB) plus its JSON envelope; Reflex's default of 1 MB dropped the
# socket silently on a bigger paste. Workers start with "spawn": LanceDB (imported with the app)
# is not fork-safe, and a forked worker could deadlock in its runtime.
os.environ.setdefault("REFLEX_SOCKET_MAX_HTTP_BUFFER_SIZE", str(Settings().max_upload_bytes + 1_000_000))
os.environ.setdefault("REFLEX_BACKEND_START_METHOD", "spawn")

config = rx.Config(
    app_name="dashboard",
    app_module_import="dashboard.app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    state_manager_mode="redis" if os.environ.get("REDIS_URL") else "memory",
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
)
