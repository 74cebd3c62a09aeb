"""Every table and chart of the analytics page as one shape, exported as CSV or JSON.

A :class:`Table` holds exactly the cells the page shows, so a download matches the screen.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from backend.models.gateway import NANO_PER_USD

Cell = str | int | float | None


def usd(nano_usd: int) -> str:
    """Integer nano-USD as a USD amount with 6 decimals, rounded half up (``1_234_567`` -> ``"0.001235"``)."""
    micro = (abs(nano_usd) + 500) // 1000
    sign = "-" if nano_usd < 0 else ""
    return f"{sign}{micro // 1_000_000}.{micro % 1_000_000:06d}"


def usd_float(nano_usd: int) -> float:
    """Nano-USD as float USD for chart axes only (never added up again)."""
    return round(nano_usd / NANO_PER_USD, 6)


def percent(part: int, whole: int) -> float | None:
    """``part / whole`` in percent with one decimal, None when ``whole`` is 0."""
    return round(100 * part / whole, 1) if whole else None


def change(current: int, previous: int) -> float | None:
    """Change against the previous period in percent (one decimal), None when it had nothing."""
    return round(100 * (current - previous) / previous, 1) if previous else None


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse(text: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading ``'`` (OWASP "CSV injection")."""
    return "'" + text if text.startswith(_FORMULA_START) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Table:
    """A titled table: ``columns`` (snake_case names, also the CSV header and JSON keys) and rows of
    cells (``None`` shows as empty)."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def records(self) -> list[dict[str, Cell]]:
        """The rows as ``{column: cell}`` dicts (JSON export, chart data)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def text_rows(self) -> list[list[str]]:
        """The rows as the page shows them: every cell as text, ``None`` as ``""``."""
        return [["" if cell is None else str(cell) for cell in row] for row in self.rows]

    def to_csv(self) -> str:
        """CSV (RFC 4180, ``\\r\\n`` line ends) with a header row; the cells of :meth:`text_rows`."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        writer.writerows([[_defuse(cell) for cell in row] for row in self.text_rows()])
        return out.getvalue()

    def to_json(self) -> str:
        """``{"table": key, "title": ..., "rows": [{column: cell}, ...]}`` as JSON text."""
        return json.dumps({"table": self.key, "title": self.title, "rows": self.records()}, ensure_ascii=False)
