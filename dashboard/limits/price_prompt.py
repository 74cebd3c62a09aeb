"""The prompt a dollar budget opens when its scope runs a model without a known price.

Such a model's replies count as $0, so the budget would never stop them. The prompt asks for each
model's price (saved on its connection's model catalog, like "Edit price" on the Connections
page, then the budget is saved) or offers a token cap instead; Cancel keeps what was typed.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.shell.forms import banner

MUTED = "var(--gray-11)"


def _field(label: str, control_id: Any, name: Any, placeholder: str, mode: str) -> rx.Component:
    """A visible label and its input (``mode``: the on-screen keyboard, ``decimal`` or ``numeric``)."""
    return rx.vstack(
        rx.el.label(label, html_for=control_id, style={"fontWeight": "500", "fontSize": "14px"}),
        rx.input(id=control_id, name=name, placeholder=placeholder, input_mode=mode, width="100%"),
        spacing="1",
        width="100%",
    )


def _price_input(prefix: str, model: Any, side: str, label: str, placeholder: str) -> rx.Component:
    return _field(label, f"{prefix}-" + model.field + f"-{side}", model.field + f"-{side}", placeholder, "decimal")


def _form(content: rx.Component, on_submit: Any, key: Any, label: str) -> rx.Component:
    return rx.form(content, on_submit=on_submit, key=key, aria_label=label, width="100%")


def _model_prices(prefix: str, model: Any) -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(model.label, style={"fontWeight": "600", "fontSize": "14px", "padding": "0 4px"}),
        rx.grid(
            _price_input(prefix, model, "in", "Input price (USD per 1M tokens)", "e.g. 0.15"),
            _price_input(prefix, model, "out", "Output price (USD per 1M tokens)", "e.g. 0.60"),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        style={"border": "1px solid var(--gray-6)", "borderRadius": "8px", "padding": "8px 12px", "width": "100%"},
    )


def price_prompt(state: Any, prefix: str) -> rx.Component:
    """Shown while ``state.price_needed`` lists models: their price inputs, or a token cap.

    Args:
        state: A :class:`dashboard.limits.state.LimitsMixin` state class.
        prefix: Makes the control ids unique on the page.
    """
    S = state
    heading_id = f"{prefix}-price-prompt-heading"
    prices = _form(
        rx.vstack(
            rx.foreach(S.price_needed, lambda m: _model_prices(prefix, m)),
            rx.button("Save price and budget", type="submit", size="2"),
            spacing="3",
            width="100%",
        ),
        S.save_prices_and_budget,
        S.price_form_key,
        "Prices of the models without one",
    )
    token_cap = _form(
        rx.hstack(
            _field("Or a token cap per period", f"{prefix}-token-cap-instead", "token_cap", "e.g. 200000", "numeric"),
            rx.button("Set token cap instead", type="submit", variant="soft", size="2", flex_shrink="0"),
            align="end",
            spacing="3",
            width="100%",
        ),
        S.use_token_cap,
        S.price_form_key,
        "Token cap instead of dollars",
    )
    body = rx.el.section(
        rx.vstack(
            rx.heading("This budget needs a price", size="3", as_="h4", id=heading_id),
            rx.text(
                "A model without a known price counts as $0, so a dollar budget would never stop it. "
                "Enter what the endpoint charges (0 if it is free): the price is saved on the connection "
                "and the budget with it. Or cap tokens instead; tokens bind every model.",
                size="2",
                role="alert",
            ),
            banner(S.price_error),
            prices,
            token_cap,
            rx.button("Cancel", type="button", variant="ghost", color_scheme="gray", on_click=S.cancel_prices),
            spacing="3",
            width="100%",
        ),
        aria_labelledby=heading_id,
        style={"border": "1px solid var(--amber-7)", "borderRadius": "8px", "padding": "12px", "width": "100%"},
        class_name="price-prompt",
    )
    return rx.cond(S.price_needed.length() > 0, body, rx.fragment())
