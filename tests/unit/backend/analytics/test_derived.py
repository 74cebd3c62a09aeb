"""How a range of hours is cut into whole weeks, whole days and hours (``derived._pieces``)."""

from __future__ import annotations

from backend.analytics.derived import _pieces
from backend.models.analytics import DAILY, HOURLY, WEEKLY

HOURLY_USAGE = HOURLY[0]
WEEKS, DAYS = WEEKLY[HOURLY_USAGE.name], DAILY[HOURLY_USAGE.name]


def _cut(start: int, end: int, weeks_final: int, days_final: int) -> list[tuple[str, int, int]]:
    tiers = [(WEEKS, 168, weeks_final), (DAYS, 24, days_final)]
    return [(t.name.rsplit("_", 1)[1], lo, hi) for t, lo, hi in _pieces(tiers, HOURLY_USAGE, start, end)]


def test_whole_weeks_then_whole_days_then_hours() -> None:
    assert _cut(5, 400, weeks_final=336, days_final=360) == [
        ("hourly", 5, 24),
        ("daily", 24, 168),
        ("weekly", 168, 336),
        ("daily", 336, 360),
        ("hourly", 360, 400),
    ]


def test_hours_not_yet_final_are_read_hour_by_hour() -> None:
    assert _cut(0, 400, weeks_final=0, days_final=48) == [("daily", 0, 48), ("hourly", 48, 400)]
    assert _cut(10, 20, weeks_final=336, days_final=360) == [("hourly", 10, 20)]
    assert _cut(20, 20, weeks_final=336, days_final=360) == []
