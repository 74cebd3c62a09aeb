"""Date ranges in the user's time zone and their chart buckets as ranges of UTC hours.

The rollups are hourly in UTC, so any local day, week (Monday first) or month is a range of whole
UTC hours, whatever daylight saving time does in between (a local day is 23, 24 or 25 hours).
Zones whose offset is not a whole number of hours (e.g. Asia/Kolkata, +05:30) get each boundary
at the start of the UTC hour that contains it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.analytics.rollup import hour_of

GRANULARITIES = ("hour", "day", "week", "month")
PRESETS = {"24h": 1, "7d": 7, "30d": 30, "90d": 90}
"""Preset ranges: the last N local days including today (``24h``: the last 24 whole hours)."""
MAX_DAYS = 400
MAX_HOURLY_DAYS = 14
"""Hourly buckets are offered for ranges up to this many days (a chart of 336 points)."""


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (e.g. ``"Europe/Berlin"``).

    Raises:
        ValueError: unknown zone, with a message for the user.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone “{name}”: use a name like Europe/Berlin or UTC.") from exc


@dataclass(frozen=True)
class Bucket:
    """One point of a chart: its local label and UTC hours ``[start_hour, end_hour)``."""

    label: str
    start_hour: int
    end_hour: int


@dataclass(frozen=True)
class Period:
    """A range of whole UTC hours ``[start_hour, end_hour)`` shown in ``tz`` by ``granularity``."""

    start_hour: int
    end_hour: int
    tz: str
    granularity: str

    @property
    def hours(self) -> int:
        """Length in hours."""
        return self.end_hour - self.start_hour

    def previous(self) -> Period:
        """The period of the same length that ends where this one starts."""
        return Period(self.start_hour - self.hours, self.start_hour, self.tz, self.granularity)


def _check(granularity: str, days: float) -> None:
    if granularity not in GRANULARITIES:
        raise ValueError(f"Granularity must be one of {', '.join(GRANULARITIES)}.")
    if days > MAX_DAYS:
        raise ValueError(f"Pick at most {MAX_DAYS} days.")
    if granularity == "hour" and days > MAX_HOURLY_DAYS:
        raise ValueError(f"Hourly charts cover at most {MAX_HOURLY_DAYS} days: pick day, week or month.")


def _local_midnight(day: date, tz: ZoneInfo) -> int:
    return hour_of(datetime(day.year, day.month, day.day, tzinfo=tz))


def preset_period(preset: str, tz_name: str, granularity: str, now: datetime) -> Period:
    """The period of a preset (:data:`PRESETS`) ending with the current local day (``24h``: hour).

    Raises:
        ValueError: unknown preset, zone or granularity, or hourly buckets over too many days.
    """
    if preset not in PRESETS:
        raise ValueError(f"Unknown range “{preset}”.")
    tz = zone(tz_name)
    if preset == "24h":
        end = hour_of(now) + 1
        _check(granularity, 1)
        return Period(end - 24, end, tz_name, granularity)
    today = now.astimezone(tz).date()
    return custom_period(today - timedelta(days=PRESETS[preset] - 1), today, tz_name, granularity)


def custom_period(first: date, last: date, tz_name: str, granularity: str) -> Period:
    """Local days ``first`` .. ``last`` (both included) in zone ``tz_name``.

    Raises:
        ValueError: ``last`` before ``first``, unknown zone or granularity, too long a range.
    """
    if last < first:
        raise ValueError("The end date is before the start date.")
    _check(granularity, (last - first).days + 1)
    tz = zone(tz_name)
    return Period(_local_midnight(first, tz), _local_midnight(last + timedelta(days=1), tz), tz_name, granularity)


def _next_boundary(local: datetime, granularity: str) -> date:
    day = local.date()
    if granularity == "day":
        return day + timedelta(days=1)
    if granularity == "week":
        return day + timedelta(days=7 - day.weekday())
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _label(local: datetime, granularity: str) -> str:
    if granularity == "hour":
        return local.strftime("%Y-%m-%d %H:00 %Z")
    if granularity == "day":
        return local.strftime("%Y-%m-%d")
    if granularity == "week":
        return "Week of " + (local.date() - timedelta(days=local.weekday())).isoformat()
    return local.strftime("%Y-%m")


def buckets(period: Period) -> list[Bucket]:
    """The chart points of ``period``: one per UTC hour, or per local day / week / month (the first
    and last may be partial when the period does not start or end on a boundary)."""
    tz = zone(period.tz)
    out: list[Bucket] = []
    start = period.start_hour
    while start < period.end_hour:
        # the hour's last second: in a +05:30 zone the hour holding local midnight starts at 23:30
        probe = start * 3600 + (0 if period.granularity == "hour" else 3599)
        local = datetime.fromtimestamp(probe, UTC).astimezone(tz)
        if period.granularity == "hour":
            end = start + 1
        else:
            end = max(start + 1, min(period.end_hour, _local_midnight(_next_boundary(local, period.granularity), tz)))
        out.append(Bucket(_label(local, period.granularity), start, end))
        start = end
    return out
