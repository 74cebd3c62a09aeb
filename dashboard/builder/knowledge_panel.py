"""The agent's "Knowledge" card on ``/agents/<id>``: upload files, paste text, add a URL, watch
them being indexed (overall progress bar and per-source status) and remove them.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.builder.knowledge_rows import SourceRow
from dashboard.builder.knowledge_state import UPLOAD_ID, KnowledgeState
from dashboard.shell.forms import banner, confirm_delete, labelled, text_field

K: Any = KnowledgeState  # class attributes are Vars at render time
MUTED = "var(--gray-11)"
STATUS_COLORS = {"queued": "gray", "parsed": "blue", "chunked": "blue", "indexed": "green", "failed": "red"}


def _mode() -> rx.Component:
    return rx.cond(
        K.mode == "hybrid",
        rx.hstack(
            rx.badge("hybrid (model " + K.embedding_model + ")", color_scheme="green", size="2"),
            rx.text("Searches by words and by meaning.", size="1", color=MUTED),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.hstack(
            rx.badge("keyword mode", color_scheme="gray", size="2"),
            rx.text(
                "Searches by words only. Choose an embedding model in ",
                rx.link("Settings", href="/settings"),
                " for search by meaning.",
                size="1",
                color=MUTED,
            ),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
    )


def _rejected(records: rx.Var) -> Any:
    """Send only each refused file's name and reasons: the File itself (up to any size) must not
    travel over the websocket."""
    summary: rx.Var = rx.Var(
        _js_expr=f"{records!s}.map((r) => ({{name: r.file.name, codes: r.errors.map((e) => e.code)}}))",
        _var_type=list[dict[str, Any]],
    )
    return K.files_rejected(summary)


def _upload_tab() -> rx.Component:
    zone = rx.upload.root(
        rx.vstack(
            rx.icon("upload", size=22, color="var(--accent-9)", aria_hidden="true"),
            rx.text("Drop files here, or", size="2"),
            rx.button("Choose files", type="button", variant="soft", size="2"),
            rx.text("txt, md, pdf, html, csv, docx · up to ", K.cap, " each", size="1", color=MUTED),
            align="center",
            spacing="1",
        ),
        id=UPLOAD_ID,
        multiple=True,
        no_keyboard=True,  # the "Choose files" button is the one keyboard stop (and the one control)
        # react-dropzone's own <input type=file> is only clipped: keep it out of the accessibility
        # tree, or screen readers announce a second, unnamed "Choose File" control.
        style={"& input[type=file]": {"display": "none"}},
        max_size=K.cap_bytes,
        on_drop=K.upload(rx.upload_files(upload_id=UPLOAD_ID, on_upload_progress=K.upload_progress)),
        on_drop_rejected=_rejected,
        border="1px dashed var(--gray-8)",
        border_radius="8px",
        padding="16px",
        width="100%",
        cursor="pointer",
        _hover={"background": "var(--gray-2)"},
    )
    rejected = rx.cond(
        K.rejected.length() > 0,
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle_alert", size=16)),
            rx.hstack(
                rx.vstack(rx.foreach(K.rejected, lambda m: rx.text(m, size="2")), spacing="1", flex="1"),
                rx.button("Dismiss", size="1", variant="ghost", color_scheme="red", on_click=K.dismiss_rejected),
                width="100%",
                align="start",
            ),
            color_scheme="red",
            role="alert",
            width="100%",
        ),
    )
    sending = rx.cond(
        K.uploading,
        rx.hstack(
            rx.spinner(size="1"),
            rx.text("Uploading… " + K.upload_percent.to_string() + "%", size="2"),
            spacing="2",
            align="center",
            role="status",
        ),
    )
    return rx.vstack(rx.box(zone, id="knowledge-dropzone", width="100%"), sending, rejected, spacing="2", width="100%")


def _text_tab() -> rx.Component:
    area = rx.text_area(
        id="knowledge_text", name="knowledge_text", rows="6", width="100%", resize="vertical", placeholder="Markdown"
    )
    return rx.form(
        rx.vstack(
            text_field(
                "Title",
                "knowledge_title",
                max_length=200,
                placeholder="e.g. Opening hours",
                error=K.title_error,
            ),
            labelled("Text", area, "knowledge_text", error=K.text_error, hint="Plain text or Markdown."),
            rx.button("Add text", type="submit", size="2"),
            spacing="2",
            width="100%",
        ),
        key=K.text_form_key,
        on_submit=K.add_text,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def _url_tab() -> rx.Component:
    return rx.form(
        rx.vstack(
            text_field(
                "Web address",
                "knowledge_url",
                type="url",
                max_length=2000,
                placeholder="https://example.com/faq",
                error=K.url_error,
                hint="A public web page or document; it is fetched once, in the background.",
            ),
            rx.button("Add URL", type="submit", size="2"),
            spacing="2",
            width="100%",
        ),
        key=K.url_form_key,
        on_submit=K.add_url,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def _add_tabs() -> rx.Component:
    return rx.tabs.root(
        rx.tabs.list(
            rx.tabs.trigger("Upload files", value="upload"),
            rx.tabs.trigger("Paste text", value="text"),
            rx.tabs.trigger("Add a URL", value="url"),
        ),
        rx.tabs.content(_upload_tab(), value="upload", padding_top="12px"),
        rx.tabs.content(_text_tab(), value="text", padding_top="12px"),
        rx.tabs.content(_url_tab(), value="url", padding_top="12px"),
        default_value="upload",
        width="100%",
    )


def _overall() -> rx.Component:
    label = rx.cond(
        K.busy,
        rx.cond(K.in_flight == 1, "Processing 1 source…", "Processing " + K.in_flight.to_string() + " sources…"),
        rx.cond(K.failed > 0, "Done · " + K.failed.to_string() + " could not be read", "All sources indexed"),
    )
    return rx.vstack(
        rx.hstack(
            rx.cond(K.busy, rx.spinner(size="1")),
            rx.text(label, size="2", id="knowledge-progress-label"),
            rx.spacer(),
            rx.text(K.percent.to_string() + "%", size="2", weight="medium"),
            align="center",
            width="100%",
        ),
        rx.progress(
            value=K.percent,
            max=100,
            aria_label="Indexing progress",
            id="knowledge-progress",
            color_scheme=rx.cond(K.busy, "blue", "green"),
            width="100%",
        ),
        spacing="1",
        width="100%",
        role="status",
        aria_live="polite",
    )


def _remove(row: SourceRow) -> rx.Component:
    return confirm_delete(
        rx.icon_button(
            rx.icon("trash_2", size=14),
            variant="ghost",
            color_scheme="gray",
            size="1",
            aria_label="Remove " + row.name,
        ),
        "Remove “" + row.name + "”?",
        "Its passages are deleted from this agent's knowledge; answers can no longer cite it.",
        K.remove(row.id),
    )


def _source(row: SourceRow) -> rx.Component:
    status = rx.badge(
        row.status_label,
        color_scheme=rx.match(row.status, *STATUS_COLORS.items(), "gray"),
        size="1",
        class_name="knowledge-status",
    )
    return rx.el.li(
        rx.hstack(
            rx.icon(row.icon, size=18, color=MUTED, aria_hidden="true", flex_shrink="0", margin_top="2px"),
            rx.vstack(
                rx.text(row.name, size="2", weight="medium", trim="both", word_break="break-all"),
                rx.text(row.detail, size="1", color=MUTED, word_break="break-all"),
                rx.cond(
                    row.active, rx.progress(value=row.percent, max=100, size="1", width="160px", aria_hidden="true")
                ),
                rx.cond(
                    row.error != "",
                    rx.text(
                        row.error,
                        size="1",
                        color=rx.cond(row.status == "failed", "var(--red-11)", "var(--amber-11)"),
                        class_name="knowledge-error",
                    ),
                ),
                spacing="1",
                min_width="0",
                flex="1",
            ),
            status,
            _remove(row),
            align="start",
            spacing="3",
            width="100%",
        ),
        style={"listStyle": "none", "padding": "10px 0", "borderTop": "1px solid var(--gray-4)"},
    )


def _sources() -> rx.Component:
    return rx.cond(
        K.sources.length() > 0,
        rx.vstack(
            _overall(),
            rx.el.ul(
                rx.foreach(K.sources, _source),
                aria_label="Knowledge sources",
                style={"padding": "0", "margin": "0", "width": "100%"},
            ),
            spacing="3",
            width="100%",
        ),
        rx.text("No knowledge yet — upload a document, paste text or add a URL.", size="2", color=MUTED),
    )


def knowledge_panel(agent_id: Any) -> rx.Component:
    """Knowledge sources of the agent with ingestion progress.

    Args:
        agent_id: Var of the agent's id; the card re-mounts (and reloads) when it changes.
    """
    body = rx.cond(
        K.loaded,
        rx.vstack(_add_tabs(), _sources(), spacing="4", width="100%"),
        rx.hstack(rx.spinner(), rx.text("Loading knowledge…", size="2"), spacing="2"),
    )
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.hstack(
                    rx.heading("Knowledge", size="4", as_="h2", id="agent-knowledge-heading"),
                    rx.spacer(),
                    _mode(),
                    width="100%",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(
                    "Documents this agent can quote. The most relevant passages are given to the model with each "
                    "question, and the answer shows them as sources.",
                    size="2",
                    color=MUTED,
                ),
                rx.cond(
                    K.storage != "",
                    rx.text(
                        "Workspace storage: ",
                        K.storage,
                        size="1",
                        color=rx.cond(K.storage_full, "var(--red-11)", MUTED),
                        id="knowledge-storage",
                    ),
                    rx.fragment(),
                ),
                banner(K.error),
                banner(K.notice, kind="success"),
                body,
                spacing="3",
                width="100%",
            ),
            aria_labelledby="agent-knowledge-heading",
        ),
        key=agent_id,
        on_mount=K.load(agent_id),
        on_unmount=K.leave,
        width="100%",
    )
