"""``runs`` read through a named index on SQLite (``INDEXED BY``), plain ``runs`` elsewhere.

SQLite has no planner statistics in production (nothing runs ``ANALYZE``), so it guesses: it read
an agent's runs through the wrong index, and the rollup's hourly pass read every finished run
through ``ix_runs_status`` instead of the hour's range. Queries whose cost must not grow with the
table name the index they need; PostgreSQL's planner, which has statistics, chooses for itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import TableClause

from backend.models.analytics import RUNS_AGENT_INDEX, RUNS_FAILED_INDEX, RUNS_FINISHED_INDEX, RUNS_SLOWEST_INDEX
from backend.models.chat import Run


class _IndexedRuns(TableClause):
    index = ""
    inherit_cache = True


def _indexed_runs(index: str) -> type[_IndexedRuns]:
    return type(f"_Runs_{index}", (_IndexedRuns,), {"index": index, "inherit_cache": True})


_RUN_COLUMNS = [c.name for c in Run.__table__.columns]  # type: ignore[attr-defined]
_VIA: dict[str, _IndexedRuns] = {
    str(index.name): _indexed_runs(str(index.name))(
        "runs",
        *[column(n, Run.__table__.c[n].type) for n in _RUN_COLUMNS],  # type: ignore[attr-defined]
    )
    for index in (RUNS_AGENT_INDEX, RUNS_SLOWEST_INDEX, RUNS_FAILED_INDEX, RUNS_FINISHED_INDEX)
}


@compiles(_IndexedRuns, "sqlite")
def _indexed_by(element: _IndexedRuns, compiler: Any, **kw: Any) -> str:
    text = str(compiler.visit_table(element, **kw))
    return f"{text} INDEXED BY {element.index}" if kw.get("asfrom") else text


def runs_via(index: Index) -> TableClause:
    """The ``runs`` table (all its columns) read through ``index`` on SQLite.

    Raises:
        KeyError: ``index`` is not one of the runs indexes named above.
    """
    return _VIA[str(index.name)]
