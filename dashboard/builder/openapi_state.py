"""State of "Import OpenAPI" in the Tools card: paste a document (JSON or YAML), parse it, tick
operations and create a custom HTTP tool from each (``backend.tools.openapi_import``). Parse
problems are listed with their place in the document; per-operation problems under each one.

Both handlers are background events: the document is parsed in a worker process with a time
and memory limit (``backend.tools.openapi_worker``) and the database work runs in a thread, so
a hostile document never stalls the event loop that serves every user.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import reflex as rx

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models.tools import CustomToolPublic
from backend.tools.base import InvalidInput
from backend.tools.openapi import ApiDocument, OpenAPIInvalid
from backend.tools.openapi_import import import_operations
from backend.tools.openapi_worker import parse_openapi_in_worker
from dashboard.builder.custom_state import CustomToolsState
from dashboard.shell.auth import signed_in


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


def _import(
    actor: Actor,
    document: str,
    parsed: ApiDocument,
    ids: list[str],
    base_url: str,
    header: str,
    secret: str | None,
) -> list[CustomToolPublic]:
    with session_scope() as session:
        return import_operations(
            actor=actor,
            document=document,
            operation_ids=ids,
            base_url=base_url or None,
            auth_header=header,
            auth_secret=secret,
            parsed=parsed,
            session=session,
        )


class OpenAPIState(rx.State):
    """The pasted document's operations, the ticks and the import's errors."""

    import_open: bool = False
    parse_errors: list[str] = []
    operations: list[OperationRow] = []
    doc_title: str = ""
    base_url: str = ""
    import_error: str = ""
    importing: bool = False
    parsing: bool = False
    import_rev: int = 0
    _document: str = ""
    _parse_gen: int = 0

    @rx.event
    def toggle_import(self) -> None:
        """Show or hide the OpenAPI import."""
        self.import_open = not self.import_open

    @rx.event(background=True)
    async def parse(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Parse the pasted OpenAPI document (in a worker process) and list its operations."""
        text = str(form.get("openapi_doc", "") or "")
        async with self:
            await signed_in(self)
            self.parse_errors, self.operations, self.import_error, self.doc_title = [], [], "", ""
            self.parsing, self._parse_gen = True, self._parse_gen + 1
            gen = self._parse_gen
        try:
            doc, errors = await parse_openapi_in_worker(text), []
        except OpenAPIInvalid as exc:
            doc, errors = None, list(exc.errors[:20])
        async with self:
            if gen != self._parse_gen:  # a newer Parse superseded this one
                return None
            self.parsing, self.parse_errors = False, errors
            if doc is None:
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

    @rx.event(background=True)
    async def import_selected(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create a custom tool from each ticked operation (parse in a worker, DB work in a thread)."""
        async with self:
            actor = await signed_in(self)
            if self.importing:
                return
            self.import_error, self.importing = "", True
            self.operations = [dataclasses.replace(o, error="") for o in self.operations]
            ids = [o.operation_id for o in self.operations if o.checked]
            self.base_url = str(form.get("openapi_base_url", "") or "").strip()
            document, base_url = self._document, self.base_url
        header = str(form.get("openapi_auth_header", "") or "").strip()
        secret = str(form.get("openapi_auth_secret", "") or "").strip() or None
        try:
            parsed = await parse_openapi_in_worker(document)
            created = await asyncio.to_thread(_import, actor, document, parsed, ids, base_url, header, secret)
        except OpenAPIInvalid as exc:
            async with self:
                self.parse_errors, self.importing = list(exc.errors[:20]), False
            return
        except InvalidInput as exc:
            async with self:
                self._show_import_errors(exc.errors)
            return
        async with self:
            self.importing, self.import_open = False, False
            self.operations, self._document = [], ""
            self.import_rev += 1
        yield CustomToolsState.after_import(f"Imported {len(created)} tool(s): {', '.join(t.name for t in created)}")  # type: ignore[operator]

    def _show_import_errors(self, errors: dict[str, str]) -> None:
        general = [v for k, v in errors.items() if k in ("operations", "base_url")]
        per_op = {
            o.operation_id: [v for k, v in errors.items() if k.split(".")[0] == o.operation_id] for o in self.operations
        }
        self.operations = [
            dataclasses.replace(o, error=" ".join(per_op.get(o.operation_id, []))) for o in self.operations
        ]
        self.import_error = " ".join(general) or "Some operations could not be imported; see below."
        self.importing = False
