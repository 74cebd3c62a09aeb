"""Fixtures of the integration tests: a brand-new empty database of the active profile."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.config import Settings
from backend.db import get_engine


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """A new empty database: a SQLite file, or a new PostgreSQL database when DATABASE_URL is set."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    base = Settings(database_url=url).resolved_database_url
    name = f"agenthub_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        get_engine(base.rsplit("/", 1)[0] + "/" + name).dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
