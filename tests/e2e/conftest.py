"""End-to-end fixtures: the real app (production build) in a subprocess, driven by Chromium.

The app shares the test session's data dir and database (``tests/conftest.py``), so tests can
inspect what it stored. Set ``AGENTHUB_E2E_WEB_DIR`` to give parallel runs their own build dir.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.oidc_provider import LocalProvider, local_provider, provider_env

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("AGENTHUB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310  (local test server)
            return bool(r.status == 200)
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[LocalProvider]:
    """A local OpenID Connect provider the app is configured with ("Continue with Local ID")."""
    with local_provider() as provider:
        yield provider


@pytest.fixture(scope="session")
def app_url(data_dir: Path, tmp_path_factory: pytest.TempPathFactory, oidc_provider: LocalProvider) -> Iterator[str]:
    """Build and serve the app in production mode on a free port; yield its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "REFLEX_USE_NPM": "1",
        "REFLEX_CHECK_LATEST_VERSION": "0",
        "REFLEX_WEB_WORKDIR": os.environ.get("AGENTHUB_E2E_WEB_DIR", str(ROOT / ".web-e2e")),
        "REFLEX_STATES_WORKDIR": str(tmp_path_factory.mktemp("states")),
        "AGENTHUB_DATA_DIR": str(data_dir),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        # Every test signs up from 127.0.0.1: lift the per-IP sign-up throttle (20 an hour)
        # that tests/unit/backend/accounts checks.
        "AGENTHUB_SIGNUP_ATTEMPTS_PER_HOUR": "10000",
        # The app hashes at the production cost (test_sessions checks 12 parallel sign-ups keep it
        # responsive), unlike this process (tests/conftest.py); set-up accounts come from here
        # (tests.support.e2e.new_account), and Argon2 verifies either kind of hash.
        "AGENTHUB_PASSWORD_HASH_PROFILE": "rfc9106",
        **provider_env(oidc_provider),
    }
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(  # noqa: S603
            [
                str(BIN / "reflex"),
                "run",
                "--env",
                "prod",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
                "--backend-host",
                "127.0.0.1",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 600  # a cold build installs ~180 MB of npm packages
            while not (_ok(base + "/ping") and _ok(base + "/")):
                if proc.poll() is not None:
                    raise RuntimeError(f"the app exited ({proc.returncode}):\n{log_path.read_text()[-4000:]}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the app did not start:\n{log_path.read_text()[-4000:]}")
                time.sleep(0.5)
            yield base
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            except ProcessLookupError:
                pass


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) and page, 1366x800, with the base URL set."""
    context = browser.new_context(base_url=app_url, viewport={"width": 1366, "height": 800})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()
