"""Issue 9, findings 5-7 and the sign-in lows, in Chromium against the production build.

The session token must live only in an HttpOnly cookie set by the server: never readable by
script, never in a websocket frame, never in the log; sessions end when idle, everywhere on
request and on a password change; hashing stays off the event loop.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from backend.db import session_scope
from backend.models import AuthSession
from backend.models.common import utcnow
from backend.security.sessions import SESSION_COOKIE, hash_token
from tests.support.e2e import PASSWORD, new_email, sign_up

pytestmark = pytest.mark.e2e


def _session_cookie(context) -> dict:  # type: ignore[no-untyped-def]
    cookies = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
    assert len(cookies) == 1, context.cookies()
    return cookies[0]


def _sign_in(page, email: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _signed_out(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/agents")
    expect(page).to_have_url(re.compile(r"/signin"))


def test_session_cookie_is_httponly_lax_and_never_reaches_script_or_state(page) -> None:  # type: ignore[no-untyped-def]
    frames: list[str] = []

    def watch(ws) -> None:  # type: ignore[no-untyped-def]
        ws.on("framereceived", lambda payload: frames.append(str(payload)))
        ws.on("framesent", lambda payload: frames.append(str(payload)))

    page.on("websocket", watch)
    sign_up(page)
    cookie = _session_cookie(page.context)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # plain http here; https is checked in tests/unit/backend/api
    assert cookie["path"] == "/"
    token = cookie["value"]
    with session_scope() as s:  # the cookie holds a live session
        assert s.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).first() is not None
    assert token not in page.evaluate("document.cookie")
    page.goto("/agents")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert frames, "no websocket frame was seen"
    assert not [f for f in frames if token in f]


def test_idle_session_ends(page) -> None:  # type: ignore[no-untyped-def]
    sign_up(page)
    token = _session_cookie(page.context)["value"]
    with session_scope() as s:
        row = s.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).one()
        row.last_seen_at = utcnow() - timedelta(hours=12, minutes=1)
        s.add(row)
    _signed_out(page)


def test_sign_out_clears_the_cookie_and_ends_the_session(page) -> None:  # type: ignore[no-untyped-def]
    sign_up(page)
    token = _session_cookie(page.context)["value"]
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin"))
    assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    with session_scope() as s:
        row = s.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).one()
        assert row.revoked_at is not None


def test_sign_out_everywhere_ends_another_browsers_session(browser, app_url: str) -> None:  # type: ignore[no-untyped-def]
    first, second = (browser.new_context(base_url=app_url) for _ in range(2))
    try:
        mine, theirs = first.new_page(), second.new_page()
        email = sign_up(mine)
        _sign_in(theirs, email)
        mine.goto("/account")
        mine.get_by_role("button", name="Sign out everywhere").click()
        expect(mine).to_have_url(re.compile(r"/signin"))
        _signed_out(theirs)
        _signed_out(mine)
    finally:
        first.close()
        second.close()


def test_change_password_keeps_this_browser_and_signs_out_the_others(browser, app_url: str) -> None:  # type: ignore[no-untyped-def]
    first, second = (browser.new_context(base_url=app_url) for _ in range(2))
    try:
        mine, theirs = first.new_page(), second.new_page()
        email = sign_up(mine)
        _sign_in(theirs, email)
        mine.goto("/account")
        mine.get_by_label("Current password").fill("not the password")
        mine.get_by_label("New password", exact=True).fill("violet tractor harmonica")
        mine.get_by_label("Confirm new password").fill("violet tractor harmonica")
        mine.get_by_role("button", name="Change password").click()
        expect(mine.get_by_text("The current password is not correct.")).to_be_visible()
        mine.get_by_label("Current password").fill(PASSWORD)
        mine.get_by_label("New password", exact=True).fill("password123")
        mine.get_by_label("Confirm new password").fill("password123")
        mine.get_by_role("button", name="Change password").click()
        expect(mine.get_by_text("too easy to guess")).to_be_visible()
        mine.get_by_label("Current password").fill(PASSWORD)
        mine.get_by_label("New password", exact=True).fill("violet tractor harmonica")
        mine.get_by_label("Confirm new password").fill("violet tractor harmonica")
        mine.get_by_role("button", name="Change password").click()
        expect(mine.get_by_text("Password changed.")).to_be_visible()
        _signed_out(theirs)
        mine.goto("/agents")
        expect(mine.get_by_role("button", name="Sign out")).to_be_visible()
        _sign_in(theirs, email, "violet tractor harmonica")
    finally:
        first.close()
        second.close()


def test_common_password_is_refused_with_a_hint(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/signup")
    page.get_by_label("Email").fill(new_email())
    page.get_by_label("Password", exact=True).fill("password123")
    page.get_by_label("Confirm password").fill("password123")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("too easy to guess")).to_be_visible()
    expect(page.get_by_text("This is a very common password")).to_be_visible()


async def _send_unknown_event(app_url: str, token: str) -> None:
    import socketio  # python-socketio (a Reflex dependency); aiohttp gives it the websocket transport

    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        f"{app_url}?token=log-scan-{time.time_ns()}",
        socketio_path="/_event",
        namespaces=["/_event"],
        transports=["websocket"],
        headers={"Cookie": f"{SESSION_COOKIE}={token}", "Origin": app_url},
    )
    await client.emit(
        "event",
        {
            "name": "reflex___state____state.dashboard___auth___pages____auth_form_state.renamed_handler",
            "payload": {},
            "router_data": {"pathname": "/agents", "query": {}},
        },
        namespace="/_event",
    )
    await asyncio.sleep(1.5)
    await client.disconnect()


def test_unknown_event_is_logged_without_the_session_token(page, app_url: str, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 9 finding 6: a tab left open across a deploy sends an event the server no longer knows."""
    sign_up(page)
    token = _session_cookie(page.context)["value"]
    log = data_dir / "server.log"
    start = log.stat().st_size
    worker = threading.Thread(target=lambda: asyncio.run(_send_unknown_event(app_url, token)))
    worker.start()
    worker.join(30)
    deadline = time.monotonic() + 10
    text = ""
    while time.monotonic() < deadline:
        text = log.read_bytes()[start:].decode("utf-8", "replace")
        if "renamed_handler" in text:
            break
        time.sleep(0.2)
    assert "renamed_handler" in text, f"the unknown event was not logged:\n{text[-2000:]}"
    assert token not in log.read_text(errors="replace")


def _health_ms(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310  (local test server)
        r.read()
    return (time.perf_counter() - start) * 1000


def test_parallel_sign_ups_keep_the_server_responsive(browser, app_url: str) -> None:  # type: ignore[no-untyped-def]
    """Issue 9 finding 7: 12 parallel sign-ups raised /api/health's worst latency to 1,556 ms.

    Argon2 (t=3, 64 MiB) now runs in worker threads; on a shared 2-core machine the hashing
    still takes CPU from the event loop, so the bound is generous (p95 < 300 ms, measured
    ~20-60 ms) yet far below what hashing on the loop gives (each hash blocks every user).
    """
    contexts = [browser.new_context(base_url=app_url) for _ in range(12)]
    try:
        pages = []
        for ctx in contexts:
            pg = ctx.new_page()
            pg.goto("/signup")
            pg.get_by_label("Email").fill(new_email())
            pg.get_by_label("Password", exact=True).fill(PASSWORD)
            pg.get_by_label("Confirm password").fill(PASSWORD)
            pages.append(pg)
        samples: list[float] = []
        stop = threading.Event()

        def poll() -> None:
            while not stop.is_set():
                samples.append(_health_ms(app_url + "/api/health"))
                time.sleep(0.02)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            for pg in pages:
                pg.get_by_role("button", name="Create account").click()
            for pg in pages:
                expect(pg.get_by_role("button", name="Sign out")).to_be_visible(timeout=90_000)
        finally:
            stop.set()
            poller.join()
        p95 = statistics.quantiles(samples, n=20)[-1]
        print(f"/api/health during 12 sign-ups: n={len(samples)} p95={p95:.0f} ms max={max(samples):.0f} ms")
        assert p95 < 300, (p95, max(samples))
    finally:
        for ctx in contexts:
            ctx.close()


def test_a_page_left_open_after_the_session_ended_goes_to_sign_in_on_the_next_action(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    # Regression: handlers that met a signed-out user silently did nothing (or showed "Signed
    # out." in the preview pane); every handler now ends in the one SignedOut -> /signin mapping.
    from backend.accounts.service import sign_out_everywhere
    from tests.support.e2e import actor_for, add_agent, add_connection

    actor = actor_for(sign_up(page))
    agent_id = add_agent(actor, add_connection(actor, llm_server))
    page.goto(f"/agents/{agent_id}")
    expect(page.get_by_label("Message to the preview")).to_be_visible()
    with session_scope() as s:
        assert sign_out_everywhere(user_id=actor.user_id, session=s) >= 1
    page.get_by_label("Message to the preview").fill("Still there?")
    page.get_by_role("button", name="Send to preview").click()
    expect(page).to_have_url(re.compile(r"/signin"))


def test_a_chat_message_sent_after_the_session_ended_goes_to_sign_in_and_stores_nothing(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    # The chat checks the session in the same transaction that opens the run (one worker-thread
    # transaction fewer per message): a message sent after the session ended must still go to the
    # sign-in page, with nothing stored and no run started.
    from backend.accounts.service import sign_out_everywhere
    from backend.models import Conversation, Run
    from tests.support.e2e import actor_for, add_agent, add_connection, send

    actor = actor_for(sign_up(page))
    add_agent(actor, add_connection(actor, llm_server), name="Night owl")
    page.goto("/chat")
    expect(page.get_by_role("heading", name="Night owl").first).to_be_visible()
    with session_scope() as s:
        assert sign_out_everywhere(user_id=actor.user_id, session=s) >= 1
    send(page, "Anyone there?")
    expect(page).to_have_url(re.compile(r"/signin"))
    with session_scope() as s:
        assert s.exec(select(Conversation).where(Conversation.workspace_id == actor.workspace_id)).all() == []
        assert s.exec(select(Run).where(Run.workspace_id == actor.workspace_id)).all() == []
