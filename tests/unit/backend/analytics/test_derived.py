"""How a range of hours is cut into whole weeks, whole days and hours (``derived._pieces``)."""

from __future__ import annotations

from backend.analytics.derived import _pieces, _scans
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


def test_buckets_of_one_table_in_a_row_are_read_in_one_scan() -> None:
    tiers = [(WEEKS, 168, 336), (DAYS, 24, 360)]
    # 24 hourly chart points past the final days, then the previous period: one scan of hours
    hours = [(400 + i, 401 + i) for i in range(24)] + [(376, 400)]
    scans = _scans(tiers, HOURLY_USAGE, hours)
    assert [(t.name, len(run)) for t, run in scans] == [(HOURLY_USAGE.name, 25)]
    assert scans[0][1][0] == (376, 400, 24) and scans[0][1][-1] == (423, 424, 23)
    # two 3-day buckets in UTC+1 (23:00 to 23:00) over final days: the edge hours of both meet
    edges = [(23, 95), (95, 167)]
    assert [(t.name.rsplit("_", 1)[1], run) for t, run in _scans(tiers, HOURLY_USAGE, edges)] == [
        ("hourly", [(23, 24, 0)]),
        ("daily", [(24, 72, 0)]),
        ("hourly", [(72, 95, 0), (95, 96, 1)]),
        ("daily", [(96, 144, 1)]),
        ("hourly", [(144, 167, 1)]),
    ]
