"""Local date ranges as UTC hours: DST days, half-hour zones, weeks, months, bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backend.analytics.periods import buckets, custom_period, preset_period
from backend.analytics.rollup import hour_of


def _hour(*args: int) -> int:
    return hour_of(datetime(*args, tzinfo=UTC))


def test_local_days_are_23_24_and_25_hours_around_dst() -> None:
    spring = buckets(custom_period(date(2026, 3, 29), date(2026, 3, 29), "Europe/Berlin", "day"))
    autumn = buckets(custom_period(date(2026, 10, 25), date(2026, 10, 25), "Europe/Berlin", "day"))
    assert [(b.label, b.end_hour - b.start_hour) for b in spring] == [("2026-03-29", 23)]
    assert [(b.label, b.end_hour - b.start_hour) for b in autumn] == [("2026-10-25", 25)]
    assert autumn[0].start_hour == _hour(2026, 10, 24, 22)  # midnight CEST is 22:00 UTC


def test_hourly_labels_repeat_the_fall_back_hour_with_its_zone() -> None:
    labels = [b.label for b in buckets(custom_period(date(2026, 11, 1), date(2026, 11, 1), "America/New_York", "hour"))]
    assert len(labels) == 25
    assert labels[1:3] == ["2026-11-01 01:00 EDT", "2026-11-01 01:00 EST"]


def test_a_half_hour_zone_starts_its_day_in_the_utc_hour_holding_midnight() -> None:
    (day,) = buckets(custom_period(date(2026, 5, 10), date(2026, 5, 10), "Asia/Kolkata", "day"))
    assert (day.label, day.start_hour) == ("2026-05-10", _hour(2026, 5, 9, 18))  # 00:00 IST = 18:30 UTC


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    weeks = buckets(custom_period(date(2026, 3, 1), date(2026, 3, 16), "UTC", "week"))
    assert [b.label for b in weeks] == [
        "Week of 2026-02-23",
        "Week of 2026-03-02",
        "Week of 2026-03-09",
        "Week of 2026-03-16",
    ]
    assert weeks[1].end_hour - weeks[1].start_hour == 7 * 24
    months = buckets(custom_period(date(2026, 1, 15), date(2026, 3, 31), "UTC", "month"))
    assert [(b.label, b.start_hour) for b in months][1] == ("2026-02", _hour(2026, 2, 1))


def test_presets_end_with_today_and_the_previous_period_touches_it() -> None:
    now = datetime(2026, 6, 10, 15, 20, tzinfo=UTC)
    week = preset_period("7d", "UTC", "day", now)
    assert (week.start_hour, week.end_hour) == (_hour(2026, 6, 4), _hour(2026, 6, 11))
    assert week.previous().end_hour == week.start_hour and week.previous().hours == week.hours
    day = preset_period("24h", "UTC", "hour", now)
    assert (day.hours, day.end_hour) == (24, _hour(2026, 6, 10, 16))


@pytest.mark.parametrize(
    ("first", "last", "tz", "granularity", "message"),
    [
        (date(2026, 3, 9), date(2026, 3, 1), "UTC", "day", "before the start"),
        (date(2026, 3, 1), date(2026, 3, 2), "Mars/Olympus", "day", "Unknown time zone"),
        (date(2026, 1, 1), date(2026, 3, 1), "UTC", "hour", "at most 14 days"),
        (date(2026, 1, 1), date(2026, 1, 2), "UTC", "fortnight", "Granularity"),
    ],
)
def test_bad_ranges_get_a_clear_message(first: date, last: date, tz: str, granularity: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        custom_period(first, last, tz, granularity)
