"""Database engine, sessions and migrations.

SQLite (embedded default) and PostgreSQL (``DATABASE_URL``) are both supported; all SQL in
the project must run on both.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from backend.config import get_settings

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
_default: tuple[Any, Engine] | None = None  # (settings, engine) of the configured database
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a commit is an append to the WAL without an fsync; the database can never
    # be corrupted, and an application crash loses nothing (only a power loss or OS crash can
    # undo the last commits). FULL (the default) costs ~1 ms of fsync per commit, which capped
    # the gateway's usage writes well below 1,000/s.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _private_sqlite_files(url: str) -> None:
    """Create the SQLite file with mode ``0600`` (or narrow it) before SQLite opens it.

    SQLite gives the ``-wal`` and ``-shm`` files the database file's mode, so they follow.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            file.chmod(0o600)


def get_engine(url: str | None = None) -> Engine:
    """Return the (cached) engine for ``url`` or the configured database.

    Args:
        url: SQLAlchemy URL; defaults to ``Settings.resolved_database_url``.

    Returns:
        A shared :class:`sqlalchemy.engine.Engine` (one per URL per process).
    """
    global _default
    settings = get_settings()
    if url is None:
        default = _default
        if default is not None and default[0] is settings:  # the hot path: one call per session
            return default[1]
    url = url or settings.resolved_database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                settings.ensure_data_dir()
                _private_sqlite_files(url)
                engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
            _engines[url] = engine
        if url == settings.resolved_database_url:
            _default = (settings, engine)
    return engine


def dispose_engines() -> None:
    """Close every cached engine (tests and CLI shutdown)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        global _default
        _default = None


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on any exception.

    Objects stay readable after commit (``expire_on_commit=False``) so services can return them.
    """
    session = Session(engine or get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None) -> Any:
    """Build our own Alembic configuration (no alembic.ini on disk is needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().resolved_database_url).replace("%", "%%"))
    return cfg


def migrate(url: str | None = None) -> None:
    """Apply every pending Alembic migration on every branch (``agenthub migrate`` and app start)."""
    from alembic import command

    command.upgrade(alembic_config(url), "heads")
