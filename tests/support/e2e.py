"""Helpers shared by the end-to-end tests: accounts through the UI, and chat set-up through the services.

The app under test shares the test session's database, so connections and agents can be created
through the backend services while the browser drives the page.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlmodel import select

PASSWORD = "e2e-password-123"


def new_email() -> str:
    """A unique email address for a test user."""
    return f"e2e-{uuid.uuid4().hex[:10]}@example.com"


def sign_up(page, email: str | None = None, password: str = PASSWORD) -> str:  # type: ignore[no-untyped-def]
    """Create an account through the sign-up form and wait for the app; returns the email."""
    from playwright.sync_api import expect

    email = email or new_email()
    page.goto("/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Confirm password").fill(password)
    page.get_by_role("button", name="Create account").click()
    # argon2 hashing, the cookie hand-over (a form post and a redirect) and the first page load:
    # allow for a machine busy with other tests.
    expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=20_000)
    return email


def new_account(page, email: str | None = None, password: str = PASSWORD) -> str:  # type: ignore[no-untyped-def]
    """Set-up for tests about what comes after sign-up: create the account through the service and
    give the browser the session cookie the sign-up form would have set, then open /connections,
    where the form lands; returns the email. Tests of signing up itself use :func:`sign_up`.
    """
    from playwright.sync_api import expect

    from backend.accounts.service import sign_up as service_sign_up
    from backend.db import session_scope
    from backend.security.sessions import SESSION_COOKIE

    email = email or new_email()
    with session_scope() as session:
        _, token = service_sign_up(email=email, password=password, session=session)
    cookie = {"name": SESSION_COOKIE, "value": token, "domain": "127.0.0.1", "path": "/"}
    page.context.add_cookies([{**cookie, "httpOnly": True, "sameSite": "Lax"}])
    page.goto("/connections")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=20_000)
    return email


FILLER = "This sentence is here so the reply takes a while to stream in, word by word, to the page."
REPLY = (
    "Here is **hello world** in Python:\n\n"
    "```python\nprint('hello world')\n```\n\n"
    f"Run it with `python hello.py`. {FILLER} {FILLER} The end."
)


def actor_for(email: str):  # type: ignore[no-untyped-def]
    """The ``Actor`` of a user who signed up in the browser (their personal workspace)."""
    from backend.accounts.actor import Actor
    from backend.db import session_scope
    from backend.models import User, Workspace

    with session_scope() as s:
        user = s.exec(select(User).where(User.email == email.lower())).one()
        ws = s.exec(select(Workspace).where(Workspace.owner_id == user.id)).first()
        assert ws is not None
        return Actor(user_id=user.id, workspace_id=ws.id)


def add_connection(actor, llm_server, *, api_key: str | None = None, check: bool = False) -> str:  # type: ignore[no-untyped-def]
    """An "OpenAI-compatible endpoint" connection to the test server; optionally tested."""
    from backend.connections.service import create_connection
    from backend.db import session_scope
    from backend.gateway.probe import check_connection

    with session_scope() as s:
        conn = create_connection(
            actor=actor,
            name="Local test server",
            provider="openai_compatible",
            api_key=api_key or llm_server.api_key,
            base_url=llm_server.base_url,
            session=s,
        )
    if check:

        async def _check() -> str:
            with session_scope() as s:
                return (await check_connection(actor=actor, connection_id=conn.id, session=s)).status

        with ThreadPoolExecutor(1) as pool:  # a loop of its own, away from Playwright's
            assert pool.submit(asyncio.run, _check()).result() == "ok"
    return conn.id


def add_agent(  # type: ignore[no-untyped-def]
    actor,
    connection_id: str,
    *,
    name: str = "Helper",
    starters: tuple[str, ...] = (),
    instructions: str = "Answer briefly.",
) -> str:
    """An agent on ``test-model`` (a model LiteLLM has no price for)."""
    from backend.agents.service import create_agent
    from backend.db import session_scope
    from backend.models import BlueprintFields

    fields = BlueprintFields(
        name=name,
        avatar="🦉",
        connection_id=connection_id,
        model="test-model",
        instructions=instructions,
        starters=list(starters),
    )
    with session_scope() as s:
        return create_agent(actor=actor, fields=fields, session=s)


def stored_messages(actor, conversation_id: str):  # type: ignore[no-untyped-def]
    """The conversation as stored (``MessagePublic`` rows with run figures)."""
    from backend.chat.service import get_messages
    from backend.db import session_scope

    with session_scope() as s:
        return get_messages(actor=actor, conversation_id=conversation_id, session=s)


def conversation_id_from(url: str) -> str:
    """The ``c`` query parameter of the chat page's URL."""
    match = re.search(r"[?&]c=([A-Za-z0-9_-]+)", url)
    assert match, url
    return match.group(1)


def assert_no_plaintext_key(data_dir: Path, key: str) -> None:
    """The API key must never be stored readable: not in the SQLite file(s), not in any column."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import sqlalchemy as sa

        from backend.db import session_scope

        with session_scope() as s:
            cols = [c["name"] for c in sa.inspect(s.get_bind()).get_columns("connections")]
            for row in s.execute(sa.text(f"SELECT {', '.join(cols)} FROM connections")).all():  # noqa: S608
                for value in row:
                    assert key not in str(value)
        return
    files = [p for p in data_dir.glob("agenthub.db*") if p.is_file()]
    assert any(p.name == "agenthub.db" for p in files), files
    for path in files:
        assert key.encode() not in path.read_bytes(), f"plaintext key found in {path.name}"


def send(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type a message in the composer and press Send."""
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_role("button", name="Send").click()


# ------------------------------------------------------------------------------- tests
