"""The scale-out profile starts from a fresh database and reports its services (issue 17)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(900)]


def test_two_app_instances_and_two_workers_start_on_a_fresh_database(profile) -> None:  # type: ignore[no-untyped-def]
    # All four processes started at once on an empty database: one migrated, the others waited.
    assert all(p.alive() for p in [*profile.webs, *profile.workers])
    for proc in [*profile.webs, *profile.workers]:
        assert "UniqueViolation" not in proc.tail(100_000), proc.name
    engine = sa.create_engine(profile.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        heads = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert heads and len(heads) == len(set(heads))


def test_health_reports_every_service_and_both_workers(profile) -> None:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + 30
    while True:
        status, body = profile.health()
        if body.get("workers", {}).get("live") == 2 or time.monotonic() > deadline:  # type: ignore[union-attr]
            break
        time.sleep(1)
    assert status == 200
    assert body == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "lancedb": "ok",
        "workers": {"in_process": False, "live": 2},
    }
