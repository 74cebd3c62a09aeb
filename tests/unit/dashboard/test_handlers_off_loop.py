"""The chat, tasks and notifications handlers reach the database only through worker threads."""

from __future__ import annotations

import ast
import asyncio
import threading
from pathlib import Path

import pytest
from sqlmodel import Session

from dashboard.shell.db import in_session

ROOT = Path(__file__).resolve().parents[3] / "dashboard"
PAGES = [*sorted((ROOT / "chat").glob("*.py")), ROOT / "tasks" / "page.py", ROOT / "notifications" / "page.py"]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_modules_open_no_session_on_the_event_loop(path: Path) -> None:
    names = {n.id for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Attribute)}
    assert "session_scope" not in names, f"{path.name}: use dashboard.shell.db.in_session (a worker thread)"


def test_in_session_runs_the_work_in_a_worker_thread_in_one_transaction() -> None:
    seen: list[int] = []

    def work(session: Session) -> str:
        seen.append(threading.get_ident())
        return "done"

    async def main() -> tuple[str, int]:
        return await in_session(work), threading.get_ident()

    result, loop_thread = asyncio.run(main())
    assert result == "done" and seen and seen[0] != loop_thread
