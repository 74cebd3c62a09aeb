"""A signed-out user is handled in one place: the app's backend exception handler."""

from __future__ import annotations

from typing import Any

from dashboard.app import app
from dashboard.shell.auth import SignedOut
from dashboard.shell.errors import on_backend_exception


def _args(spec: Any) -> dict[str, str]:
    return {str(name): str(value) for name, value in spec.args}


def test_signed_out_goes_to_the_sign_in_page() -> None:
    spec = on_backend_exception(SignedOut())
    assert spec.handler.fn.__qualname__ == "_redirect"
    assert _args(spec)["path"] == '"/signin"'


def test_other_errors_keep_reflexs_error_toast() -> None:
    spec = on_backend_exception(RuntimeError("boom"))
    assert spec.handler.fn.__qualname__ != "_redirect"
    assert "An error occurred." in _args(spec)["function"]


def test_the_app_uses_the_handler() -> None:
    assert app.backend_exception_handler is on_backend_exception
