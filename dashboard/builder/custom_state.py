"""State of the "Custom HTTP tools" part of the Tools card: the workspace's custom tools, the
create/edit form with typed parameter rows, and "Import OpenAPI".

The auth header's value is read from the submitted form only and never kept in state; after a
save the form re-mounts empty and only the masked hint (``sk-…a1b2``) is shown.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import reflex as rx

from backend.accounts.actor import NotFound, PermissionDenied
from backend.db import session_scope
from backend.models.tools import CustomToolCreate, CustomToolParameter
from backend.tools.base import InvalidInput
from backend.tools.custom import create_custom_tool, delete_custom_tool, list_custom_tools, update_custom_tool
from dashboard.builder.tools_state import ToolsState
from dashboard.shell.auth import signed_in

PARAM_TYPES = ("string", "integer", "number", "boolean")
FORM_FIELDS = ("name", "description", "method", "url_template", "auth_header", "auth_secret", "parameters")


@dataclasses.dataclass
class CustomRow:
    """A custom tool in the list (masked auth hint only)."""

    id: str = ""
    name: str = ""
    description: str = ""
    method: str = "GET"
    url_template: str = ""
    auth_header: str = ""
    secret_hint: str = ""
    parameters: int = 0


@dataclasses.dataclass
class ParamRow:
    """One typed parameter row of the form (``uid`` names its inputs and keeps them mounted)."""

    uid: str = ""
    name: str = ""
    type: str = "string"
    required: bool = False
    description: str = ""
    location: str = ""
    error: str = ""


def _uid() -> str:
    return uuid.uuid4().hex[:8]


class CustomToolsState(rx.State):
    """Custom tools of the workspace, the tool form and the OpenAPI import."""

    rows: list[CustomRow] = []
    form_open: bool = False
    editing_id: str = ""
    form_rev: int = 0
    f_name: str = ""
    f_description: str = ""
    f_method: str = "GET"
    f_url: str = ""
    f_auth_header: str = ""
    f_secret_hint: str = ""
    params: list[ParamRow] = []
    errors: dict[str, str] = {k: "" for k in FORM_FIELDS}
    form_error: str = ""
    message: str = ""
    saving: bool = False

    def _refresh(self, actor: Any) -> None:
        with session_scope() as session:
            tools = list_custom_tools(actor=actor, session=session)
        self.rows = [
            CustomRow(
                t.id, t.name, t.description, t.method, t.url_template, t.auth_header, t.secret_hint, len(t.parameters)
            )
            for t in tools
        ]

    def _set_errors(self, errors: dict[str, str]) -> None:
        self.errors = {k: errors.get(k, "") for k in FORM_FIELDS}
        rows = []
        for i, p in enumerate(self.params):
            msgs = [v for k, v in errors.items() if k.startswith(f"parameters[{i}].")]
            rows.append(dataclasses.replace(p, error=" ".join(msgs)))
        self.params = rows
        self.form_error = "Fix the highlighted fields, then save again." if errors else ""

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_mount``: the workspace's custom tools."""
        self.message = self.form_error = ""
        actor = await signed_in(self)
        try:
            self._refresh(actor)
        except PermissionDenied:
            self.form_error = "You are not a member of this workspace."
        return None

    @rx.event
    def new_tool(self) -> None:
        """Open an empty form."""
        self.editing_id, self.f_name, self.f_description, self.f_method, self.f_url = "", "", "", "GET", ""
        self.f_auth_header = self.f_secret_hint = ""
        self.params, self.message, self.form_open = [], "", True
        self._set_errors({})
        self.form_rev += 1

    @rx.event
    def edit_tool(self, tool_id: str) -> None:
        """Open the form with a custom tool's values (its auth value stays stored)."""
        row = next((r for r in self.rows if r.id == tool_id), None)
        if row is None:
            return
        self.editing_id, self.f_name, self.f_description = row.id, row.name, row.description
        self.f_method, self.f_url, self.f_auth_header, self.f_secret_hint = (
            row.method,
            row.url_template,
            row.auth_header,
            row.secret_hint,
        )
        self.params = []
        self.message, self.form_open = "", True
        self._set_errors({})
        self.form_rev += 1
        return type(self).load_params(tool_id)  # type: ignore[return-value,operator]

    @rx.event
    async def load_params(self, tool_id: str):  # type: ignore[no-untyped-def]
        """Fill the parameter rows of the tool being edited."""
        actor = await signed_in(self)
        with session_scope() as session:
            tool = next((t for t in list_custom_tools(actor=actor, session=session) if t.id == tool_id), None)
        if tool is not None:
            self.params = [
                ParamRow(
                    _uid(),
                    str(p.get("name", "")),
                    str(p.get("type", "string")),
                    bool(p.get("required")),
                    str(p.get("description", "")),
                    str(p.get("location", "")),
                )
                for p in tool.parameters
            ]
            self.form_rev += 1
        return None

    @rx.event
    def close_form(self) -> None:
        """Cancel: close the form."""
        self.form_open = False
        self._set_errors({})

    @rx.event
    def set_method(self, value: str) -> None:
        """Pick the HTTP method."""
        self.f_method = value

    @rx.event
    def add_param(self) -> None:
        """Append an empty parameter row."""
        self.params = [*self.params, ParamRow(uid=_uid())]

    @rx.event
    def remove_param(self, uid: str) -> None:
        """Remove a parameter row."""
        self.params = [p for p in self.params if p.uid != uid]

    @rx.event
    def set_param_type(self, uid: str, value: str) -> None:
        """Set a parameter's type."""
        self.params = [dataclasses.replace(p, type=value) if p.uid == uid else p for p in self.params]

    @rx.event
    def set_param_required(self, uid: str, value: bool) -> None:
        """Tick or untick "required"."""
        self.params = [dataclasses.replace(p, required=value) if p.uid == uid else p for p in self.params]

    def _read(self, form: dict[str, Any]) -> CustomToolCreate:
        self.f_name = str(form.get("custom_name", "") or "")
        self.f_description = str(form.get("custom_description", "") or "")
        self.f_url = str(form.get("custom_url", "") or "")
        self.f_auth_header = str(form.get("custom_auth_header", "") or "")
        rows = []
        for p in self.params:
            name = str(form.get(f"pname-{p.uid}", p.name) or "")
            desc = str(form.get(f"pdesc-{p.uid}", p.description) or "")
            rows.append(dataclasses.replace(p, name=name, description=desc))
        self.params = rows
        secret = str(form.get("custom_auth_secret", "") or "").strip() or None
        return CustomToolCreate(
            name=self.f_name,
            description=self.f_description,
            method=self.f_method,
            url_template=self.f_url,
            parameters=[
                CustomToolParameter(
                    name=p.name, type=p.type, required=p.required, description=p.description, location=p.location
                )
                for p in rows
            ],
            auth_header=self.f_auth_header,
            auth_secret=secret,
        )

    @rx.event
    async def save(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create or update the custom tool from the form."""
        actor = await signed_in(self)
        self.message, self.saving = "", True
        yield
        data = self._read(form)
        try:
            with session_scope() as session:
                if self.editing_id:
                    saved = update_custom_tool(actor=actor, tool_id=self.editing_id, data=data, session=session)
                else:
                    saved = create_custom_tool(actor=actor, data=data, session=session)
        except InvalidInput as exc:
            self._set_errors(exc.errors)
            self.saving = False
            return
        except (NotFound, PermissionDenied):
            self.form_error, self.saving = "That tool no longer exists.", False
            return
        del data
        self.saving, self.form_open = False, False
        self._set_errors({})
        self.form_rev += 1  # re-mount: the typed secret leaves the browser's form too
        self.message = f"Saved custom tool “{saved.name}”" + (
            f" (auth {saved.secret_hint})" if saved.secret_hint else ""
        )
        self._refresh(actor)
        yield ToolsState.reload_options

    @rx.event
    async def delete(self, tool_id: str):  # type: ignore[no-untyped-def]
        """Delete a custom tool (after the confirmation dialog)."""
        actor = await signed_in(self)
        try:
            with session_scope() as session:
                delete_custom_tool(actor=actor, tool_id=tool_id, session=session)
            self.message = "Custom tool deleted."
        except (NotFound, PermissionDenied):
            self.form_error = "That tool was already deleted."
        self._refresh(actor)
        return ToolsState.reload_options

    @rx.event
    async def after_import(self, message: str):  # type: ignore[no-untyped-def]
        """Show the imported tools (called by the OpenAPI import)."""
        actor = await signed_in(self)
        self.message = message
        self._refresh(actor)
        return ToolsState.reload_options
