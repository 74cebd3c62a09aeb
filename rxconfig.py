"""Reflex configuration. The app module is ``dashboard.app``; ports come from the command line."""

import os

import reflex as rx

config = rx.Config(
    app_name="dashboard",
    app_module_import="dashboard.app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    state_manager_mode="redis" if os.environ.get("REDIS_URL") else "memory",
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
)
