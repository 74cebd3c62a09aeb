"""current_datetime: IANA zones, offsets (with daylight saving) and a clear error for bad zones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.tools.base import ToolError
from backend.tools.current_datetime import now_in

SUMMER = datetime(2026, 7, 1, 12, 0, 0, tzinfo=UTC)
WINTER = datetime(2026, 1, 15, 23, 30, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "clock", "iso", "weekday", "offset"),
    [
        ("UTC", SUMMER, "2026-07-01T12:00:00+00:00", "Wednesday", "+00:00"),
        ("Europe/Berlin", SUMMER, "2026-07-01T14:00:00+02:00", "Wednesday", "+02:00"),
        ("Europe/Berlin", WINTER, "2026-01-16T00:30:00+01:00", "Friday", "+01:00"),
        ("America/New_York", WINTER, "2026-01-15T18:30:00-05:00", "Thursday", "-05:00"),
        ("Asia/Kolkata", SUMMER, "2026-07-01T17:30:00+05:30", "Wednesday", "+05:30"),
    ],
)
def test_zones(zone: str, clock: datetime, iso: str, weekday: str, offset: str) -> None:
    out = now_in(zone, clock=lambda: clock)
    assert (out["iso"], out["weekday"], out["utc_offset"], out["timezone"]) == (iso, weekday, offset, zone)
    assert out["date"] == iso[:10] and out["time"] == iso[11:19] and out["unix"] == int(clock.timestamp())


def test_blank_means_utc() -> None:
    assert now_in("  ", clock=lambda: SUMMER)["utc_offset"] == "+00:00"


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "Europe/Berlinn", "../../etc/passwd", "/etc/localtime", "+02:00"]
)
def test_unknown_zone_is_a_clear_error(zone: str) -> None:
    with pytest.raises(ToolError, match="Unknown time zone .* IANA name"):
        now_in(zone)


async def test_through_the_executor(call_tool) -> None:  # type: ignore[no-untyped-def]
    ok = await call_tool("current_datetime", '{"timezone": "Asia/Tokyo"}')
    assert ok.status == "ok" and ok.output["utc_offset"] == "+09:00"
    bad = await call_tool("current_datetime", '{"timezone": "Nowhere/Land"}')
    assert bad.status == "error" and "Unknown time zone 'Nowhere/Land'" in bad.error
