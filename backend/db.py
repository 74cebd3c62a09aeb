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
from sqlalchemy.engine import Connection, Engine, make_url
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
                # pre-ping: a connection broken by a database restart is replaced, not handed out;
                # connect_timeout (s): an unreachable server fails a request, it does not hang it.
                timeout = {"connect_timeout": 5} if url.startswith("postgresql") else {}
                engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=timeout)
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


DbConn = Session | Connection
"""What the gateway's hot-path helpers run on: an ORM session (its transaction) or a Core connection."""


def connection_of(db: DbConn) -> Connection:
    """The Core connection to execute statements on: ``db`` itself, or the session's (in its transaction)."""
    return db if isinstance(db, Connection) else db.connection()


@contextmanager
def core_transaction(engine: Engine | None = None) -> Iterator[Connection]:
    """One transaction on a plain Core connection: commits on success, rolls back on any exception.

    For hot paths that run only Core statements (the gateway's plan + hold and settle + usage
    transactions): no ORM ``Session`` is built, flushed or closed, ~90 µs of CPU less per
    transaction than :func:`session_scope` (SQLite, measured).
    """
    with (engine or get_engine()).begin() as conn:
        yield conn


def alembic_config(url: str | None = None) -> Any:
    """Build our own Alembic configuration (no alembic.ini on disk is needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().resolved_database_url).replace("%", "%%"))
    return cfg


@contextmanager
def _sqlite_migration_lock(url: str) -> Iterator[None]:
    """An exclusive ``flock`` on ``<database>.migrate-lock`` beside a SQLite file (POSIX), so processes
    starting together on one file migrate it once; nothing for in-memory databases."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    import fcntl

    fd = os.open(f"{database}.migrate-lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


# The key of the PostgreSQL advisory lock that serialises migrations (any constant bigint; ASCII "agenthub").
MIGRATION_LOCK_KEY = 0x6167656E74687562


def migrate(url: str | None = None) -> None:
    """Apply every pending Alembic migration on every branch (``agenthub migrate`` and app start).

    On SQLite it runs under a file lock beside the database file. On PostgreSQL it runs under a
    session-level advisory lock (``pg_advisory_lock``, PostgreSQL manual 9.27.10 "Advisory Lock
    Functions"): when several app and worker processes
    start together on a fresh database, one migrates and the others wait for it, then find
    nothing to do. The lock is held on its own unpooled connection, so it is released even if this
    process dies (PostgreSQL ends the session).

    Raises:
        sqlalchemy.exc.OperationalError: when the database cannot be reached.
        alembic.util.CommandError: when a migration fails.
    """
    from alembic import command

    url = url or get_settings().resolved_database_url
    if not url.startswith("postgresql"):
        get_engine(url)  # creates the data dir and the private database file first
        with _sqlite_migration_lock(url):
            command.upgrade(alembic_config(url), "heads")
        return
    from sqlalchemy import create_engine as sa_create_engine
    from sqlalchemy import text
    from sqlalchemy.pool import NullPool

    locker = sa_create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with locker.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            try:
                command.upgrade(alembic_config(url), "heads")
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
    finally:
        locker.dispose()
