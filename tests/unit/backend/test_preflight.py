"""Start-up checks: every missing or unreachable service is named by its variable (issue 17)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from backend.config import Settings
from backend.db import dispose_engines
from backend.preflight import StartupError, check_services, safe_url

ROOT = Path(__file__).resolve().parents[3]


def _closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_database_and_redis_are_each_named_without_passwords(tmp_path: Path) -> None:
    port = _closed_port()
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"postgresql://app:db-secret@127.0.0.1:{port}/hub",
        redis_url=f"redis://:redis-secret@127.0.0.1:{port}/0",
    )
    try:
        with pytest.raises(StartupError) as caught:
            check_services(settings)
    finally:
        dispose_engines()
    message = str(caught.value)
    assert f"DATABASE_URL: cannot connect to postgresql+psycopg://app:***@127.0.0.1:{port}/hub" in message
    assert f"REDIS_URL: cannot connect to Redis at redis://:***@127.0.0.1:{port}/0" in message
    assert "secret" not in message


def test_reachable_embedded_default_passes(tmp_path: Path) -> None:
    try:
        check_services(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'a.db'}"))
    finally:
        dispose_engines()


def test_safe_url_masks_only_the_password() -> None:
    assert safe_url("redis://user:pw@h:6379/2") == "redis://user:***@h:6379/2"
    assert safe_url("s3://bucket/path") == "s3://bucket/path"


def test_worker_refuses_to_start_naming_redis_url(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AGENTHUB_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0",
    }
    done = subprocess.run(  # noqa: S603  (our own command)
        [sys.executable, "-c", "from backend.cli import main; raise SystemExit(main(['worker', '--once']))"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "REDIS_URL: cannot connect to Redis at redis://127.0.0.1:" in done.stderr
    assert "Traceback" not in done.stderr


def test_several_backend_workers_without_redis_refuse_to_start() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRANIAN_WORKERS": "2"}
    for name in ("REDIS_URL", "AGENTHUB_REDIS_URL", "REFLEX_REDIS_URL"):
        env.pop(name, None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import rxconfig"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and "REDIS_URL is required when GRANIAN_WORKERS is above 1" in done.stderr


def test_redis_url_alone_puts_reflex_state_in_redis() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": "redis://127.0.0.1:6379/5"}
    env.pop("REFLEX_REDIS_URL", None)
    code = "import rxconfig; c = rxconfig.config; print(c.state_manager_mode, c.redis_url)"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split() == ["redis", "redis://127.0.0.1:6379/5"], done.stdout + done.stderr
