"""Watch what the database engine does during a test: transactions begun, threads that query."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from backend.db import get_engine


@dataclass
class EngineWatch:
    """What the engine did while watched.

    Attributes:
        transactions: Transactions begun (SQLAlchemy ``begin`` events: one per session that
            touched the database).
        threads: ``threading.get_ident()`` of every thread that ran a statement.
        statements: ``(sql, parameters)`` of every statement, in order.
    """

    transactions: int = 0
    threads: set[int] = field(default_factory=set)
    statements: list[tuple[str, Any]] = field(default_factory=list)


@contextmanager
def watch_engine() -> Iterator[EngineWatch]:
    """Record transactions, statements and querying threads of the configured engine."""
    engine = get_engine()
    seen = EngineWatch()
    lock = threading.Lock()

    def on_begin(_conn: Any) -> None:
        with lock:
            seen.transactions += 1

    def on_execute(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        with lock:
            seen.threads.add(threading.get_ident())
            seen.statements.append((statement, parameters))

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "before_cursor_execute", on_execute)
