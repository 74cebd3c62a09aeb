"""The data directory and the SQLite files are private to the app's user (0700 / 0600)."""

from __future__ import annotations

import stat
from pathlib import Path

import sqlalchemy as sa

from backend.config import Settings
from backend.db import get_engine


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_dir_and_its_lancedb_dir_are_0700(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    assert Settings(data_dir=data).ensure_data_dir() == data.resolve()
    assert _mode(data) == 0o700
    assert _mode(data / "lancedb") == 0o700


def test_an_existing_world_readable_data_dir_is_narrowed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    Settings(data_dir=data).ensure_data_dir()
    assert _mode(data) == 0o700


def test_the_sqlite_database_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    engine = get_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # WAL mode: the -wal and -shm files appear on the first write
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        files = [path, path.with_name("app.db-wal"), path.with_name("app.db-shm")]
        assert all(f.exists() for f in files), files
        assert {f.name: oct(_mode(f)) for f in files} == {f.name: "0o600" for f in files}


def test_an_existing_world_readable_database_is_narrowed(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    path.touch()
    path.chmod(0o644)
    get_engine(f"sqlite:///{path}")
    assert _mode(path) == 0o600
