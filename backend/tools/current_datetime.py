"""Built-in tool ``current_datetime``: the current date and time in an IANA time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.tools.base import Tool, ToolContext, ToolError, object_schema


def now_in(zone_name: str, *, clock: Callable[[], datetime] | None = None) -> dict[str, Any]:
    """The current time in ``zone_name``.

    Args:
        zone_name: An IANA time zone name (``"Europe/Berlin"``, ``"America/New_York"``, ``"UTC"``).
        clock: Returns an aware UTC ``datetime`` (default: the system clock); for tests.

    Returns:
        ``{"timezone", "iso", "date", "time", "weekday", "utc_offset", "unix"}``; ``iso`` is
        ISO 8601 with offset, ``utc_offset`` like ``"+02:00"``, ``unix`` seconds since the epoch.

    Raises:
        ToolError: ``zone_name`` is not a known IANA time zone.
    """
    name = zone_name.strip() or "UTC"
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ToolError(
            f"Unknown time zone {zone_name!r}. Use an IANA name such as 'Europe/Berlin', 'America/New_York' or 'UTC'."
        ) from None
    now = (clock or (lambda: datetime.now(UTC)))().astimezone(zone)
    offset = now.strftime("%z")
    return {
        "timezone": name,
        "iso": now.isoformat(timespec="seconds"),
        "date": now.date().isoformat(),
        "time": now.strftime("%H:%M:%S"),
        "weekday": now.strftime("%A"),
        "utc_offset": f"{offset[:3]}:{offset[3:]}",
        "unix": int(now.timestamp()),
    }


async def _run(arguments: dict[str, Any], _context: ToolContext) -> dict[str, Any]:
    return now_in(arguments.get("timezone", "UTC"))


TOOL = Tool(
    name="current_datetime",
    title="Current date and time",
    description="The current date, time and weekday in an IANA time zone (default UTC).",
    parameters=object_schema(
        {
            "timezone": {
                "type": "string",
                "description": "IANA time zone name, e.g. 'Europe/Berlin' or 'America/New_York'.",
                "default": "UTC",
                "maxLength": 64,
            }
        }
    ),
    handler=_run,
    risk="read",
    summarize=lambda out: f"{out['iso']} ({out['timezone']})",
)
