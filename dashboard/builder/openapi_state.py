"""State of "Import OpenAPI" in the Tools card: paste a document (JSON or YAML), parse it, tick
operations and create a custom HTTP tool from each (``backend.tools.openapi_import``). Parse
problems are listed with their place in the document; per-operation problems under each one.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx

from backend.db import session_scope
from backend.tools.base import InvalidInput
from backend.tools.openapi import OpenAPIInvalid, parse_openapi
from backend.tools.openapi_import import import_operations
from dashboard.builder.custom_state import CustomToolsState
from dashboard.shell.auth import require_actor


@dataclasses.dataclass
class OperationRow:
    """An operation of a parsed OpenAPI document (``problem``: why it cannot be imported)."""

    operation_id: str = ""
    tool_name: str = ""
    method: str = ""
    path: str = ""
    summary: str = ""
    problem: str = ""
    checked: bool = False
    error: str = ""


class OpenAPIState(rx.State):
    """The pasted document's operations, the ticks and the import's errors."""

    import_open: bool = False
    parse_errors: list[str] = []
    operations: list[OperationRow] = []
    doc_title: str = ""
    base_url: str = ""
    import_error: str = ""
    importing: bool = False
    import_rev: int = 0
    _document: str = ""

    @rx.event
    def toggle_import(self) -> None:
        """Show or hide the OpenAPI import."""
        self.import_open = not self.import_open

    @rx.event
    async def parse(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Parse the pasted OpenAPI document and list its operations."""
        actor = await require_actor(self)
        if actor is None:
            return rx.redirect("/signin")
        self.parse_errors, self.operations, self.import_error, self.doc_title = [], [], "", ""
        text = str(form.get("openapi_doc", "") or "")
        try:
            doc = parse_openapi(text)
        except OpenAPIInvalid as exc:
            self.parse_errors = list(exc.errors[:20])
            return None
        self._document = text
        self.doc_title = f"{doc.title} {doc.version}".strip()
        self.base_url = doc.base_url or ""
        self.import_rev += 1
        self.operations = [
            OperationRow(o.operation_id, o.tool_name, o.method, o.path, o.summary, o.problem or "", False)
            for o in doc.operations
        ]
        if not doc.operations:
            self.parse_errors = ["paths: the document has no operations."]
        return None

    @rx.event
    def tick_operation(self, operation_id: str, value: bool) -> None:
        """Tick or untick an operation to import."""
        self.operations = [
            dataclasses.replace(o, checked=value) if o.operation_id == operation_id else o for o in self.operations
        ]

    @rx.event
    async def import_selected(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create a custom tool from each ticked operation."""
        actor = await require_actor(self)
        if actor is None:
            yield rx.redirect("/signin")
            return
        self.import_error, self.importing = "", True
        self.operations = [dataclasses.replace(o, error="") for o in self.operations]
        yield
        ids = [o.operation_id for o in self.operations if o.checked]
        self.base_url = str(form.get("openapi_base_url", "") or "").strip()
        try:
            with session_scope() as session:
                created = import_operations(
                    actor=actor,
                    document=self._document,
                    operation_ids=ids,
                    base_url=self.base_url or None,
                    auth_header=str(form.get("openapi_auth_header", "") or "").strip(),
                    auth_secret=str(form.get("openapi_auth_secret", "") or "").strip() or None,
                    session=session,
                )
        except OpenAPIInvalid as exc:
            self.parse_errors, self.importing = list(exc.errors[:20]), False
            return
        except InvalidInput as exc:
            general = [v for k, v in exc.errors.items() if k in ("operations", "base_url")]
            per_op = {
                o.operation_id: [v for k, v in exc.errors.items() if k.split(".")[0] == o.operation_id]
                for o in self.operations
            }
            self.operations = [
                dataclasses.replace(o, error=" ".join(per_op.get(o.operation_id, []))) for o in self.operations
            ]
            self.import_error = " ".join(general) or "Some operations could not be imported; see below."
            self.importing = False
            return
        self.importing, self.import_open = False, False
        self.operations, self._document = [], ""
        self.import_rev += 1
        yield CustomToolsState.after_import(f"Imported {len(created)} tool(s): {', '.join(t.name for t in created)}")  # type: ignore[operator]
