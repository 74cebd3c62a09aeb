"""The rollups' reads of raw rows on SQLite, which has no planner statistics in production: each
reads the pass's hours through its time index, whatever the table's size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from backend.analytics.sources import SOURCES
from backend.db import get_engine, migrate

TIME_INDEX = {
    "usage": "ix_usage_records_created_at",
    "end_users": "ix_usage_records_created_at",
    "runs": "ix_runs_finished_at",
    "tools": "ix_tool_audit_created_at",
}


def test_each_rollup_reads_its_hours_through_the_time_index_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    migrate(url)
    engine = get_engine(url)
    end = datetime(2026, 5, 10, 12, tzinfo=UTC)
    for source in SOURCES:
        query = source.build(end - timedelta(hours=2), end, "sqlite")
        sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as conn:
            plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
        searches = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
        # the runs rollup used ix_runs_status here: every finished run, not the pass's two hours
        assert searches and all(TIME_INDEX[source.name] in step for step in searches), (source.name, plan)
