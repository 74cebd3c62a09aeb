"""A fixture that sets ``AGENTHUB_*`` variables for one test and re-reads the settings.

from tests.support.settings_env import app_env  # noqa: F401  (the fixture)

def test_x(app_env) -> None:
    app_env(AGENTHUB_ENV="production", AGENTHUB_MODEL_ENDPOINT_ALLOW="127.0.0.1/32")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from backend.config import get_settings


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``app_env(NAME=value, ...)`` sets environment variables and clears the settings cache;
    both are undone after the test."""

    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()
