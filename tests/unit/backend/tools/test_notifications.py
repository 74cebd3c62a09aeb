"""Notifications: the bell (per user), mark read, the send_notification tool and SMTP e-mail."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from backend.accounts.actor import Actor, NotFound
from backend.config import Settings, get_settings
from backend.db import session_scope
from backend.models import User
from backend.tools.notifications import list_notifications, mark_read, notify, send_email, unread_count
from tests.support.smtp_server import SMTPRecorder


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SMTPRecorder]:
    """A local SMTP server configured through AGENTHUB_SMTP_* (plain SMTP, no TLS)."""
    with SMTPRecorder() as server:
        monkeypatch.setenv("AGENTHUB_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("AGENTHUB_SMTP_PORT", str(server.port))
        monkeypatch.setenv("AGENTHUB_SMTP_SENDER", "agents@example.com")
        monkeypatch.setenv("AGENTHUB_SMTP_STARTTLS", "false")
        get_settings.cache_clear()
        try:
            yield server
        finally:
            monkeypatch.undo()
            get_settings.cache_clear()


def test_bell_is_per_user(make_actor: Callable[[], Actor]) -> None:
    alice, bob = make_actor(), make_actor()
    with session_scope() as s:
        first = notify(actor=alice, title="Report ready", body="See tasks.", session=s)
        notify(actor=alice, title="Second", session=s)
    with session_scope() as s:
        assert unread_count(actor=alice, session=s) == 2 and unread_count(actor=bob, session=s) == 0
        assert list_notifications(actor=bob, session=s) == []
        with pytest.raises(NotFound):
            mark_read(actor=bob, notification_id=first.id, session=s)
    with session_scope() as s:
        assert mark_read(actor=alice, notification_id=first.id, session=s) == 1
    with session_scope() as s:
        assert [n.title for n in list_notifications(actor=alice, unread_only=True, session=s)] == ["Second"]
        assert mark_read(actor=alice, session=s) == 1
    with session_scope() as s:
        assert unread_count(actor=alice, session=s) == 0 and len(list_notifications(actor=alice, session=s)) == 2


async def test_tool_without_smtp_is_in_app_only(call_tool, actor: Actor) -> None:  # type: ignore[no-untyped-def]
    result = await call_tool("send_notification", '{"title": "Done", "message": "All good", "email": true}')
    assert result.ok and result.output["emailed"] is False and "not configured" in result.output["email_note"]
    with session_scope() as s:
        assert [n.title for n in list_notifications(actor=actor, session=s)] == ["Done"]


async def test_tool_sends_email_when_configured(call_tool, actor: Actor, smtp: SMTPRecorder) -> None:  # type: ignore[no-untyped-def]
    result = await call_tool("send_notification", '{"title": "Invoice paid", "message": "Thanks!", "email": true}')
    assert result.ok and result.output["emailed"] is True, result
    with session_scope() as s:
        email = s.get(User, actor.user_id).email  # type: ignore[union-attr]
        assert list_notifications(actor=actor, session=s)[0].emailed is True
    [message] = smtp.messages
    assert message["rcpt_to"] == [f"<{email}>"] and "Subject: Invoice paid" in message["data"]
    assert "Thanks!" in message["data"]


def test_send_email_failure_raises_oserror() -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=9, smtp_sender="a@example.com", smtp_starttls=False)
    with pytest.raises(OSError):
        send_email(to="b@example.com", subject="s", body="b", settings=settings)
