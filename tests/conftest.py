"""Shared fixtures: an isolated data dir and database (SQLite, or PostgreSQL via DATABASE_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# Argon2 at t=1, m=64 KiB instead of the deliberate ~0.1-1 s per hash: hundreds of sign-ups and
# sign-ins per run, in this process and in the app processes the tests start (they inherit the
# environment). Production ignores it; tests/unit/backend/security/test_passwords.py checks that.
os.environ.setdefault("AGENTHUB_PASSWORD_HASH_PROFILE", "test")


def _reset_caches() -> None:
    from backend.config import get_settings
    from backend.db import dispose_engines
    from backend.security.keys import get_vault
    from backend.security.throttle import get_signin_throttle

    dispose_engines()
    get_settings.cache_clear()
    get_vault.cache_clear()
    get_signin_throttle.cache_clear()


def _reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    from backend.config import Settings

    engine = sa.create_engine(Settings(database_url=url).resolved_database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh AGENTHUB_DATA_DIR and a migrated database for the whole test session."""
    path = tmp_path_factory.mktemp("agenthub-data")
    os.environ["AGENTHUB_DATA_DIR"] = str(path)
    os.environ.pop("AGENTHUB_MASTER_KEYS", None)
    _reset_caches()
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgres"):
        _reset_postgres(url)
    from backend.db import migrate

    migrate()
    yield path
    _reset_caches()


@pytest.fixture
def db() -> Iterator[object]:
    """A session on the test database that commits at the end of the test."""
    from backend.db import session_scope

    with session_scope() as session:
        yield session


@pytest.fixture
def make_actor() -> Callable[[], object]:
    """Factory: sign up a brand-new user and return their ``Actor`` (own personal workspace)."""
    from backend.accounts.actor import Actor
    from backend.accounts.service import sign_up
    from backend.db import session_scope

    def make() -> Actor:
        with session_scope() as session:
            user, _ = sign_up(
                email=f"u{uuid.uuid4().hex[:12]}@example.com", password="correct horse battery", session=session
            )
        return Actor(user_id=user.id, workspace_id=user.workspace_id)

    return make


@pytest.fixture
def actor(make_actor: Callable[[], object]) -> object:
    """A signed-up user's actor."""
    return make_actor()


@pytest.fixture
def llm_server() -> Iterator[object]:
    """A fresh local OpenAI-compatible server per test (see ``tests/support/llm_server.py``)."""
    from tests.support.llm_server import LLMTestServer

    with LLMTestServer() as server:
        yield server
