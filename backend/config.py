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
        signin_attempts_per_minute: failed sign-ins allowed per (email, IP) pair each minute
            (4x that per IP; per email only a progressive delay, see ``backend.security.throttle``).
        signup_attempts_per_hour: sign-up attempts allowed per client IP each hour.
        llm_timeout_s: timeout of one model call, seconds.
        inprocess_worker: run background jobs (ingestion, re-embedding, pruning) in the app
            process; ``AGENTHUB_INPROCESS_WORKER=0`` leaves them to ``agenthub worker``.
        llm_max_retries: retries of one candidate model on a retryable error (timeout, 429, 5xx,
            unreachable) before the gateway falls back to the next one.
        llm_retry_base_delay_s: first retry delay, seconds; doubles per retry, full jitter.
        llm_retry_max_delay_s: longest retry delay, seconds; a provider asking to wait longer
            (``Retry-After``) makes the gateway fall back instead of waiting.
        budget_hold_ttl_s: seconds after which a budget reservation left by a crashed call
            expires and its money is released.
        smtp_host: ``AGENTHUB_SMTP_HOST``; when set (with ``smtp_sender``), ``send_notification``
            can also e-mail the user. Empty (default): in-app notifications only.
        smtp_port: SMTP port (587 submission with STARTTLS by default; 465 with ``smtp_ssl``).
        smtp_username / smtp_password: SMTP AUTH credentials; empty for an open relay.
        smtp_sender: the ``From`` address (``AGENTHUB_SMTP_SENDER``).
        smtp_starttls: upgrade the connection with STARTTLS (RFC 3207); ignored with ``smtp_ssl``.
        smtp_ssl: implicit TLS from the first byte (RFC 8314, port 465).
        smtp_timeout_s: SMTP connect/command timeout, seconds.
        model_endpoint_allow: ``AGENTHUB_MODEL_ENDPOINT_ALLOW``, the operator allow-list of
            private ranges that connection base URLs (model endpoints) may reach, same syntax as
            ``fetch_allow``. In development loopback model endpoints are allowed as well, so a
            local Ollama works out of the box; in production nothing private is allowed unless listed.
        public_url: ``AGENTHUB_PUBLIC_URL``, the app's own origin as browsers see it (e.g.
            ``https://hub.example.com``); the websocket Origin check and the cookie's Secure flag
            follow it. Empty: the origin the browser used, on loopback only (development).
        api_cors_origins: ``AGENTHUB_API_CORS_ORIGINS``, comma-separated origins allowed to call
            ``/api`` from a browser (the developer API's declared origins). Empty: none.
        api_resume_grace_s: ``AGENTHUB_API_RESUME_GRACE_S``: seconds a developer-API run keeps
            going after its last SSE reader disconnected (reconnect with ``Last-Event-ID`` within
            it to resume); then the run is cancelled like Stop. Default 3.
        session_idle_hours: a sign-in session ends after this many hours without activity; each
            use renews it, up to ``session_ttl_hours`` from sign-in.
        storage_quota_mb: knowledge storage allowed per workspace, MB (10**6 bytes).
        invitation_ttl_hours: ``AGENTHUB_INVITATION_TTL_HOURS``, how long a workspace invitation
            link stays usable (7 days by default).
        run_stale_after_s: a run still ``running`` this many seconds after its last sign of life
            is finished as failed by the sweep (a crashed process), keeping its partial answer.
        maintenance_every_s: seconds between two maintenance passes (stale-run sweep, expired budget
            holds, analytics rollups) of a worker (``AGENTHUB_MAINTENANCE_EVERY_S``).
        shutdown_grace_s: on SIGTERM an app process lets replies in flight finish for up to this
            many seconds, then stops the rest (recorded as cancelled with their usage)
            (``AGENTHUB_SHUTDOWN_GRACE_S``; below ``dashboard.serve``'s 25 s kill timeout).
        oidc_issuer / oidc_client_id / oidc_client_secret / oidc_name: ``AGENTHUB_OIDC_ISSUER`` etc.,
            any OpenID Connect provider ("Sign in with <oidc_name>"); shown when issuer and client
            id are set. ``oidc_google_client_id`` / ``oidc_google_client_secret``: Google;
            ``oidc_github_client_id`` / ``oidc_github_client_secret``: GitHub.
        oidc_allow: ``AGENTHUB_OIDC_ALLOW``, private ranges the server may reach when talking to a
            sign-in provider (same syntax as ``fetch_allow``; a local provider in tests).
        ingest_lease_s: a knowledge source being ingested is leased to one worker for this many
            seconds, renewed every third of it while the worker lives; a killed worker's lease
            expires and another worker re-claims the source (``AGENTHUB_INGEST_LEASE_S``).
        password_hash_profile: ``AGENTHUB_PASSWORD_HASH_PROFILE``: ``rfc9106`` (default, Argon2id
            t=3, m=64 MiB, p=4) or ``test`` (t=1, m=64 KiB, p=1) for test runs only, where the
            deliberate hashing cost would dominate; ignored when ``env`` is ``production`` (see
            :attr:`hash_profile`).
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
    signup_attempts_per_hour: int = 20
    llm_timeout_s: float = 60.0
    inprocess_worker: bool = True
    lancedb_uri: str | None = None
    max_upload_mb: float = 20.0
    fetch_allow: str = ""
    llm_max_retries: int = 2
    llm_retry_base_delay_s: float = 0.5
    llm_retry_max_delay_s: float = 8.0
    budget_hold_ttl_s: int = 900
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_sender: str = ""
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_timeout_s: float = 10.0
    model_endpoint_allow: str = ""
    public_url: str = ""
    api_cors_origins: str = ""
    api_resume_grace_s: float = 3.0
    session_idle_hours: int = 12
    storage_quota_mb: float = 500.0
    run_stale_after_s: int = 600
    invitation_ttl_hours: int = 24 * 7
    maintenance_every_s: float = 60.0
    shutdown_grace_s: float = 20.0
    ingest_lease_s: float = 120.0
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = Field(default="", repr=False)
    oidc_name: str = "OpenID Connect"
    oidc_google_client_id: str = ""
    oidc_google_client_secret: str = Field(default="", repr=False)
    oidc_github_client_id: str = ""
    oidc_github_client_secret: str = Field(default="", repr=False)
    oidc_allow: str = ""
    password_hash_profile: Literal["rfc9106", "test"] = "rfc9106"  # noqa: S105  (a profile name)

    @property
    def is_production(self) -> bool:
        """True when ``AGENTHUB_ENV=production``."""
        return self.env == "production"

    @property
    def hash_profile(self) -> Literal["rfc9106", "test"]:
        """The Argon2 profile passwords are hashed with: always ``rfc9106`` in production."""
        return "rfc9106" if self.is_production else self.password_hash_profile

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

    @property
    def resolved_lancedb_uri(self) -> str:
        """``lancedb_uri``, or the absolute path of ``data_dir/lancedb`` (the embedded default)."""
        return self.lancedb_uri or str((self.data_dir / "lancedb").resolve())

    @property
    def smtp_configured(self) -> bool:
        """True when e-mail can be sent (``smtp_host`` and ``smtp_sender`` are set)."""
        return bool(self.smtp_host and self.smtp_sender)

    @property
    def max_upload_bytes(self) -> int:
        """The upload size cap in bytes (``max_upload_mb`` x 10**6)."""
        return int(self.max_upload_mb * 1_000_000)

    def ensure_data_dir(self) -> Path:
        """Create ``data_dir`` (and the embedded LanceDB directory) private to the app's user.

        Both are made (or narrowed to) mode ``0700``: other local users cannot list or read the
        database, vectors or the development master key inside.

        Returns:
            The absolute path of ``data_dir``.

        Raises:
            OSError: when the directory cannot be created or its mode changed.
        """
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        if not self.lancedb_uri:
            lance = self.data_dir / "lancedb"
            lance.mkdir(mode=0o700, exist_ok=True)
            lance.chmod(0o700)
        return self.data_dir.resolve()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once; call ``get_settings.cache_clear()`` in tests)."""
    return Settings()
