"""State of the Developers page: the workspace's API keys, the create form, revoking.

A new key is shown once: it sits in ``new_secret`` until the user closes the notice (or leaves
the page) and is never stored anywhere else; the list shows only the key's prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from backend.accounts.actor import NotFound, PermissionDenied
from backend.api.developer import KeyTarget, curl_example, key_targets, python_example, widget_snippet
from backend.api.keys import ApiKeyInputError, ApiKeyPublic, KeyInput, create_key, list_keys, revoke_key
from backend.config import get_settings
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session
from dashboard.shell.forms import parse_number

EXPIRY_CHOICES = [("never", "Never"), ("30", "30 days"), ("90", "90 days"), ("365", "1 year")]
FIELDS = (
    "name",
    "kind",
    "scope",
    "scope_id",
    "allowed_origins",
    "expires_in_days",
    "requests_per_min",
    "monthly_budget_usd",
)


@dataclass
class KeyRow:
    """One key as the page lists it (prefix only, never the key)."""

    id: str = ""
    name: str = ""
    prefix: str = ""
    kind: str = ""
    scope_label: str = ""
    origins: str = ""
    limits: str = ""
    created: str = ""
    expires: str = ""
    last_used: str = ""
    status: str = ""


@dataclass
class TargetOption:
    """A choice of the form's "Can use" select."""

    value: str = ""
    label: str = ""
    model: str = ""
    publishable: bool = False
    secret: bool = True


def _day(when: datetime | None, empty: str) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if when else empty


def to_row(key: ApiKeyPublic, now: datetime) -> KeyRow:
    """The listed row: status is ``Revoked``, ``Expired`` or ``Active``."""
    expires = key.expires_at.astimezone(UTC) if key.expires_at else None
    status = "Revoked" if key.revoked_at else "Expired" if expires and expires <= now else "Active"
    limits = []
    if key.requests_per_min:
        limits.append(f"{key.requests_per_min:,} requests/min")
    if key.monthly_budget_nano:
        limits.append(f"${key.monthly_budget_nano / 1e9:,.2f}/month")
    return KeyRow(
        id=key.id,
        name=key.name,
        prefix=key.prefix + "…",
        kind=key.kind.capitalize(),
        scope_label=key.scope_label,
        origins=", ".join(key.allowed_origins),
        limits=", ".join(limits) or "Workspace limits only",
        created=_day(key.created_at, ""),
        expires=_day(key.expires_at, "Never"),
        last_used=_day(key.last_used_at, "Never used"),
        status=status,
    )


def _option(t: KeyTarget) -> TargetOption:
    return TargetOption(t.value, t.label, t.model, "publishable" in t.kinds, "secret" in t.kinds)


class DevelopersState(rx.State):
    """API keys of the signed-in member's workspace and the create form."""

    rows: list[KeyRow] = []
    targets: list[TargetOption] = []
    loaded: bool = False
    page_error: str = ""
    notice: str = ""
    errors: dict[str, str] = {}
    name_error: str = ""
    kind_error: str = ""
    scope_error: str = ""
    expiry_error: str = ""
    origins_error: str = ""
    rpm_error: str = ""
    budget_error: str = ""
    form_error: str = ""
    kind: str = "secret"
    target: str = "workspace"
    expiry: str = "never"
    base_url: str = ""
    new_secret: str = ""
    new_model: str = ""
    new_kind: str = ""

    @rx.var
    def shown_targets(self) -> list[TargetOption]:
        """The targets the chosen key kind may use."""
        return [t for t in self.targets if (t.publishable if self.kind == "publishable" else t.secret)]

    @rx.var
    def curl_snippet(self) -> str:
        """``curl`` with the key just created (or a placeholder)."""
        return curl_example(self.base_url, self.new_model, self.new_secret or "$AGENTHUB_KEY")

    @rx.var
    def python_snippet(self) -> str:
        """The same call with the ``openai`` package."""
        return python_example(self.base_url, self.new_model)

    @rx.var
    def widget_code(self) -> str:
        """The embed ``<script>`` tag of a publishable key just created."""
        return widget_snippet(self.base_url, self.new_model, self.new_secret or "ahp_...")

    async def _refresh(self) -> None:
        actor = await signed_in(self)

        def read(session: Any) -> tuple[list[ApiKeyPublic], list[KeyTarget]]:
            return list_keys(actor=actor, session=session), key_targets(actor=actor, session=session)

        keys, targets = await in_session(read)
        now = datetime.now(UTC)
        self.rows = [to_row(k, now) for k in keys]
        self.targets = [_option(t) for t in targets]
        self.loaded = True

    @rx.event
    async def load(self) -> None:
        """``on_load``: list keys and targets, reset the form (a shown key is hidden)."""
        self.page_error = self.notice = self.new_secret = ""
        self._show_errors({})
        self.kind, self.target, self.expiry = "secret", "workspace", "never"
        self.base_url = get_settings().public_url.rstrip("/") or self.router.headers.origin
        try:
            await self._refresh()
        except PermissionDenied as exc:
            self.page_error, self.loaded = str(exc), True
            return
        # "Embed on a website" on an agent or listing page: /developers?kind=publishable&target=agent:<id>
        params = self.router.page.params
        if params.get("kind") == "publishable":
            self.kind = "publishable"
        wanted = str(params.get("target", ""))
        if any(t.value == wanted for t in self.shown_targets):
            self.target = wanted
        elif self.kind == "publishable":
            self.target = self.shown_targets[0].value if self.shown_targets else ""

    def _show_errors(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        self.name_error, self.kind_error = errors.get("name", ""), errors.get("kind", "")
        self.scope_error = errors.get("scope_id", "") or errors.get("scope", "")
        self.expiry_error, self.origins_error = errors.get("expires_in_days", ""), errors.get("allowed_origins", "")
        self.rpm_error, self.budget_error = errors.get("requests_per_min", ""), errors.get("monthly_budget_usd", "")
        self.form_error = errors.get("form", "")

    @rx.event
    def set_kind(self, kind: str) -> None:
        """Pick secret or publishable; the target resets to the first one allowed."""
        self.kind = kind if kind in ("secret", "publishable") else "secret"
        allowed = self.shown_targets
        if not any(t.value == self.target for t in allowed):
            self.target = allowed[0].value if allowed else ""

    @rx.event
    def set_target(self, value: str) -> None:
        """Pick what the key can use."""
        self.target = value

    @rx.event
    def set_expiry(self, value: str) -> None:
        """Pick when the key expires."""
        self.expiry = value

    @rx.event
    def dismiss_secret(self) -> None:
        """Forget the key just shown (it cannot be shown again)."""
        self.new_secret = self.new_model = self.new_kind = ""

    def _input(self, form: dict[str, Any], errors: dict[str, str]) -> KeyInput:
        scope, _, scope_id = self.target.partition(":")
        rpm = parse_number(form, "key_rpm", int, "Enter a whole number of requests per minute.", errors)
        budget = str(form.get("key_budget", "") or "").strip().replace(",", "").lstrip("$") or None
        origins = [o.strip() for o in str(form.get("key_origins", "") or "").replace("\n", ",").split(",")]
        return KeyInput(
            name=str(form.get("key_name", "") or ""),
            kind=self.kind,
            scope=scope,
            scope_id=scope_id,
            allowed_origins=[o for o in origins if o],
            expires_in_days=None if self.expiry == "never" else int(self.expiry),
            requests_per_min=rpm,
            monthly_budget_usd=budget,
        )

    @rx.event
    async def create(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create the key from the submitted form and show it once (database work in a thread)."""
        self.notice = ""
        self._show_errors({})
        errors: dict[str, str] = {}
        data = self._input(form, errors)
        # the snippets call the chosen agent (the first agent for a whole-workspace key)
        models = [t.model for t in self.targets if t.value == self.target and t.model]
        model = (models or [t.model for t in self.targets if t.model] or [""])[0]
        actor = await signed_in(self)
        try:
            if errors:
                raise ApiKeyInputError(errors)
            created = await in_session(lambda s: create_key(actor=actor, data=data, session=s))
        except ApiKeyInputError as exc:
            self._show_errors(exc.errors)
            return None
        except (PermissionDenied, NotFound) as exc:
            self._show_errors({"form": str(exc)})
            return None
        self.new_secret, self.new_model, self.new_kind = created.secret, model, created.key.kind
        await self._refresh()
        return rx.set_value("key_name", "")

    @rx.event
    async def revoke(self, key_id: str) -> None:
        """Revoke a key (after the confirmation dialog)."""
        actor = await signed_in(self)
        try:
            key = await in_session(lambda s: revoke_key(actor=actor, key_id=key_id, session=s))
        except (PermissionDenied, NotFound) as exc:
            self.page_error = str(exc)
            return
        self.notice = f"Revoked “{key.name}”. Requests with it now get 401."
        await self._refresh()
