"""The agent's "Memory" card on ``/agents/<id>``: long-term memory switch, pruning rules, storage
figures, and the signed-in user's own memories (export as JSON, delete all).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.memory_state import MemoryState
from dashboard.shell.forms import banner, confirm_delete, text_field

M: Any = MemoryState  # class attributes are Vars at render time
MUTED = "var(--gray-11)"


def _switch() -> rx.Component:
    return rx.hstack(
        rx.switch(id="memory-enabled", checked=M.enabled, on_change=M.toggle, size="2"),
        rx.vstack(
            rx.el.label("Long-term memory", html_for="memory-enabled", style={"fontWeight": "500", "fontSize": "14px"}),
            rx.text(
                "Remember each finished exchange and recall it in the same user's later conversations. "
                "Every user's memories are their own.",
                size="1",
                color=MUTED,
            ),
            spacing="0",
        ),
        spacing="3",
        align="start",
        width="100%",
    )


def _rules() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.hstack(
                text_field(
                    "Forget memories older than (days)",
                    "memory_max_age",
                    type="number",
                    min="1",
                    step="1",
                    default_value=M.max_age_days,
                    placeholder="keep forever",
                    error=M.max_age_error,
                ),
                text_field(
                    "Most memories kept per user",
                    "memory_max_rows",
                    type="number",
                    min="1",
                    step="1",
                    default_value=M.max_rows,
                    placeholder="no cap",
                    error=M.max_rows_error,
                ),
                spacing="4",
                width="100%",
                align="start",
            ),
            rx.hstack(
                rx.button("Apply pruning rules", type="submit", size="2", variant="soft"),
                rx.text("Leave a field empty for no rule. Oldest memories go first.", size="1", color=MUTED),
                spacing="3",
                align="center",
            ),
            spacing="2",
            width="100%",
        ),
        key=M.form_key,
        on_submit=M.save_rules,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def _stats() -> rx.Component:
    return rx.data_list.root(
        rx.data_list.item(rx.data_list.label("Knowledge"), rx.data_list.value(M.knowledge_stats)),
        rx.data_list.item(rx.data_list.label("Memories (all users)"), rx.data_list.value(M.memory_stats)),
        rx.data_list.item(rx.data_list.label("Last indexed"), rx.data_list.value(M.last_indexed)),
        size="2",
        id="memory-stats",
    )


def _mine() -> rx.Component:
    return rx.vstack(
        rx.heading("Your memories with this agent", size="3", as_="h3"),
        rx.hstack(
            rx.button(rx.icon("download", size=14), "Export my memories (JSON)", variant="outline", on_click=M.export),
            confirm_delete(
                rx.button(rx.icon("trash_2", size=14), "Delete all my memories", color_scheme="red", variant="soft"),
                "Delete all your memories with this agent?",
                "The agent forgets everything it remembered from your conversations. Messages stay; "
                "this cannot be undone.",
                M.delete_all,
            ),
            spacing="3",
            wrap="wrap",
        ),
        spacing="2",
        width="100%",
    )


def memory_section(agent_id: Any) -> rx.Component:
    """The memory card of the agent.

    Args:
        agent_id: Var of the agent's id; the card re-mounts (and reloads) when it changes.
    """
    body = rx.cond(
        M.loaded,
        rx.vstack(_switch(), _rules(), rx.separator(size="4"), _stats(), _mine(), spacing="4", width="100%"),
        rx.hstack(rx.spinner(), rx.text("Loading memory…", size="2"), spacing="2"),
    )
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.heading("Memory", size="4", as_="h2", id="agent-memory-heading"),
                banner(M.error),
                banner(M.notice, kind="success"),
                body,
                spacing="3",
                width="100%",
            ),
            aria_labelledby="agent-memory-heading",
        ),
        key=agent_id,
        on_mount=M.load(agent_id),
        width="100%",
    )
