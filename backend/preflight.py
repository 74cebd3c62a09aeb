"""Start-up checks of the outside services: each problem names the variable that configures it.

The app (``dashboard.app``) and ``agenthub worker`` / ``agenthub migrate`` call :func:`check_services`
before touching anything, so an operator who mistyped ``DATABASE_URL`` or whose Redis is down gets
one plain line per problem instead of a traceback from deep inside a driver. ``/api/health`` uses
the same probes (:func:`probe_database`, :func:`probe_redis`, :func:`probe_lancedb`).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import text
from sqlalchemy.engine import make_url

from backend.config import Settings, get_settings

TIMEOUT_S = 5.0


class StartupError(RuntimeError):
    """A required service is missing or unreachable; the message names the variable(s) to fix."""


def _reason(exc: BaseException) -> str:
    """The first line of a driver error (no traceback, at most 200 characters)."""
    cause = getattr(exc, "orig", None) or exc
    line = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return line[:200]


def safe_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and logs)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def probe_database(settings: Settings | None = None) -> str | None:
    """``SELECT 1`` on the configured database. Returns None when it answers, else the reason."""
    from backend.db import get_engine

    settings = settings or get_settings()
    try:
        with get_engine(settings.resolved_database_url).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001  (reported, not raised)
        return _reason(exc)
    return None


def probe_redis(settings: Settings | None = None) -> str | None:
    """``PING`` to ``REDIS_URL`` (None when Redis is not configured or answers, else the reason)."""
    settings = settings or get_settings()
    if not settings.redis_url:
        return None
    import redis

    try:
        client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001  (reported, not raised)
        return _reason(exc)
    return None


def is_object_store(uri: str) -> bool:
    """True for an object-store LanceDB URI (``s3://``, ``gs://``, ``az://``...), False for a directory."""
    return "://" in uri and not uri.startswith("file://")


def probe_lancedb(settings: Settings | None = None) -> str | None:
    """List the tables of an object-store LanceDB (a local directory is created on demand and not
    probed). Returns None when it answers, else the reason."""
    settings = settings or get_settings()
    uri = settings.resolved_lancedb_uri
    if not is_object_store(uri):
        return None
    try:
        import lancedb

        lancedb.connect(uri).list_tables()
    except Exception as exc:  # noqa: BLE001  (reported, not raised)
        return _reason(exc)
    return None


def check_services(settings: Settings | None = None) -> None:
    """Probe the database, Redis (when ``REDIS_URL`` is set) and an object-store LanceDB.

    Raises:
        StartupError: listing every problem, one line each, naming the variable and the address
            (passwords masked), e.g. ``DATABASE_URL: cannot connect to postgresql://app:***@db:5432/hub
            (connection refused)``.
    """
    settings = settings or get_settings()
    problems: list[str] = []
    if (reason := probe_database(settings)) is not None:
        where = make_url(settings.resolved_database_url).render_as_string(hide_password=True)
        variable = "DATABASE_URL" if settings.database_url else "AGENTHUB_DATA_DIR"
        problems.append(f"{variable}: cannot connect to {where} ({reason})")
    if (reason := probe_redis(settings)) is not None:
        problems.append(f"REDIS_URL: cannot connect to Redis at {safe_url(settings.redis_url or '')} ({reason})")
    if (reason := probe_lancedb(settings)) is not None:
        problems.append(f"AGENTHUB_LANCEDB_URI: cannot open {safe_url(settings.resolved_lancedb_uri)} ({reason})")
    if problems:
        raise StartupError("Agent Hub cannot start:\n  " + "\n  ".join(problems))
