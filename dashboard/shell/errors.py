"""The app's backend exception handler: one place that maps a signed-out user to the sign-in page."""

from reflex.app import default_backend_exception_handler
from reflex.event import EventSpec, redirect

from dashboard.shell.auth import SignedOut

# No ``from __future__ import annotations`` here: Reflex checks this handler's annotations at start.


def on_backend_exception(exception: Exception) -> EventSpec:
    """Send a signed-out user to ``/signin``; anything else gets Reflex's default error toast (and log)."""
    if isinstance(exception, SignedOut):
        return redirect("/signin")
    return default_backend_exception_handler(exception)
