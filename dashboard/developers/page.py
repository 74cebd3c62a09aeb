"""Developers page (``/developers``): API keys (create, shown once, revoke), how to call the API,
and the embed widget's snippet."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.developers.state import EXPIRY_CHOICES, DevelopersState, KeyRow
from dashboard.shell.forms import banner, confirm_delete, field_error, labelled, text_field
from dashboard.shell.layout import loaded_for_this_visit, page

__all__ = ["DevelopersState", "developers_page"]

S = DevelopersState
MUTED = "var(--gray-11)"


def _code(text: rx.Var | str, label: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(label, weight="medium", size="2"),
            rx.spacer(),
            rx.button(
                rx.icon("copy", size=14), "Copy", size="1", variant="soft", on_click=rx.set_clipboard(text),
                aria_label=f"Copy {label}",
            ),
            width="100%",
        ),
        rx.code_block(text, language="bash", width="100%", wrap_long_lines=True),
        width="100%",
        spacing="1",
    )  # fmt: skip


def _select(label: str, control_id: str, value: Any, on_change: Any, items: rx.Component, error: Any) -> rx.Component:
    control = rx.select.root(
        rx.select.trigger(id=control_id, width="100%"), rx.select.content(items), value=value, on_change=on_change
    )
    return labelled(label, control, control_id, error=error)


def create_form() -> rx.Component:
    """The "Create an API key" card."""
    kinds = rx.fragment(
        rx.select.item("Secret (server-side)", value="secret"),
        rx.select.item("Publishable (website widget)", value="publishable"),
    )
    targets = rx.foreach(S.shown_targets, lambda t: rx.select.item(t.label, value=t.value))
    expiry = rx.fragment(*[rx.select.item(label, value=value) for value, label in EXPIRY_CHOICES])
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Create an API key", size="4", as_="h2"),
                rx.grid(
                    text_field(
                        "Name", "key_name", placeholder="e.g. Billing backend", max_length=80, error=S.name_error
                    ),
                    _select("Kind", "key_kind", S.kind, S.set_kind, kinds, S.kind_error),
                    _select("Can use", "key_scope", S.target, S.set_target, targets, S.scope_error),
                    _select("Expires", "key_expires", S.expiry, S.set_expiry, expiry, S.expiry_error),
                    text_field(
                        "Requests per minute (this key)", "key_rpm", input_mode="numeric", placeholder="No limit",
                        error=S.rpm_error,
                    ),
                    text_field(
                        "Monthly budget, USD (this key)", "key_budget", input_mode="decimal", placeholder="No budget",
                        error=S.budget_error,
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="4",
                    width="100%",
                ),
                rx.cond(
                    S.kind == "publishable",
                    text_field(
                        "Allowed websites", "key_origins", placeholder="https://www.example.com",
                        hint="Origins the widget may run on, comma-separated. Other sites get 403.",
                        error=S.origins_error,
                    ),
                    rx.fragment(),
                ),
                field_error(S.form_error),
                rx.button("Create key", type="submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.create,
            reset_on_submit=False,
        ),
        width="100%",
    )  # fmt: skip


def new_key_notice() -> rx.Component:
    """The key just created, shown once, with ready-to-run snippets."""
    return rx.cond(
        S.new_secret != "",
        rx.callout.root(
            rx.vstack(
                rx.text("Copy your new key now: it is shown only once.", weight="bold"),
                _code(S.new_secret, "API key"),
                rx.cond(
                    S.new_kind == "publishable",
                    _code(S.widget_code, "Embed snippet"),
                    rx.vstack(_code(S.curl_snippet, "curl"), _code(S.python_snippet, "Python (openai)"), width="100%"),
                ),
                rx.button("I have copied it", variant="soft", on_click=S.dismiss_secret),
                width="100%",
                spacing="2",
            ),
            color_scheme="green",
            role="status",
            width="100%",
        ),
        rx.fragment(),
    )


def key_row(row: KeyRow) -> rx.Component:
    """One key: name, prefix, what it can use, limits, dates, status and Revoke."""
    revoke = confirm_delete(
        rx.button("Revoke", size="1", variant="soft", color_scheme="red", aria_label="Revoke " + row.name),
        "Revoke “" + row.name + "”?",
        "Programs using this key stop working at once. This cannot be undone.",
        S.revoke(row.id),  # type: ignore[operator]
    )
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(row.name, weight="medium"), rx.code(row.prefix), spacing="1")),
        rx.table.cell(
            rx.vstack(
                rx.text(row.scope_label), rx.text(row.kind + " · " + row.limits, size="1", color=MUTED), spacing="1"
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text("Created " + row.created, size="1"),
                rx.text("Expires " + row.expires, size="1"),
                rx.text("Last used " + row.last_used, size="1"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.badge(row.status, color_scheme=rx.match(row.status, ("Active", "green"), "gray"))),
        rx.table.cell(rx.cond(row.status == "Active", revoke, rx.fragment())),
    )  # fmt: skip


def keys_table() -> rx.Component:
    """The keys, or an empty state."""
    return rx.cond(
        S.rows.length() > 0,  # type: ignore[attr-defined]
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[rx.table.column_header_cell(h) for h in ("Key", "Can use", "Dates", "Status", "")],
                )
            ),
            rx.table.body(rx.foreach(S.rows, key_row)),
            width="100%",
            aria_label="API keys",
        ),
        rx.text("No API keys yet. Create one above to call your agents from code.", color=MUTED),
    )


def how_to() -> rx.Component:
    """Where the API lives and how to call it."""
    return rx.card(
        rx.vstack(
            rx.heading("Call your agents", size="4", as_="h2"),
            rx.text(
                "The API speaks OpenAI's chat completions: point any OpenAI client at the base URL below and use an "
                "agent's model id as model.",
                size="2",
            ),
            rx.hstack(rx.text("Base URL", weight="medium", size="2"), rx.code(S.base_url + "/api/v1"), align="center"),
            rx.link("Browse the API reference", href="/api/v1/docs", is_external=True),
            rx.heading("Model ids", size="3", as_="h3"),
            rx.foreach(
                S.targets,
                lambda t: rx.cond(
                    t.model != "", rx.hstack(rx.code(t.model), rx.text(t.label, size="2", color=MUTED)), rx.fragment()
                ),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )  # fmt: skip


def developers_page() -> rx.Component:
    """``/developers``."""
    return page(
        "Developers",
        banner(S.page_error),
        banner(S.notice, kind="success"),
        rx.cond(
            loaded_for_this_visit(S.loaded),
            rx.vstack(new_key_notice(), create_form(), keys_table(), how_to(), spacing="4", width="100%"),
            rx.center(rx.spinner(), width="100%", padding="40px", aria_label="Loading"),
        ),
    )
