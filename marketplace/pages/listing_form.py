"""``/publisher/listing?agent=<agent id>``: the listing form (every field of ``ListingInput``:
texts, category, tags, icon, address, examples, plan and prices, which connection pays, the
per-subscriber rate limit and budget), Save and Publish."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.shell.forms import banner, labelled
from marketplace.catalog import categories
from marketplace.pages.common import MUTED, empty, frame, loading, status_badge
from marketplace.pages.listing_form_state import OWN_CONNECTION, ListingFormState
from marketplace.validation import MAX_EXAMPLES

S: Any = ListingFormState


def _text(label: str, name: str, *, hint: str = "", area: bool = False, **props: Any) -> rx.Component:
    make = rx.text_area if area else rx.input
    control = make(id=name, name=name, default_value=S.form[name], width="100%", **props)
    return labelled(label, control, name, error=S.errors[name], hint=hint)


def _select(label: str, name: str, items: Any, *, hint: str = "") -> rx.Component:
    control = rx.select.root(
        rx.select.trigger(id=name, width="100%"), rx.select.content(*items), name=name, default_value=S.form[name]
    )
    return labelled(label, control, name, error=S.errors[name], hint=hint)


def _examples() -> rx.Component:
    pairs = [
        rx.hstack(
            rx.box(_text(f"Example prompt {i + 1}", f"example_prompt_{i}"), flex="1"),
            rx.box(_text(f"Example answer {i + 1} (markdown)", f"example_answer_{i}", area=True), flex="2"),
            width="100%",
            align="start",
        )
        for i in range(MAX_EXAMPLES)
    ]
    return rx.el.fieldset(
        rx.el.legend("Examples (optional, shown on the listing page)"),
        rx.vstack(*pairs, width="100%"),
        rx.text(S.errors["examples"], color="var(--red-11)", size="2"),
        style={"border": "1px solid var(--gray-5)", "borderRadius": "8px", "padding": "12px", "width": "100%"},
    )


def _plan() -> rx.Component:
    kinds = rx.radio_group.root(
        rx.hstack(
            rx.radio_group.item("Free", value="free"),
            rx.radio_group.item("Monthly subscription", value="monthly"),
            rx.radio_group.item("Price per run", value="per_run"),
            spacing="4",
            align="center",
        ),
        value=S.plan_kind,
        on_change=S.set_plan_kind,
        name="plan_kind",
        aria_label="Pricing plan",
    )
    return rx.el.fieldset(
        rx.el.legend("Pricing (US dollars)"),
        rx.vstack(
            kinds,
            rx.cond(
                S.plan_kind == "monthly",
                rx.hstack(
                    _text("Monthly price ($)", "monthly_price", inputmode="decimal"),
                    _text("Runs included per month", "included_runs", inputmode="numeric"),
                    _text("Price per run beyond the included runs ($)", "price_per_run", inputmode="decimal"),
                    width="100%",
                ),
                rx.cond(S.plan_kind == "per_run", _text("Price per run ($)", "price_per_run", inputmode="decimal")),
            ),
            rx.cond(S.plan_kind != "free", _text("Free trial runs", "free_trial_runs", inputmode="numeric")),
            rx.text(
                "Subscribers pay through checkout; you receive the total less the platform fee (see Earnings).",
                size="1",
                color=MUTED,
            ),
            width="100%",
        ),
        style={"border": "1px solid var(--gray-5)", "borderRadius": "8px", "padding": "12px", "width": "100%"},
    )


def _running() -> rx.Component:
    conns = rx.foreach(S.connections, lambda c: rx.select.item(c.second, value=c.first))
    return rx.el.fieldset(
        rx.el.legend("Running it for subscribers"),
        rx.vstack(
            _select(
                "Connection that pays the AI model cost",
                "connection_id",
                [rx.select.item("The agent's own connection", value=OWN_CONNECTION), conns],
            ),
            rx.hstack(
                _text(
                    "Requests per minute per subscriber",
                    "subscriber_requests_per_min",
                    hint="Empty: no limit.",
                    inputmode="numeric",
                ),
                _text(
                    "Monthly budget per subscriber ($)",
                    "subscriber_monthly_budget",
                    hint="Empty: no cap.",
                    inputmode="decimal",
                ),
                width="100%",
                align="start",
            ),
            width="100%",
        ),
        style={"border": "1px solid var(--gray-5)", "borderRadius": "8px", "padding": "12px", "width": "100%"},
    )


def _form() -> rx.Component:
    cats = [rx.select.item(c, value=c) for c in categories()]
    return rx.form(
        rx.vstack(
            rx.hstack(
                rx.box(_text("Title", "title", required=True), flex="3"),
                rx.box(_text("Icon (an emoji)", "icon"), flex="1"),
                width="100%",
                align="start",
            ),
            _text("Tagline", "tagline", hint="One sentence for the cards and the social preview."),
            _text("Description (markdown)", "description", area=True, rows="10"),
            rx.hstack(
                rx.box(_select("Category", "category", cats), flex="1"),
                rx.box(_text("Tags", "tags", hint="Separated by commas."), flex="2"),
                width="100%",
                align="start",
            ),
            _text("Address", "slug", hint="/marketplace/<address>; empty: made from the title."),
            _examples(),
            _plan(),
            _running(),
            rx.hstack(
                rx.button("Save listing", type="submit", loading=S.saving),
                rx.cond(
                    (S.listing_id != "") & (S.status != "published") & (S.status != "suspended"),
                    rx.button("Publish", type="button", on_click=S.publish, color_scheme="green"),
                ),
                rx.cond(S.slug != "", rx.link("View listing page", href="/marketplace/" + S.slug)),
                spacing="3",
                align="center",
            ),
            width="100%",
            spacing="4",
        ),
        on_submit=S.save,
        width="100%",
    )


def listing_form_page() -> rx.Component:
    """``/publisher/listing?agent=<agent id>``."""
    return frame(
        "Listing",
        lambda: rx.cond(
            ~S.loaded,
            loading(),
            rx.cond(
                S.missing,
                empty(
                    "🔍",
                    "Agent not found",
                    "Pick one of your agents on the Publisher page.",
                    rx.link(rx.button("Publisher"), href="/publisher"),
                ),
                rx.vstack(
                    rx.hstack(
                        rx.heading("Listing for ", S.agent_name, size="5", as_="h2"),
                        rx.cond(S.status != "", status_badge(S.status), rx.badge("not saved yet", variant="outline")),
                        align="center",
                        spacing="3",
                    ),
                    banner(S.notice, kind="success"),
                    banner(S.error),
                    _form(),
                    width="100%",
                    spacing="3",
                ),
            ),
        ),
    )
