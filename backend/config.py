"""Application settings, read once from the environment.

One :class:`Settings` object holds everything the domain layer needs. Values come from
environment variables (see the field aliases); the embedded default needs none of them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration.

    Attributes:
        env: ``development`` (default) or ``production``. Production refuses to start
            without ``AGENTHUB_MASTER_KEYS`` (see ``backend.security.vault``).
        data_dir: directory for the embedded defaults (SQLite file, LanceDB directory,
            generated development master key). ``AGENTHUB_DATA_DIR``, default ``./data``.
        database_url: SQLAlchemy URL. ``DATABASE_URL``; default is a SQLite file in ``data_dir``.
        redis_url: ``REDIS_URL``; when set, rate limits use Redis storage.
        master_keys: ``AGENTHUB_MASTER_KEYS``, ``"kid:base64key,..."``; first entry encrypts.
        session_ttl_hours: lifetime of a sign-in session, hours.
        signin_attempts_per_minute: failed sign-ins allowed per email and per IP each minute.
        llm_timeout_s: timeout of one model call, seconds.
    """

    model_config = SettingsConfigDict(env_prefix="AGENTHUB_", extra="ignore")

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "AGENTHUB_DATABASE_URL")
    )
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "AGENTHUB_REDIS_URL"))
    master_keys: str | None = None
    session_ttl_hours: int = 24 * 14
    signin_attempts_per_minute: int = 5
    llm_timeout_s: float = 60.0

    @property
    def is_production(self) -> bool:
        """True when ``AGENTHUB_ENV=production``."""
        return self.env == "production"

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use: ``DATABASE_URL`` or the SQLite file in ``data_dir``.

        A bare ``postgresql://`` URL is switched to the psycopg 3 driver.
        """
        url = self.database_url
        if not url:
            return f"sqlite:///{(self.data_dir / 'agenthub.db').resolve()}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url

    def ensure_data_dir(self) -> Path:
        """Create ``data_dir`` if missing and return its absolute path."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir.resolve()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once; call ``get_settings.cache_clear()`` in tests)."""
    return Settings()
