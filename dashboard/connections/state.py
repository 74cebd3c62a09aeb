"""State of the connection manager: the workspace's connections, the add/edit forms, tests.

Only plain data reaches the browser: a connection's key is shown as its masked hint, a
typed key is read from the submitted form and never kept in state.
"""

from __future__ import annotations

import logging
from typing import Any

import reflex as rx

from backend.accounts.actor import NotFound, PermissionDenied
from backend.connections.providers import PROVIDERS, get_provider
from backend.connections.service import (
    ConnectionInputError,
    VaultError,
    create_connection,
    delete_connection,
    list_connections,
    update_connection,
)
from backend.db import session_scope
from backend.gateway.admin import can_manage_limits
from backend.gateway.probe import check_connection
from dashboard.connections.catalog import CatalogRow, load_catalog
from dashboard.connections.rows import ConnectionRow, to_row
from dashboard.shell.auth import signed_in

log = logging.getLogger(__name__)

DEFAULT_PROVIDER = "openai"
LOCAL_BASE_URL_EXAMPLE = "http://localhost:11434/v1"


def _text(form: dict[str, Any], key: str) -> str:
    value = form.get(key, "")
    return value if isinstance(value, str) else ""


class ConnectionsState(rx.State):
    """Connections of the signed-in user's workspace, the add/edit forms and running tests."""

    rows: list[ConnectionRow] = []
    loaded: bool = False
    notice: str = ""
    page_error: str = ""
    testing_ids: list[str] = []

    # Add form.
    adding: bool = False
    provider: str = DEFAULT_PROVIDER
    provider_needs_base_url: bool = False
    provider_needs_key: bool = True
    provider_key_hint: str = get_provider(DEFAULT_PROVIDER).key_hint
    name_error: str = ""
    provider_error: str = ""
    api_key_error: str = ""
    base_url_error: str = ""

    # Edit form (one row at a time).
    edit_id: str = ""
    edit_name_error: str = ""
    edit_api_key_error: str = ""
    edit_base_url_error: str = ""

    # Model catalog (the "Edit price" form is PriceState's).
    catalog: list[CatalogRow] = []
    can_manage: bool = False

    def _clear_add_errors(self) -> None:
        self.name_error = self.provider_error = self.api_key_error = self.base_url_error = ""

    def _clear_edit_errors(self) -> None:
        self.edit_name_error = self.edit_api_key_error = self.edit_base_url_error = ""

    def _refresh(self, actor: Any) -> None:
        with session_scope() as session:
            self.rows = [to_row(c) for c in list_connections(actor=actor, session=session)]
            self.can_manage = can_manage_limits(actor=actor, session=session)
        self.catalog = load_catalog(actor)
        for row in self.rows:
            row.catalog_count = sum(1 for entry in self.catalog if entry.connection_id == row.id)
        self.loaded = True

    def _name_of(self, connection_id: str) -> str:
        return next((r.name for r in self.rows if r.id == connection_id), "the connection")

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: list the workspace's connections and reset the forms."""
        actor = await signed_in(self)
        self.notice = self.page_error = ""
        self.adding, self.edit_id = False, ""
        self._clear_add_errors()
        self._clear_edit_errors()
        try:
            self._refresh(actor)
        except PermissionDenied as exc:
            self.page_error, self.loaded = str(exc), True
        return None

    @rx.event
    def open_add(self) -> None:
        """Show the add form (and close an edit form)."""
        self.adding, self.edit_id, self.notice = True, "", ""
        self._clear_add_errors()

    @rx.event
    def close_add(self) -> None:
        """Hide the add form."""
        self.adding = False
        self._clear_add_errors()

    @rx.event
    def set_provider(self, provider_id: str) -> None:
        """Pick the provider of the add form; shows the base URL field when it needs one."""
        provider = PROVIDERS.get(provider_id)
        if provider is None:
            return
        self.provider = provider.id
        self.provider_needs_base_url = provider.needs_base_url
        self.provider_needs_key = provider.needs_api_key
        self.provider_key_hint = provider.key_hint
        self._clear_add_errors()

    @rx.event
    async def save_new(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create a connection from the add form; inline errors on bad input."""
        actor = await signed_in(self)
        self._clear_add_errors()
        self.notice = self.page_error = ""
        name = _text(form, "conn_name")
        base_url = _text(form, "conn_base_url") if self.provider_needs_base_url else ""
        try:
            with session_scope() as session:
                created = create_connection(
                    actor=actor,
                    name=name,
                    provider=self.provider,
                    api_key=_text(form, "conn_api_key"),
                    base_url=base_url,
                    session=session,
                )
        except ConnectionInputError as exc:
            self.name_error = exc.errors.get("name", "")
            self.provider_error = exc.errors.get("provider", "")
            self.api_key_error = exc.errors.get("api_key", "")
            self.base_url_error = exc.errors.get("base_url", "")
            return None
        except (PermissionDenied, NotFound) as exc:
            self.page_error = str(exc)
            return None
        # Closing the form unmounts it, so the typed key leaves the page too.
        self.adding = False
        self.notice = f"Saved “{created.name}”. Use Test connection to check the key."
        self._refresh(actor)
        return None

    @rx.event
    def open_edit(self, connection_id: str) -> None:
        """Show the edit form in a connection's row."""
        self.edit_id, self.adding, self.notice = connection_id, False, ""
        self._clear_edit_errors()

    @rx.event
    def cancel_edit(self) -> None:
        """Close the edit form without saving."""
        self.edit_id = ""
        self._clear_edit_errors()

    @rx.event
    async def save_edit(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Rename or re-point the connection being edited; a blank key keeps the stored one."""
        actor = await signed_in(self)
        self._clear_edit_errors()
        self.notice = self.page_error = ""
        row = next((r for r in self.rows if r.id == self.edit_id), None)
        if row is None:
            self.edit_id = ""
            return None
        base_url = _text(form, "edit_base_url") if row.needs_base_url or row.base_url else ""
        try:
            with session_scope() as session:
                updated = update_connection(
                    actor=actor,
                    connection_id=row.id,
                    name=_text(form, "edit_name"),
                    base_url=base_url,
                    api_key=_text(form, "edit_api_key"),
                    session=session,
                )
        except ConnectionInputError as exc:
            self.edit_name_error = exc.errors.get("name", "")
            self.edit_api_key_error = exc.errors.get("api_key", "")
            self.edit_base_url_error = exc.errors.get("base_url", "")
            return None
        except NotFound:
            self.page_error = "That connection no longer exists."
            self.edit_id = ""
            self._refresh(actor)
            return None
        except PermissionDenied as exc:
            self.page_error = str(exc)
            return None
        self.edit_id = ""
        self.notice = f"Saved “{updated.name}”."
        self._refresh(actor)
        return None

    @rx.event
    async def delete(self, connection_id: str):  # type: ignore[no-untyped-def]
        """Delete a connection (after the confirmation dialog)."""
        actor = await signed_in(self)
        name = self._name_of(connection_id)
        self.notice = self.page_error = ""
        try:
            with session_scope() as session:
                delete_connection(actor=actor, connection_id=connection_id, session=session)
            self.notice = f"Deleted “{name}”."
        except NotFound:
            self.page_error = "That connection was already deleted."
        except PermissionDenied as exc:
            self.page_error = str(exc)
        if self.edit_id == connection_id:
            self.edit_id = ""
        self._refresh(actor)
        return None

    @rx.event(background=True)
    async def test(self, connection_id: str):  # type: ignore[no-untyped-def]
        """Ask the provider whether the connection works; the page stays usable meanwhile."""
        async with self:
            actor = await signed_in(self)
            if connection_id in self.testing_ids:
                return None
            self.testing_ids = [*self.testing_ids, connection_id]
            self.notice = self.page_error = ""
        error = ""
        try:
            with session_scope() as session:
                await check_connection(actor=actor, connection_id=connection_id, session=session)
        except NotFound:
            error = "That connection no longer exists."
        except PermissionDenied as exc:
            error = str(exc)
        except VaultError:
            error = "The stored key could not be read. Edit the connection and enter the key again."
        except Exception:  # noqa: BLE001  (show a plain message, never crash the page)
            log.exception("connection test failed")
            error = "The test could not run because of an internal error. Try again."
        finally:
            async with self:
                self.testing_ids = [i for i in self.testing_ids if i != connection_id]
                if error:
                    self.page_error = error
                try:
                    self._refresh(actor)
                except PermissionDenied as exc:
                    self.page_error = str(exc)
        return None
