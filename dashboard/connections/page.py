"""Connection manager page (``/connections``): add, list, rename, delete and test connections."""

from __future__ import annotations

import reflex as rx

from backend.connections.providers import PROVIDERS
from dashboard.connections.components import MUTED, connection_row, hint
from dashboard.connections.price_state import PriceState
from dashboard.connections.state import LOCAL_BASE_URL_EXAMPLE, ConnectionsState
from dashboard.shell.auth import allowed
from dashboard.shell.forms import banner, labelled, text_field
from dashboard.shell.layout import page

__all__ = ["ConnectionsState", "connections_page"]

S = ConnectionsState


def provider_select() -> rx.Component:
    """The labelled Provider select of the add form (value = provider id)."""
    control = rx.select.root(
        rx.select.trigger(id="conn_provider", width="100%"),
        rx.select.content(*[rx.select.item(p.label, value=p.id) for p in PROVIDERS.values()]),
        value=S.provider,
        on_change=S.set_provider,
    )
    return labelled("Provider", control, "conn_provider", error=S.provider_error)


def add_form() -> rx.Component:
    """The "Add a connection" card: provider, name, key, base URL (endpoints only)."""
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Add a connection", size="4", as_="h2"),
                rx.grid(
                    provider_select(),
                    text_field(
                        "Name",
                        "conn_name",
                        placeholder=rx.cond(S.provider_needs_base_url, "e.g. Local LLM", "e.g. OpenAI (team)"),
                        max_length=80,
                        error=S.name_error,
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="4",
                    width="100%",
                ),
                rx.cond(
                    S.provider_needs_base_url,
                    text_field(
                        "Base URL",
                        "conn_base_url",
                        type="url",
                        placeholder=LOCAL_BASE_URL_EXAMPLE,
                        error=S.base_url_error,
                        hint="Ollama, vLLM, llama.cpp, LM Studio or any OpenAI-compatible server; usually ends in /v1.",
                    ),
                    rx.fragment(),
                ),
                rx.vstack(
                    text_field(
                        "API key",
                        "conn_api_key",
                        type="password",
                        auto_complete="off",
                        spell_check=False,
                        placeholder=rx.cond(S.provider_needs_key, "Paste your API key", "Optional"),
                        error=S.api_key_error,
                    ),
                    hint(S.provider_key_hint),
                    hint("Stored encrypted; after saving only a masked hint like sk-…a1b2 is shown."),
                    spacing="1",
                    width="100%",
                ),
                rx.hstack(
                    rx.button("Save connection", type="submit"),
                    rx.button("Cancel", type="button", variant="soft", color_scheme="gray", on_click=S.close_add),
                    spacing="2",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=S.save_new,
            aria_label="Add a connection",
            width="100%",
        ),
        width="100%",
    )


def empty_state() -> rx.Component:
    """Shown when the workspace has no connections."""
    return rx.card(
        rx.vstack(
            rx.icon("plug", size=32, color="var(--gray-11)"),
            rx.heading("No connections yet", size="4", as_="h2"),
            rx.text(
                "Add a key for OpenAI, Anthropic, DeepSeek, Google Gemini, Mistral, Groq or OpenRouter, "
                "or point at a local OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp, LM Studio). "
                "Your agents use these connections to talk to models.",
                size="2",
                color=MUTED,
                text_align="center",
                max_width="560px",
            ),
            rx.cond(
                allowed("connections.manage"),
                rx.button(rx.icon("plus", size=16), "Add your first connection", on_click=S.open_add),
                rx.text("Ask an owner or admin of the workspace to add one.", size="2", color=MUTED),
            ),
            align="center",
            spacing="3",
            padding="24px",
        ),
        width="100%",
    )


def connections_page() -> rx.Component:
    """``/connections``: the workspace's provider connections."""
    return page(
        "Connections",
        rx.text(
            "Connect the LLM providers your agents use. Keys are encrypted at rest; only a masked hint is ever shown.",
            size="2",
            color="var(--gray-11)",
        ),
        banner(S.page_error),
        banner(S.notice, kind="success"),
        rx.cond(S.adding, add_form(), rx.fragment()),
        rx.cond(
            S.loaded,
            rx.cond(
                S.rows.length() > 0,  # type: ignore[attr-defined]
                rx.vstack(
                    rx.foreach(S.rows, connection_row),
                    spacing="3",
                    width="100%",
                    on_mount=PriceState.close_form,  # no price form left open from an earlier visit
                ),
                rx.cond(S.adding, rx.fragment(), empty_state()),
            ),
            rx.center(
                rx.spinner(size="3"),
                rx.text("Loading connections…", size="2"),
                width="100%",
                padding="32px",
                spacing="2",
            ),
        ),
        actions=rx.cond(
            allowed("connections.manage"),
            rx.button(rx.icon("plus", size=16), "Add connection", on_click=S.open_add),
            rx.fragment(),
        ),
    )
