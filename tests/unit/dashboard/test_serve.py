"""``python -m dashboard.serve`` refuses to start, naming the variable, when a service is down."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_unreachable_redis_stops_the_instance_before_any_worker(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AGENTHUB_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
    }
    done = subprocess.run(  # noqa: S603  (our own command)
        [sys.executable, "-m", "dashboard.serve", "--port", "0", "--workers", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert f"REDIS_URL: cannot connect to Redis at redis://127.0.0.1:{port}/0" in done.stderr
    assert "Traceback" not in done.stderr
