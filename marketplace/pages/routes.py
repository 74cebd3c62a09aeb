"""Registering the marketplace's pages on the app (called from ``dashboard/app.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from marketplace.pages.admin_reports import ReportsState, reports_page
from marketplace.pages.browse import BrowseState, marketplace_page
from marketplace.pages.detail import listing_page
from marketplace.pages.detail_state import DetailState
from marketplace.pages.listing_form import listing_form_page
from marketplace.pages.listing_form_state import ListingFormState
from marketplace.pages.my_agents import MyAgentsState, my_agents_page
from marketplace.pages.publisher import PublisherState, publisher_page
from marketplace.pages.trial_panel import TrialState

PREVIEW_IMAGE = "/favicon.ico"


def add_marketplace_pages(app: rx.App, private: Callable[..., Any]) -> None:
    """Add the public pages (``/marketplace``, ``/marketplace/[slug]``, with titles and meta
    descriptions for link previews) and the private ones through the app's ``private`` helper
    (the login guard, then the page's ``on_load``)."""
    app.add_page(
        marketplace_page,
        route="/marketplace",
        title="Marketplace · Agent Hub",
        description="Find AI agents for writing, research, support and more: try them free, subscribe and chat.",
        image=PREVIEW_IMAGE,
        on_load=BrowseState.load,
    )
    app.add_page(
        listing_page,
        route="/marketplace/[slug]",
        title=DetailState.page_title,
        description=DetailState.meta_description,
        image=PREVIEW_IMAGE,
        on_load=[DetailState.load, TrialState.load],
    )
    private(my_agents_page, "/my-agents", "My agents", MyAgentsState.load)
    private(publisher_page, "/publisher", "Publisher", PublisherState.load)
    private(listing_form_page, "/publisher/listing", "Listing", ListingFormState.load)
    private(reports_page, "/admin/reports", "Reports", ReportsState.load)
