"""The Account page's "Sign-in providers" card: linked identities, link and unlink.

Linking is a full navigation to ``/api/auth/oidc/<provider>/start?link=1`` (the signed-in user
proves the account is theirs by their session; ``backend.accounts.identities``); the callback
comes back to ``/account?linked=<provider>`` or ``/account?sso=<code>``. Unlinking asks first.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.accounts import identities
from backend.accounts.actor import NotFound
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session
from dashboard.shell.forms import banner, confirm_delete
from dashboard.shell.sso import configured, message, provider_links

__all__ = ["IdentitiesState", "identities_card"]


class IdentitiesState(rx.State):
    """Linked identities of the signed-in user: ``[{id, provider, name, email, linked}]``."""

    rows: list[dict[str, str]] = []
    providers: dict[str, str] = {}
    loading: bool = True
    error: str = ""
    notice: str = ""

    async def _reload(self) -> None:
        actor = await signed_in(self)
        found = await in_session(lambda s: identities.list_identities(actor=actor, session=s))
        names = configured()
        self.rows = [
            {
                "id": r.id,
                "provider": r.provider,
                "name": names.get(r.provider, r.provider),
                "email": r.email or "no e-mail shared",
                "linked": r.linked_at.strftime("%Y-%m-%d"),
            }
            for r in found
        ]
        self.providers = names

    @rx.event
    async def load(self) -> None:
        """``on_load``: the linked identities and what ``?linked=`` / ``?sso=`` says."""
        self.loading, self.error, self.notice = True, "", ""
        query = self.router.url.query_parameters
        self.error = message(query.get("sso"))
        await self._reload()
        linked = query.get("linked")
        if isinstance(linked, str) and linked in self.providers:
            self.notice = f"{self.providers[linked]} is linked: you can sign in with it."
        self.loading = False

    @rx.event
    async def unlink(self, identity_id: str) -> None:
        """Unlink one identity (after the dialog's confirmation)."""
        self.error, self.notice = "", ""
        actor = await signed_in(self)
        try:
            await in_session(lambda s: identities.unlink(actor=actor, identity_id=identity_id, session=s))
        except (identities.IdentityError, NotFound) as exc:
            self.error = str(exc)
            return
        self.notice = "Unlinked."
        await self._reload()


def _row(row: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["name"]),
        rx.table.cell(row["email"]),
        rx.table.cell(row["linked"]),
        rx.table.cell(
            confirm_delete(
                rx.button("Unlink", variant="soft", color_scheme="red", size="1", aria_label="Unlink " + row["name"]),
                "Unlink " + row["name"] + "?",
                "You will no longer be able to sign in with this account.",
                IdentitiesState.unlink(row["id"]),  # type: ignore[operator]
            )
        ),
    )


def identities_card() -> rx.Component:
    """The card: a table of linked identities (or an empty state) and one link per provider."""
    table = rx.cond(
        IdentitiesState.rows.length() > 0,  # type: ignore[attr-defined]
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Provider"),
                    rx.table.column_header_cell("E-mail"),
                    rx.table.column_header_cell("Linked"),
                    rx.table.column_header_cell(rx.text("Actions", class_name="sr-only")),
                )
            ),
            rx.table.body(rx.foreach(IdentitiesState.rows, _row)),
            width="100%",
        ),
        rx.text("No sign-in provider linked yet.", size="2", color="var(--gray-11)"),
    )
    return rx.card(
        rx.vstack(
            rx.heading("Sign-in providers", size="4", as_="h2"),
            banner(IdentitiesState.error),
            banner(IdentitiesState.notice, kind="success"),
            rx.cond(IdentitiesState.loading, rx.spinner(size="2"), table),
            rx.cond(
                IdentitiesState.providers.length() > 0,  # type: ignore[attr-defined]
                provider_links(IdentitiesState.providers, verb="Link", link=True),
                rx.text("No sign-in provider is configured on this server.", size="2", color="var(--gray-11)"),
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
        max_width="520px",
    )
