"""kill -9 of the app instance serving a browser mid-reply (issue 17, fault 1): the browser
reconnects through the load balancer to the other instance, the conversation shows the user's
message and the partial reply, and the run has its usage; nothing is lost or doubled."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.e2e import actor_for, add_agent, add_connection, conversation_id_from, send, sign_up
from tests.support.scaleout_checks import ledger, wait_for

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(900)]
REPLY = " ".join(f"word{i}" for i in range(600))


def test_kill_9_app_instance_mid_reply(page, profile, llm) -> None:  # type: ignore[no-untyped-def]
    llm.reply, llm.chunk_delay_ms = REPLY, 40
    email = sign_up(page)
    actor = actor_for(email)
    add_agent(actor, add_connection(actor, llm), name="Counter")
    page.goto("/chat")
    expect(page.get_by_role("heading", name="Counter").first).to_be_visible(timeout=30_000)
    send(page, "Count for me")
    stream = page.locator("#stream-reply")
    expect(stream).to_contain_text("word30", timeout=30_000)
    conv = conversation_id_from(page.url)
    victim = profile.web_serving_websocket()
    other = 1 - victim
    port = profile.webs[victim].port
    profile.webs[victim].kill9()
    try:
        # The browser's socket reconnects, through the load balancer, to the surviving instance.
        wait_for(lambda: profile.lb.connections(other, b"/_event") >= 1, timeout_s=30)
        # A worker's sweep finishes the orphaned run (AGENTHUB_RUN_STALE_AFTER_S) with its partial answer.
        done = wait_for(lambda: (lg := ledger(conv)) and "running" not in lg.runs.values() and lg, timeout_s=60)
        assert done.roles == ["user", "assistant"]  # type: ignore[attr-defined]
        [(run_id, status)] = done.runs.items()  # type: ignore[attr-defined]
        assert status == "failed"
        # The partial answer as of the last checkpoint (about once a second) before the kill.
        [text] = done.assistant_texts  # type: ignore[attr-defined]
        assert REPLY.startswith(text) and "word10" in text
        [(_, prompt, completion)] = done.usage[run_id]  # type: ignore[attr-defined]
        assert prompt > 0 and completion > 0
        page.reload()
        expect(page.locator(".chat-msg-user")).to_have_text(["Count for me"])
        expect(page.locator(".chat-reply").last).to_have_text(text.strip())
        assert profile.webs[other].alive()
        # The other instance serves new turns at once: the same conversation goes on.
        llm.reply, llm.chunk_delay_ms = "All good again.", 0
        send(page, "Still there?")
        expect(page.locator(".chat-reply").last).to_contain_text("All good again.", timeout=30_000)
        after = ledger(conv)
        assert after.roles == ["user", "assistant", "user", "assistant"]
        assert sorted(after.runs.values()) == ["failed", "succeeded"]
        assert all(len(records) == 1 for records in after.usage.values())
    finally:
        profile.start_web(victim, port)  # the supervisor restarts it (systemd Restart=always)
        profile.wait_ready(profile.webs[victim])
