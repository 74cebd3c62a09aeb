"""SIGTERM of the app instance serving a browser mid-reply (issue 17, graceful shutdown; docs/deploy.md):
the instance lets the reply in flight finish (``AGENTHUB_SHUTDOWN_GRACE_S``) and stores it with its
usage, exits cleanly within its timeout, and the browser carries on through the other instance;
nothing is lost or doubled. Then the instance is started again (as its supervisor would)."""

from __future__ import annotations

import os
import signal
import time

import pytest
from playwright.sync_api import expect

from tests.support.e2e import actor_for, add_agent, add_connection, conversation_id_from, send, sign_up
from tests.support.scaleout_checks import ledger, wait_for

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(600)]
REPLY = " ".join(f"word{i}" for i in range(100))  # 100 chunks, 40 ms apart: about 4 s of streaming
KILL_TIMEOUT_S = 25  # dashboard.serve's workers_kill_timeout: past it the worker would be killed


def test_sigterm_app_instance_mid_reply_finishes_the_reply(page, profile, llm) -> None:  # type: ignore[no-untyped-def]
    llm.reply, llm.chunk_delay_ms = REPLY, 40
    actor = actor_for(sign_up(page))
    add_agent(actor, add_connection(actor, llm), name="Graceful")
    page.goto("/chat")
    expect(page.get_by_role("heading", name="Graceful").first).to_be_visible(timeout=30_000)
    send(page, "Count for me")
    expect(page.locator("#stream-reply")).to_contain_text("word5", timeout=30_000)
    conv = conversation_id_from(page.url)
    victim = profile.web_serving_websocket()
    other, proc = 1 - victim, profile.webs[victim]
    port, sent_at = proc.port, time.monotonic()
    os.killpg(proc.popen.pid, signal.SIGTERM)  # what systemd / the orchestrator sends first
    try:
        # The instance stops taking traffic: the browser's socket reconnects to the other one.
        wait_for(lambda: profile.lb.connections(other, b"/_event") >= 1, timeout_s=30)
        # The reply in flight finishes on the stopping instance, stored whole with its usage.
        done = wait_for(lambda: (lg := ledger(conv)) and "running" not in lg.runs.values() and lg, timeout_s=30)
        assert done.roles == ["user", "assistant"]  # type: ignore[attr-defined]
        assert done.assistant_texts == [REPLY]  # type: ignore[attr-defined]
        [(run_id, status)] = done.runs.items()  # type: ignore[attr-defined]
        assert status == "succeeded"
        [(_, prompt, completion)] = done.usage[run_id]  # type: ignore[attr-defined]
        assert prompt > 0 and completion == len(REPLY.split())
        # ...and then the process exits by itself, cleanly and within its timeout.
        assert proc.popen.wait(KILL_TIMEOUT_S + 5) == 0, proc.tail()
        assert time.monotonic() - sent_at < KILL_TIMEOUT_S, "the instance waited for its kill timeout"
        # The browser carries on through the other instance: the whole reply, then a new turn.
        page.reload()
        expect(page.locator(".chat-msg-user")).to_have_text(["Count for me"])
        expect(page.locator(".chat-reply").last).to_have_text(REPLY)
        llm.reply, llm.chunk_delay_ms = "Still here.", 0
        send(page, "Still there?")
        expect(page.locator(".chat-reply").last).to_have_text("Still here.", timeout=30_000)
        after = ledger(conv)
        assert after.roles == ["user", "assistant", "user", "assistant"]
        assert sorted(after.runs.values()) == ["succeeded", "succeeded"]
        assert all(len(records) == 1 for records in after.usage.values())
    finally:
        if proc.alive():
            proc.kill9()
        profile.start_web(victim, port)  # the supervisor starts it again (systemd Restart=always)
        profile.wait_ready(profile.webs[victim])
