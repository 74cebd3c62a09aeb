"""A connection's models with context window and prices, and the "Edit price" form (custom endpoints)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.connections.price_state import PriceState
from dashboard.connections.rows import ConnectionRow
from dashboard.connections.state import ConnectionsState
from dashboard.shell.forms import banner, labelled

S: Any = ConnectionsState
P: Any = PriceState
MUTED = "var(--gray-11)"
SR_ONLY = {"position": "absolute", "width": "1px", "height": "1px", "overflow": "hidden", "clip": "rect(0 0 0 0)"}


def _number_field(label: str, control_id: str, value: Any, error: Any, placeholder: str) -> rx.Component:
    control = rx.input(
        id=control_id,
        name=control_id.removeprefix("price-").replace("-", "_"),
        default_value=value,
        placeholder=placeholder,
        input_mode="decimal",
        auto_complete="off",
        width="100%",
    )
    return labelled(label, control, control_id, error=error)


def price_form(row: ConnectionRow) -> rx.Component:
    """Context window and input/output prices of one model on this connection."""
    model_field = rx.cond(
        P.model == "",
        labelled(
            "Model id",
            rx.input(id="price-model", name="price_model", placeholder="e.g. llama3.1:8b", width="100%"),
            "price-model",
            error=P.model_error,
        ),
        rx.text("Model ", rx.code(P.model), size="2"),
    )
    return rx.form(
        rx.vstack(
            rx.heading(rx.cond(P.model == "", "Add a model price", "Edit price"), size="3", as_="h3"),
            banner(P.form_error),
            model_field,
            rx.grid(
                _number_field("Context window (tokens)", "price-context-window", P.context, P.context_error, "128000"),
                _number_field("Input USD per 1M tokens", "price-input-usd-per-1m", P.price_in, P.input_error, "0.15"),
                _number_field(
                    "Output USD per 1M tokens", "price-output-usd-per-1m", P.price_out, P.output_error, "0.60"
                ),
                columns=rx.breakpoints(initial="1", sm="3"),
                spacing="3",
                width="100%",
            ),
            rx.text(
                "Used for budgets and the cost of every reply through this connection. Leave both prices empty "
                "to keep the list price (or unknown).",
                size="1",
                color=MUTED,
            ),
            rx.hstack(
                rx.button("Save price", type="submit", size="2"),
                rx.button(
                    "Cancel", type="button", variant="soft", color_scheme="gray", size="2", on_click=P.close_form
                ),
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        key=P.form_key,
        on_submit=P.submit,
        reset_on_submit=False,
        no_validate=True,
        aria_label=rx.cond(P.model == "", "Add a model price on " + row.name, "Edit price of " + P.model),
        width="100%",
        padding="12px",
        border="1px solid var(--gray-5)",
        border_radius="8px",
    )


def _model_row(entry: Any, row: ConnectionRow) -> rx.Component:  # a Var of CatalogRow
    edit = rx.cond(
        row.needs_base_url & S.can_manage,
        rx.hstack(
            rx.button(
                "Edit price",
                aria_label="Edit price of " + entry.model + " on " + row.name,
                size="1",
                variant="soft",
                on_click=P.open_form(entry.key),
            ),
            rx.cond(
                entry.overridden,
                rx.button(
                    "Reset",
                    aria_label="Reset price of " + entry.model + " on " + row.name,
                    size="1",
                    variant="ghost",
                    color_scheme="gray",
                    on_click=P.reset_override(entry.key),
                ),
            ),
            spacing="2",
            justify="end",
            align="center",
        ),
    )
    return rx.cond(
        entry.connection_id == row.id,
        rx.table.row(
            rx.table.row_header_cell(rx.code(entry.model, variant="ghost")),
            rx.table.cell(entry.context, text_align="right"),
            rx.table.cell(entry.input_price, text_align="right"),
            rx.table.cell(entry.output_price, text_align="right"),
            rx.table.cell(rx.text(entry.source, color=MUTED)),
            rx.table.cell(edit),
            align="center",
        ),
    )


def models_details(row: ConnectionRow) -> rx.Component:
    """A collapsed "Models & prices" section: context window and USD per 1M tokens of each model."""
    heads = ["Context window", "Input / 1M", "Output / 1M", "Price"]
    table = rx.table.root(
        rx.el.caption("Models and prices of " + row.name, style=SR_ONLY),
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("Model"),
                *[
                    rx.table.column_header_cell(h, text_align="right" if "/" in h or "window" in h else "left")
                    for h in heads
                ],
                rx.table.column_header_cell(""),
            )
        ),
        rx.table.body(rx.foreach(S.catalog, lambda e: _model_row(e, row))),
        variant="surface",
        size="1",
        width="100%",
    )
    return rx.el.details(
        rx.el.summary(
            "Models & prices (",
            row.catalog_count.to_string(),  # type: ignore[attr-defined]
            ")",
            style={"cursor": "pointer", "fontSize": "14px", "color": "var(--accent-11)"},
        ),
        rx.vstack(
            rx.cond(
                row.catalog_count > 0,
                table,
                rx.text("No models listed yet — test the connection to list them.", size="2", color=MUTED),
            ),
            rx.cond(
                P.connection_id == row.id,
                price_form(row),
                rx.cond(
                    row.needs_base_url & S.can_manage,
                    rx.button(
                        rx.icon("plus", size=14),
                        "Add a model price",
                        aria_label="Add a model price on " + row.name,
                        size="1",
                        variant="soft",
                        on_click=P.open_form(row.id + "|"),
                    ),
                ),
            ),
            spacing="2",
            width="100%",
            padding_top="8px",
        ),
        style={"width": "100%"},
    )
