"""``/admin/reports`` (platform admins): the report queue; resolve a report, suspend or reinstate
the reported listing (both after a confirmation)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session
from dashboard.shell.forms import banner, labelled
from marketplace.catalog import listing_detail
from marketplace.errors import MarketplaceError
from marketplace.moderation import reinstate_listing, report_queue, resolve_report, suspend_listing
from marketplace.pages.common import MUTED, confirm, empty, frame, loading, status_badge
from marketplace.pages.rows import ReportRow, report_row

REFUSED = (NotFound, PermissionDenied, MarketplaceError)


def _listing_id(actor: Actor, slug: str, session: Session) -> str:
    """The reported listing's id (an admin sees suspended listings too)."""
    return listing_detail(slug=slug, viewer=actor, session=session).card.id


class ReportsState(rx.State):
    """The admins' report queue."""

    rows: list[ReportRow] = []
    show: str = "open"
    loaded: bool = False
    denied: bool = False
    notice: str = ""
    error: str = ""

    async def _reload(self) -> None:
        actor = await signed_in(self)
        show = self.show
        try:
            reports = await in_session(lambda s: report_queue(actor=actor, status=show, session=s))
        except PermissionDenied:
            self.denied, self.rows = True, []
        else:
            self.denied, self.rows = False, [report_row(r) for r in reports]
        self.loaded = True

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: open reports, oldest first (non-admins see a refusal)."""
        self.notice = self.error = ""
        await self._reload()

    @rx.event
    async def set_show(self, value: str):  # type: ignore[no-untyped-def]
        """Open or resolved reports."""
        self.show = "resolved" if value == "resolved" else "open"
        await self._reload()

    async def _act(self, work: Any, done: str) -> None:
        actor = await signed_in(self)
        self.notice = self.error = ""
        try:
            await in_session(lambda s: work(actor, s))
        except REFUSED as exc:
            self.error = str(exc)
        else:
            self.notice = done
        await self._reload()

    @rx.event
    async def resolve(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Close a report with a note (``form``: ``report_id``, ``resolution``)."""
        rid, note = str(form.get("report_id", "")), str(form.get("resolution", "") or "") or "Reviewed."
        await self._act(lambda a, s: resolve_report(actor=a, report_id=rid, resolution=note, session=s), "Resolved.")

    @rx.event
    async def suspend(self, slug: str, reason: str):  # type: ignore[no-untyped-def]
        """Suspend the reported listing (after the confirmation dialog)."""

        def work(actor: Actor, s: Session) -> None:
            lid = _listing_id(actor, slug, s)
            suspend_listing(actor=actor, listing_id=lid, reason=reason or "Reported and reviewed.", session=s)

        await self._act(work, "The listing is suspended.")

    @rx.event
    async def reinstate(self, slug: str):  # type: ignore[no-untyped-def]
        """Lift a suspension: the listing returns as unlisted."""
        await self._act(
            lambda a, s: reinstate_listing(actor=a, listing_id=_listing_id(a, slug, s), session=s),
            "Reinstated: the listing is unlisted until its publisher publishes it.",
        )


S: Any = ReportsState


def _suspend(row: Any) -> rx.Component:
    return confirm(
        rx.button("Suspend listing", size="1", color_scheme="red", variant="soft"),
        "Suspend “" + row.title + "”?",
        "It leaves the marketplace; subscribers and visitors cannot run it. Its publisher sees the reason.",
        "Suspend",
        S.suspend(row.slug, row.reason),
    )


def _row(row: Any) -> rx.Component:
    resolve = rx.form(
        rx.input(type="hidden", name="report_id", value=row.id),
        rx.hstack(
            rx.box(
                labelled(
                    "Resolution note", rx.input(id="resolution-" + row.id, name="resolution"), "resolution-" + row.id
                ),
                flex="1",
            ),
            rx.button("Resolve", type="submit", size="2"),
            align="end",
            width="100%",
        ),
        on_submit=S.resolve,
        width="100%",
    )
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(row.what),
                rx.link(row.title, href="/marketplace/" + row.slug),
                status_badge(row.listing_status),
                rx.text(row.date, " · reported by ", row.reporter, size="1", color=MUTED),
                align="center",
                spacing="2",
                flex_wrap="wrap",
            ),
            rx.text(rx.text.strong("Reason: "), row.reason, white_space="pre-wrap"),
            rx.cond(row.review_text != "", rx.blockquote(row.review_text)),
            rx.cond(
                row.status == "open",
                resolve,
                rx.text("Resolved: ", row.resolution, size="2", color=MUTED),
            ),
            rx.cond(
                row.listing_status == "suspended",
                rx.button("Reinstate listing", size="1", variant="outline", on_click=S.reinstate(row.slug)),
                _suspend(row),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="report",
    )


def reports_page() -> rx.Component:
    """``/admin/reports``."""
    picker = rx.select.root(
        rx.select.trigger(id="report-status"),
        rx.select.content(rx.select.item("Open", value="open"), rx.select.item("Resolved", value="resolved")),
        value=S.show,
        on_change=S.set_show,
    )
    return frame(
        "Reports",
        lambda: rx.vstack(
            banner(S.notice, kind="success"),
            banner(S.error),
            rx.cond(
                ~S.loaded,
                loading(),
                rx.cond(
                    S.denied,
                    empty("🔒", "Platform admins only", "This page is for the platform's moderators."),
                    rx.vstack(
                        rx.box(labelled("Show", picker, "report-status"), width="200px"),
                        rx.cond(
                            S.rows.length() == 0,
                            empty("✅", "Nothing to review", "No reports here."),
                            rx.vstack(rx.foreach(S.rows, _row), width="100%", spacing="3"),
                        ),
                        width="100%",
                    ),
                ),
            ),
            width="100%",
            spacing="3",
        ),
    )
