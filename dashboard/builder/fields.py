"""The blueprint's fields as the builder shows them, each with one line of help for a non-programmer.

Text fields are uncontrolled (``default_value``, re-mounted through ``BuilderState.form_rev``):
what is typed reaches :meth:`BuilderState.edit` while typing (debounced) and when leaving the
field, so it is kept in the agent's draft even if the page is reloaded or left.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.fallbacks import fallback_field
from dashboard.builder.state import BuilderState
from dashboard.shell.forms import labelled, text_field

S: Any = BuilderState  # class attributes are Vars at render time
DEBOUNCE_MS = 600


def _events(field: str) -> dict[str, Any]:
    """Write the field to the draft while typing (debounced) and when it loses focus."""
    return {
        "on_change": lambda value: S.edit(field, value, S.form_rev).debounce(DEBOUNCE_MS),
        "on_blur": lambda value: S.edit(field, value, S.form_rev),
    }


def _text_area(label: str, control_id: str, value: Any, error: Any, *, rows: str, hint: str) -> rx.Component:
    control = rx.text_area(
        id=control_id,
        name=control_id,
        default_value=value,
        rows=rows,
        width="100%",
        resize="vertical",
        **_events(control_id),
    )
    return labelled(label, control, control_id, error=error, hint=hint)


def identity_fields() -> rx.Component:
    """Avatar, name and description."""
    return rx.vstack(
        rx.hstack(
            rx.box(
                text_field(
                    "Avatar", "avatar", default_value=S.avatar, max_length=16, error=S.avatar_error, **_events("avatar")
                ),
                width="96px",
                min_width="96px",
            ),
            text_field(
                "Name",
                "name",
                default_value=S.name,
                max_length=80,
                error=S.name_error,
                hint="What people see in the agent list and the chat.",
                **_events("name"),
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        text_field(
            "Description",
            "description",
            default_value=S.description,
            max_length=500,
            error=S.description_error,
            placeholder="What does this agent help with?",
            hint="One sentence for people choosing an agent.",
            **_events("description"),
        ),
        spacing="3",
        width="100%",
        key=S.form_rev,  # re-mount with the draft's values after a discard or restore
    )


def instruction_fields() -> rx.Component:
    """Instructions and conversation starters."""
    return rx.vstack(
        _text_area(
            "Instructions",
            "instructions",
            S.instructions,
            S.instructions_error,
            rows="10",
            hint="Tell the agent, in plain words, who it is, what it should do and how to answer.",
        ),
        _text_area(
            "Conversation starters",
            "starters",
            S.starters,
            S.starters_error,
            rows="4",
            hint="Example questions shown as buttons in the chat; one per line, up to 6.",
        ),
        spacing="3",
        width="100%",
        key=S.form_rev,  # re-mount with the draft's values after a discard or restore
    )


def _connection_field() -> rx.Component:
    select = rx.select.root(
        rx.select.trigger(id="connection", placeholder="Choose a connection", width="100%"),
        rx.select.content(
            rx.foreach(S.connections, lambda c: rx.select.item(c.name + " · " + c.provider_label, value=c.id))
        ),
        value=S.connection_id,
        on_change=S.set_connection,
        disabled=S.connections.length() == 0,
    )
    return rx.vstack(
        labelled(
            "Connection",
            select,
            "connection",
            error=S.connection_id_error,
            hint="The AI provider account that answers (added on the Connections page).",
        ),
        rx.cond(
            S.connections.length() == 0,
            rx.text("No connections yet — ", rx.link("add one", href="/connections"), " to pick a model.", size="1"),
            rx.fragment(),
        ),
        spacing="1",
        width="100%",
    )


def _model_option(conn: Any) -> rx.Component:  # a Var of ConnectionOption
    return rx.cond(conn.id == S.connection_id, rx.foreach(conn.models, lambda m: rx.el.option(value=m)), rx.fragment())


def _model_chips() -> rx.Component:
    return rx.cond(
        S.reported_models.length() > 0,
        rx.hstack(
            rx.text("This connection reports:", size="1", color="var(--gray-11)"),
            rx.foreach(
                S.model_chips,  # the name is the model; context and prices are shown, not announced twice
                lambda c: rx.button(
                    c.model,
                    rx.text.span(c.short, color="var(--gray-11)", aria_hidden="true"),
                    type="button",
                    size="1",
                    variant="soft",
                    title=c.short,
                    on_click=S.pick_model(c.model),
                ),
            ),
            spacing="1",
            wrap="wrap",
            align="center",
        ),
        rx.text("This connection reports no models: type the model name.", size="1", color="var(--gray-11)"),
    )


def _model_field() -> rx.Component:
    model_input = rx.input(
        id="model",
        name="model",
        key=S.model_rev,
        default_value=S.model,
        placeholder="e.g. gpt-4o-mini",
        max_length=200,
        auto_complete="off",
        width="100%",
        custom_attrs={"list": "model-options"},
        on_change=lambda value: S.model_typed(value, S.form_rev).debounce(DEBOUNCE_MS),
        on_blur=lambda value: S.model_typed(value, S.form_rev),
    )
    return rx.vstack(
        labelled(
            "Model",
            model_input,
            "model",
            error=S.model_error,
            hint="Which AI model answers; bigger models are smarter but cost more.",
        ),
        rx.el.datalist(rx.foreach(S.connections, _model_option), id="model-options"),
        _model_chips(),
        rx.cond(S.model_info != "", rx.text(S.model_info, size="1", color="var(--gray-11)"), rx.fragment()),
        spacing="1",
        width="100%",
    )


def model_fields() -> rx.Component:
    """Connection, model, fallbacks, temperature and max output tokens."""
    return rx.vstack(
        rx.hstack(_connection_field(), _model_field(), spacing="4", width="100%", align="start"),
        fallback_field(),
        rx.hstack(
            text_field(
                "Temperature",
                "temperature",
                type="number",
                step="0.1",
                min="0",
                max="2",
                default_value=S.temperature,
                error=S.temperature_error,
                hint="0 = precise and repeatable, 2 = creative and varied.",
                **_events("temperature"),
            ),
            text_field(
                "Max output tokens",
                "max_tokens",
                type="number",
                step="1",
                min="1",
                max="32768",
                default_value=S.max_tokens,
                error=S.max_tokens_error,
                hint="Longest answer, in tokens (about ¾ of a word each); 1 – 32768.",
                **_events("max_tokens"),
            ),
            spacing="4",
            width="100%",
            align="start",
        ),
        spacing="3",
        width="100%",
        key=S.form_rev,  # re-mount with the draft's values after a discard or restore
    )
