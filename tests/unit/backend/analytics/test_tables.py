"""Money, percentiles and the CSV/JSON of a table."""

from __future__ import annotations

import json

from backend.analytics.percentiles import estimate
from backend.analytics.tables import Table, change, usd


def test_usd_is_exact_from_nano_usd() -> None:
    assert [usd(0), usd(1_234_567), usd(15_500_000), usd(2_000_000_000_000)] == [
        "0.000000",
        "0.001235",
        "0.015500",
        "2000.000000",
    ]


def test_change_is_none_without_a_previous_value() -> None:
    assert (change(150, 100), change(5, 0)) == (50.0, None)


def test_percentiles_from_a_histogram() -> None:
    counts = [0] * 17
    counts[4] = 2  # [300, 500)
    counts[6] = 1  # [750, 1000)
    assert estimate(counts, 0.5) == 450  # 1.5 of 3 values: three quarters into [300, 500)
    assert estimate([0] * 17, 0.5) is None
    assert estimate([0] * 16 + [3], 0.95) == 60_000  # the open last bucket reports its lower edge


def test_csv_and_json() -> None:
    table = Table("t", "T", ("name", "runs", "rate"), (("=HYPERLINK(1)", 3, None), ("-5", -5, 1.5)))
    assert table.to_csv() == "name,runs,rate\r\n'=HYPERLINK(1),3,\r\n-5,-5,1.5\r\n"
    assert json.loads(table.to_json())["rows"][0] == {"name": "=HYPERLINK(1)", "runs": 3, "rate": None}
