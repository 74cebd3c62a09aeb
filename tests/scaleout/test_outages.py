"""Redis and PostgreSQL outages on the scale-out profile (issue 17, faults 3 and 4).

Redis is the profile's private ``redis-server``, killed and started empty (the worst case: every
Reflex state and rate-limit window is gone). PostgreSQL is cut at the TCP proxy the processes use
(every connection dropped, new ones refused: what a restart looks like to the app).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.e2e import actor_for, add_agent, add_connection, conversation_id_from, send, sign_up
from tests.support.scaleout_checks import ledger, wait_for

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(600)]


def _chat_once(page, text: str, reply: str) -> None:  # type: ignore[no-untyped-def]
    send(page, text)
    expect(page.locator(".chat-reply").last).to_have_text(reply, timeout=30_000)
    expect(page.get_by_role("button", name="Stop")).to_have_count(0, timeout=30_000)


def _signed_in_chat(page, llm, name: str):  # type: ignore[no-untyped-def]
    llm.reply, llm.chunk_delay_ms = "First answer.", 0
    actor = actor_for(sign_up(page))
    add_agent(actor, add_connection(actor, llm), name=name)
    page.goto("/chat")
    expect(page.get_by_role("heading", name=name).first).to_be_visible(timeout=30_000)
    _chat_once(page, "Hello", "First answer.")
    return actor, conversation_id_from(page.url)


def _assert_two_clean_turns(conv: str) -> None:
    after = ledger(conv)
    assert after.roles == ["user", "assistant", "user", "assistant"]
    assert sorted(after.runs.values()) == ["succeeded", "succeeded"]
    assert sorted(len(records) for records in after.usage.values()) == [1, 1]


def test_redis_restart_keeps_users_signed_in_and_limits_working(page, profile, llm) -> None:  # type: ignore[no-untyped-def]
    _, conv = _signed_in_chat(page, llm, "Redis survivor")
    profile.restart_redis()  # every key gone: sessions' Reflex state, rate-limit windows
    wait_for(lambda: profile.health()[1]["redis"] == "ok", timeout_s=30)
    # The user carries on: the sign-in cookie (a session in PostgreSQL) still holds.
    page.goto(f"/chat?c={conv}")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator(".chat-msg-user")).to_have_text(["Hello"])
    llm.reply = "Second answer."
    _chat_once(page, "Again", "Second answer.")  # the gateway's rate limiter works on the new Redis
    _assert_two_clean_turns(conv)
    # Workers beat again into the new Redis.
    # (A beat every 5 s; allow for a machine busy with the other processes.)
    seen: list[object] = []

    def both_beating() -> bool:
        seen.append(profile.health()[1]["workers"])
        return seen[-1] == {"in_process": False, "live": 2}

    try:
        wait_for(both_beating, timeout_s=60, every_s=1)
    except TimeoutError as exc:
        raise AssertionError(f"workers after the Redis restart: {seen[-5:]}") from exc


def test_postgres_outage_fails_clearly_and_recovers_without_restart(page, profile, llm) -> None:  # type: ignore[no-untyped-def]
    _, conv = _signed_in_chat(page, llm, "Postgres survivor")
    profile.db_proxy.cut()
    try:
        status, body = profile.health()
        assert status == 503 and body["database"] == "unreachable" and body["status"] == "degraded"
        # A message sent during the outage fails with a clear message at once, and is not stored.
        send(page, "During the outage")
        expect(page.get_by_text("The service is unavailable right now")).to_be_visible(timeout=20_000)
        expect(page.get_by_role("button", name="Stop")).to_have_count(0)
    finally:
        profile.db_proxy.restore()
    wait_for(lambda: profile.health()[0] == 200, timeout_s=30)
    assert all(p.alive() for p in profile.webs), "an app instance died with the database"
    page.goto(f"/chat?c={conv}")
    expect(page.locator(".chat-msg-user")).to_have_text(["Hello"])
    llm.reply = "Second answer."
    _chat_once(page, "Again", "Second answer.")
    _assert_two_clean_turns(conv)
