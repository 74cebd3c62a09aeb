"""The scale-out profile (issue 17), started once for this directory: ``deploy/Procfile``'s 2 app
instances and 2 workers on a fresh PostgreSQL database, a private Redis and LanceDB on an
S3-compatible server (moto), behind a load balancer.

Runs in its own pytest process (``make test-scaleout``; ``.ci/run`` runs it once, on PostgreSQL).
It needs ``DATABASE_URL`` pointing at PostgreSQL and ``redis-server``; without them the tests are
skipped with that reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.llm_server import LLMTestServer

DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Short timings so faults resolve within seconds (the defaults are minutes).
FAST = {
    "AGENTHUB_RUN_STALE_AFTER_S": "6",
    "AGENTHUB_MAINTENANCE_EVERY_S": "1",
    "AGENTHUB_INGEST_LEASE_S": "4",
    "AGENTHUB_SIGNUP_ATTEMPTS_PER_HOUR": "10000",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip (with the reason) where the profile's services are missing."""
    reason = ""
    if not DATABASE_URL.startswith("postgres"):
        reason = "the scale-out profile needs PostgreSQL: set DATABASE_URL=postgresql://..."
    elif shutil.which("redis-server") is None:
        reason = "the scale-out profile needs redis-server"
    if reason:
        for item in items:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Overrides the suite's fixture: a fresh, *unmigrated* database (the profile's processes race to
    migrate it) and this process's settings matching the profile's (same master key ring)."""
    from backend.security.vault import KeyRing
    from tests.conftest import _reset_caches, _reset_postgres

    path = tmp_path_factory.mktemp("scaleout")
    os.environ["AGENTHUB_DATA_DIR"] = str(path / "data")
    os.environ["AGENTHUB_LANCEDB_URI"] = str(path / "lancedb")
    os.environ["AGENTHUB_MASTER_KEYS"] = KeyRing.generate_key_string("scale1")
    os.environ.update(FAST)
    if DATABASE_URL.startswith("postgres"):
        _reset_postgres(DATABASE_URL)
    _reset_caches()
    yield path
    _reset_caches()


@pytest.fixture(scope="session")
def llm() -> Iterator[LLMTestServer]:
    """The local OpenAI-compatible model server every app instance calls (reply set per test)."""
    with LLMTestServer() as server:
        os.environ["AGENTHUB_MODEL_ENDPOINT_ALLOW"] = f"127.0.0.1:{server._port}"
        yield server


@pytest.fixture(scope="session")
def profile(data_dir: Path, llm: LLMTestServer) -> Iterator[object]:
    """The running profile (``tests.support.scaleout.Profile``)."""
    from backend.config import get_settings
    from tests.support.s3_server import s3_server
    from tests.support.scaleout import start_profile

    with s3_server() as (bucket, aws):  # LanceDB on object storage, shared by every process
        os.environ.update(aws)
        os.environ["AGENTHUB_LANCEDB_URI"] = f"s3://{bucket}/lancedb"
        get_settings.cache_clear()  # this process's store follows (the worker test counts passages there)
        extra = {
            **FAST,
            **aws,
            "AGENTHUB_LANCEDB_URI": os.environ["AGENTHUB_LANCEDB_URI"],
            "AGENTHUB_MASTER_KEYS": os.environ["AGENTHUB_MASTER_KEYS"],
            "AGENTHUB_MODEL_ENDPOINT_ALLOW": os.environ["AGENTHUB_MODEL_ENDPOINT_ALLOW"],
        }
        running = start_profile(data_dir, DATABASE_URL, extra_env=extra)
        yield running
        running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium through Playwright (as in tests/e2e)."""
    from playwright.sync_api import sync_playwright

    from tests.support.scaleout import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, profile) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser context on the load balancer's origin."""
    context = browser.new_context(base_url=profile.url, viewport={"width": 1366, "height": 800})
    context.set_default_timeout(20_000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test's report carries the end of every profile process's log (what CI prints)."""
    outcome = yield
    report = outcome.get_result()
    running = getattr(item, "funcargs", {}).get("profile")
    if report.failed and running is not None:
        for proc in [*running.webs, *running.workers]:
            report.sections.append((f"{proc.name} log (alive={proc.alive()})", proc.tail(4000)))
