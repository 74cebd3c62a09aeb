"""The Reflex app: pages, the login guard on every private page, and HTTP routes under /api."""

from __future__ import annotations

import logging
import sys

import reflex as rx

from backend.api.routes import api, set_listing_access
from backend.config import get_settings
from backend.db import migrate
from backend.heap import settle_heap
from backend.memory.worker import start_worker
from backend.preflight import StartupError, check_services
from backend.runtime.sweep import run_maintenance
from backend.runtime.warmup import warm_up
from backend.security.keycheck import check_stored_secrets
from backend.security.keys import get_vault
from backend.security.redact import install_log_redaction
from billing.stripe.webhooks import routes as stripe_webhook_routes
from billing.worker import run_billing_pass
from dashboard.account.page import AccountState, account_page
from dashboard.analytics.page import AnalyticsState, analytics_page
from dashboard.audit.page import AuditState, audit_page
from dashboard.auth.pages import AuthFormState, signin_page, signup_page
from dashboard.billing.earnings import EarningsState, earnings_page
from dashboard.billing.page import billing_page, checkout_page
from dashboard.billing.state import BillingState, CheckoutState
from dashboard.builder.pages import AgentsState, BuilderState, agent_edit_page, agents_page
from dashboard.chat.page import ChatState, chat_page
from dashboard.connections.page import ConnectionsState, connections_page
from dashboard.developers.page import DevelopersState, developers_page
from dashboard.graceful import graceful_stop
from dashboard.http_security import SecureApp
from dashboard.notifications.page import InboxState, notifications_page
from dashboard.settings.page import SettingsState, settings_page
from dashboard.shell.auth import AuthState
from dashboard.shell.errors import on_backend_exception
from dashboard.tasks.page import TasksState, tasks_page
from dashboard.team.invite import InviteState, invite_page
from dashboard.team.page import TeamState, team_page
from marketplace.developer import ACCESS as MARKETPLACE_API_ACCESS
from marketplace.pages.routes import add_marketplace_pages

log = logging.getLogger(__name__)


def _maintenance() -> None:
    """The worker's maintenance pass: stale runs and expired holds, then billing's pass (outbox,
    test-mode renewals, meter events in Stripe mode), each failing on its own."""
    try:
        run_maintenance()
    finally:
        run_billing_pass()


def _startup() -> None:
    """Apply migrations, load and check the key ring and start the in-process background worker.

    Set ``AGENTHUB_INPROCESS_WORKER=0`` when ``agenthub worker`` processes do the jobs instead.
    """
    install_log_redaction()
    try:
        check_services()  # one plain line per missing or unreachable service, naming its variable
    except StartupError as exc:
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(3) from None
    migrate()  # on PostgreSQL under an advisory lock: processes starting together migrate once
    check_stored_secrets(get_vault())  # refuses to start when the key ring cannot decrypt stored secrets
    if get_settings().inprocess_worker:
        start_worker(maintenance=_maintenance, maintenance_every_s=get_settings().maintenance_every_s)
    # The first reply of a process would otherwise pay ~1 s of the SDKs' deferred imports and
    # tokenizer loading, with every user's events waiting behind it (backend/runtime/warmup.py).
    warm_up()
    # Everything alive now (modules, LiteLLM's price map, ...) moves out of the garbage
    # collector's view: a full collection otherwise walks it all on the event loop, pausing every
    # user for up to ~450 ms under load (benchmarks/loop_lag.py); thresholds let queries' garbage
    # die young (backend/heap.py).
    settle_heap()
    log.info("Agent Hub is ready")


def index() -> rx.Component:
    """``/``: send signed-in users to their agents (the guard handles everyone else)."""
    return rx.center(rx.spinner(), min_height="100vh")


# Billing's Stripe webhook joins the /api app (the backend never imports billing).
api.router.routes.extend(stripe_webhook_routes)

# SecureApp: security headers, CSP, Origin/CORS checks, upload cap; one handler maps SignedOut to /signin.
app = SecureApp(api_transformer=api, backend_exception_handler=on_backend_exception, stylesheets=["/agenthub.css"])
app.register_lifespan_task(_startup)
app.register_lifespan_task(graceful_stop)  # SIGTERM: replies in flight get AGENTHUB_SHUTDOWN_GRACE_S
set_listing_access(MARKETPLACE_API_ACCESS)  # the developer API: keys scoped to subscriptions, widget trials

app.add_page(index, route="/", title="Agent Hub", on_load=[AuthState.require_login, rx.redirect("/agents")])
app.add_page(
    signin_page,
    route="/signin",
    title="Sign in · Agent Hub",
    on_load=[AuthFormState.clear_errors, AuthState.redirect_if_signed_in],
)
app.add_page(
    signup_page,
    route="/signup",
    title="Sign up · Agent Hub",
    on_load=[AuthFormState.clear_errors, AuthState.redirect_if_signed_in],
)


def _private(component, route: str, title: str, state_load) -> None:  # type: ignore[no-untyped-def]
    app.add_page(component, route=route, title=f"{title} · Agent Hub", on_load=[AuthState.require_login, state_load])


_private(agents_page, "/agents", "Agents", AgentsState.load)
_private(agent_edit_page, "/agents/[agent_id]", "Agent builder", BuilderState.load)
_private(chat_page, "/chat", "Chat", ChatState.load)
_private(connections_page, "/connections", "Connections", ConnectionsState.load)
_private(settings_page, "/settings", "Settings", SettingsState.load)
_private(tasks_page, "/tasks", "Tasks", TasksState.load)
_private(analytics_page, "/analytics", "Analytics", AnalyticsState.load)
_private(notifications_page, "/notifications", "Inbox", InboxState.load)
_private(account_page, "/account", "Account", AccountState.load)
_private(developers_page, "/developers", "Developers", DevelopersState.load)
_private(billing_page, "/billing", "Billing", BillingState.load)
_private(checkout_page, "/billing/checkout/[checkout_id]", "Checkout", CheckoutState.load)
_private(earnings_page, "/earnings", "Earnings", EarningsState.load)
_private(team_page, "/team", "Team", TeamState.load)
_private(audit_page, "/audit", "Audit log", AuditState.load)
app.add_page(invite_page, route="/invite/[token]", title="Invitation · Agent Hub", on_load=InviteState.load)
add_marketplace_pages(app, _private)
