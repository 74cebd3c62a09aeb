"""The "Embedding model" section of ``/settings`` (its state: ``embeddings_state``)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.settings.embeddings_state import EmbeddingsState
from dashboard.shell.forms import banner, labelled, text_field

MUTED = "var(--gray-11)"

E: Any = EmbeddingsState


def _status() -> rx.Component:
    reembedding = rx.vstack(
        rx.hstack(
            rx.spinner(size="1"),
            rx.text(
                "Re-embedding: " + E.done.to_string() + " of " + E.total.to_string() + " passages and memories",
                size="2",
            ),
            rx.spacer(),
            rx.text(E.percent.to_string() + "%", size="2", weight="medium"),
            align="center",
            width="100%",
        ),
        rx.progress(value=E.percent, max=100, aria_label="Re-embedding progress", width="100%"),
        rx.text("Search keeps working meanwhile, with the previous method.", size="1", color=MUTED),
        spacing="1",
        width="100%",
        role="status",
        aria_live="polite",
    )
    current = rx.cond(
        E.mode == "hybrid",
        rx.badge("hybrid (model " + E.model + ")", color_scheme="green", size="2"),
        rx.badge("keyword mode", color_scheme="gray", size="2"),
    )
    failed = rx.cond(
        E.status == "failed",
        rx.callout("Re-embedding failed: " + E.status_error, icon="triangle_alert", color_scheme="red", role="alert"),
    )
    return rx.vstack(
        rx.hstack(rx.text("Now:", size="2", color=MUTED), current, spacing="2", align="center"),
        rx.cond(E.status == "reembedding", reembedding),
        failed,
        spacing="2",
        width="100%",
    )


def _form() -> rx.Component:
    select = rx.select.root(
        rx.select.trigger(id="embedding-connection", placeholder="Choose a connection", width="100%"),
        rx.select.content(rx.foreach(E.connections, lambda c: rx.select.item(c.label, value=c.id))),
        value=E.connection_id,
        on_change=E.set_connection,
        disabled=E.connections.length() == 0,
    )
    return rx.form(
        rx.vstack(
            rx.hstack(
                labelled("Embedding connection", select, "embedding-connection", error=E.connection_error),
                text_field(
                    "Embedding model",
                    "embedding_model",
                    default_value=E.model,
                    placeholder="e.g. text-embedding-3-small",
                    max_length=200,
                    auto_complete="off",
                    error=E.model_error,
                ),
                spacing="4",
                width="100%",
                align="start",
            ),
            rx.cond(
                E.connections.length() == 0,
                rx.text("No connections yet — ", rx.link("add one", href="/connections"), " first.", size="1"),
            ),
            rx.hstack(
                rx.button("Save embedding model", type="submit", loading=E.saving),
                rx.cond(
                    (E.mode == "hybrid") | (E.status != "ready"),
                    rx.button(
                        "Use keyword mode", type="button", variant="soft", color_scheme="gray", on_click=E.use_keywords
                    ),
                ),  # fmt: skip
                spacing="3",
            ),
            spacing="3",
            width="100%",
        ),
        key=E.form_key,
        on_submit=E.save,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def embeddings_panel() -> rx.Component:
    """The workspace's embedding model: keyword or hybrid mode, choose a model, re-embedding progress."""
    body = rx.cond(
        E.loaded,
        rx.vstack(
            _status(),
            rx.cond(
                E.can_manage,
                _form(),
                rx.text(
                    "Only the workspace's owners and admins can change the embedding model.", size="2", color=MUTED
                ),
            ),  # fmt: skip
            spacing="4",
            width="100%",
        ),
        rx.hstack(rx.spinner(), rx.text("Loading…", size="2"), spacing="2"),
    )
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.heading("Embedding model", size="4", as_="h2", id="embeddings-heading"),
                rx.text(
                    "Knowledge and memories are always searched by words (keyword mode). With an embedding model "
                    "they are also searched by meaning (hybrid), which finds passages phrased differently.",
                    size="2",
                    color=MUTED,
                ),
                banner(E.error),
                banner(E.notice, kind="success"),
                body,
                spacing="3",
                width="100%",
            ),
            aria_labelledby="embeddings-heading",
        ),
        on_mount=E.load,
        on_unmount=E.leave,
        width="100%",
    )
