"""Run streams of the developer API: numbered events, replay after a number, and the grace
period after the last reader left (then the run is cancelled, like Stop)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest

from backend.api import streams
from backend.config import get_settings
from backend.runtime.events import RunDone, RunEvent, RunStarted, TextDelta


def _run(words: int, delay_s: float, log: list[str]) -> tuple[RunStarted, AsyncGenerator[RunEvent, None]]:
    started = RunStarted("run1", "conv1", "msg1")

    async def gen() -> AsyncGenerator[RunEvent, None]:
        try:
            for i in range(words):
                await asyncio.sleep(delay_s)
                yield TextDelta(f"w{i} ")
            yield RunDone("run1", "succeeded", "m2")
        except asyncio.CancelledError:
            log.append("cancelled")
            raise

    return started, gen()


async def _take(stream: streams.RunStream, after: int, count: int) -> list[tuple[int, RunEvent]]:
    out: list[tuple[int, RunEvent]] = []
    reader = stream.follow(after)
    async for item in reader:
        if item is not None:
            out.append(item)
            if len(out) == count:
                break
    await reader.aclose()
    return out


async def test_events_are_numbered_and_replayed_after_a_number() -> None:
    log: list[str] = []
    stream = streams.start(*_run(3, 0, log), key_id="k")
    assert await stream.wait_done(5)
    everything = await _take(stream, 0, 5)
    assert [n for n, _ in everything] == [1, 2, 3, 4, 5]
    assert isinstance(everything[0][1], RunStarted) and isinstance(everything[-1][1], RunDone)
    assert [n for n, _ in await _take(stream, 3, 2)] == [4, 5]
    assert streams.find("run1", "k") is stream and streams.find("run1", "other key") is None
    assert streams.parse_last_event_id(" 7 ") == 7 and streams.parse_last_event_id("x") == 0


async def test_a_reader_returning_within_the_grace_period_keeps_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTHUB_API_RESUME_GRACE_S", "0.5")
    get_settings.cache_clear()
    log: list[str] = []
    stream = streams.start(*_run(8, 0.05, log), key_id="k")
    first = await _take(stream, 0, 2)  # then the reader leaves
    rest = await _take(stream, first[-1][0], 8)  # comes back at once
    assert [n for n, _ in rest][0] == 3
    assert await stream.wait_done(5) and log == []
    get_settings.cache_clear()


async def test_without_a_reader_after_the_grace_period_the_run_is_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTHUB_API_RESUME_GRACE_S", "0.1")
    get_settings.cache_clear()
    log: list[str] = []
    stream = streams.start(*_run(100, 0.05, log), key_id="k")
    await _take(stream, 0, 2)
    assert await stream.wait_done(5)
    assert log == ["cancelled"] and stream.done
    get_settings.cache_clear()
