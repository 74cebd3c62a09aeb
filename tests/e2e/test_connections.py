"""Connection manager in the browser: add, test, rename, delete, validation, masked keys.

Row buttons are found by accessible names that include the connection's name
("Test connection Local LLM", "Edit Local LLM", "Delete Local LLM"); each connection is an
``<article>`` named after it.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from backend.db import session_scope
from backend.models import Connection
from backend.models.account import Membership, User
from tests.support.e2e import new_account

pytestmark = pytest.mark.e2e

ENDPOINT = "OpenAI-compatible endpoint"


def _stored(email: str) -> list[Connection]:
    """The connections of ``email``'s workspace, straight from the database."""
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        member = session.exec(select(Membership).where(Membership.user_id == user.id)).one()
        rows = session.exec(select(Connection).where(Connection.workspace_id == member.workspace_id)).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def _open_add_form(page):  # type: ignore[no-untyped-def]
    page.goto("/connections")
    page.get_by_role("button", name="Add connection", exact=True).click()
    form = page.get_by_role("form", name="Add a connection")
    expect(form).to_be_visible()
    return form


def _add_endpoint(page, name: str, base_url: str, key: str):  # type: ignore[no-untyped-def]
    """Add an OpenAI-compatible connection through the form; returns its row."""
    form = _open_add_form(page)
    form.get_by_label("Provider").click()
    page.get_by_role("option", name=ENDPOINT).click()
    form.get_by_label("Name").fill(name)
    form.get_by_label("Base URL").fill(base_url)
    form.get_by_label("API key").fill(key)
    page.screenshot(path="/tmp/connections-add.png")
    form.get_by_role("button", name="Save connection").click()
    expect(form).to_be_hidden()
    row = page.get_by_role("article", name=name)
    expect(row).to_be_visible()
    return row


def test_add_endpoint_shows_masked_key_and_tests_ok(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    email = new_account(page)
    expect(page).to_have_url(re.compile(r"/connections"))
    expect(page.get_by_text("No connections yet")).to_be_visible()
    page.screenshot(path="/tmp/connections-empty.png")
    key = llm_server.api_key
    row = _add_endpoint(page, "Local LLM", llm_server.base_url, key)
    masked = "sk-…" + key[-4:]
    expect(row).to_contain_text(masked)
    expect(row).to_contain_text(ENDPOINT)
    expect(row).to_contain_text(llm_server.base_url)
    expect(row).to_contain_text("Not tested")
    assert key not in page.content()

    row.get_by_role("button", name="Test connection Local LLM").click()
    expect(row).to_contain_text("OK · 2 models")
    expect(row).to_contain_text("test-model")
    expect(row).to_contain_text("gpt-4o-mini")
    expect(row).to_contain_text("Checked just now")
    assert key not in page.content()
    page.screenshot(path="/tmp/connections-ok.png", full_page=True)

    (stored,) = _stored(email)
    assert stored.status == "ok" and stored.models == ["gpt-4o-mini", "test-model"]
    assert stored.last_checked_at is not None
    assert stored.secret and key not in stored.secret and stored.key_hint == masked
    assert any(r.headers.get("authorization") == f"Bearer {key}" for r in llm_server.requests)


def test_bad_key_shows_the_providers_error(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    email = new_account(page)
    row = _add_endpoint(page, "Wrong key", llm_server.base_url, "sk-wrong-key-000000000000")
    row.get_by_role("button", name="Test connection Wrong key").click()
    expect(row).to_contain_text("Error")
    expect(row).to_contain_text("The provider rejected the API key (401 Unauthorized)")
    expect(row).to_contain_text("Incorrect API key provided")
    page.screenshot(path="/tmp/connections-error.png", full_page=True)
    (stored,) = _stored(email)
    assert stored.status == "error" and "401" in stored.status_message


def test_rename_keeps_key_then_delete_with_confirmation(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    email = new_account(page)
    key = llm_server.api_key
    row = _add_endpoint(page, "Before rename", llm_server.base_url, key)

    row.get_by_role("button", name="Edit Before rename").click()
    form = page.get_by_role("form", name="Edit Before rename")
    expect(form.get_by_text("Leave blank to keep the current key").first).to_be_visible()
    expect(form.get_by_label("API key")).to_have_value("")
    expect(form.get_by_label("Base URL")).to_have_value(llm_server.base_url)
    page.screenshot(path="/tmp/connections-edit.png", full_page=True)
    form.get_by_label("Name").fill("After rename")
    form.get_by_role("button", name="Save changes").click()
    row = page.get_by_role("article", name="After rename")
    expect(row).to_be_visible()
    expect(page.get_by_role("article", name="Before rename")).to_have_count(0)
    expect(row).to_contain_text("sk-…" + key[-4:])

    seen = len(llm_server.requests)
    row.get_by_role("button", name="Test connection After rename").click()
    expect(row).to_contain_text("OK · 2 models")
    deadline = time.monotonic() + 5
    while len(llm_server.requests) <= seen and time.monotonic() < deadline:
        time.sleep(0.05)
    assert llm_server.requests[seen].headers.get("authorization") == f"Bearer {key}"
    (stored,) = _stored(email)
    assert stored.name == "After rename" and stored.status == "ok"

    row.get_by_role("button", name="Delete After rename").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("After rename")
    page.screenshot(path="/tmp/connections-delete.png")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(row).to_be_visible()
    row.get_by_role("button", name="Delete After rename").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("article", name="After rename")).to_have_count(0)
    expect(page.get_by_text("No connections yet")).to_be_visible()
    assert _stored(email) == []


def test_empty_name_shows_inline_error_and_stores_nothing(page) -> None:  # type: ignore[no-untyped-def]
    email = new_account(page)
    form = _open_add_form(page)
    expect(form.get_by_label("Provider")).to_contain_text("OpenAI")
    form.get_by_label("API key").fill("sk-valid-looking-key-1234567890")
    form.get_by_role("button", name="Save connection").click()
    expect(form.get_by_text("Give the connection a name.")).to_be_visible()
    expect(form).to_be_visible()
    # An OpenAI connection without a key is refused inline too.
    form.get_by_label("Name").fill("No key")
    form.get_by_label("API key").fill("")
    form.get_by_role("button", name="Save connection").click()
    expect(form.get_by_text("Enter your OpenAI API key.")).to_be_visible()
    expect(form.get_by_text("Give the connection a name.")).to_have_count(0)
    page.screenshot(path="/tmp/connections-validation.png", full_page=True)
    assert _stored(email) == []


def test_test_runs_in_background_with_spinner_and_reports_timeout(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    new_account(page)
    row = _add_endpoint(page, "Slow box", llm_server.base_url, llm_server.api_key)
    llm_server.fail_next("hang")
    button = row.get_by_role("button", name="Test connection Slow box")
    button.click()
    expect(button).to_be_disabled()
    page.screenshot(path="/tmp/connections-testing.png")
    # The page stays usable while the provider is silent.
    page.get_by_role("button", name="Add connection", exact=True).click()
    expect(page.get_by_role("form", name="Add a connection")).to_be_visible()
    page.get_by_role("form", name="Add a connection").get_by_role("button", name="Cancel").click()
    expect(button).to_be_disabled()
    expect(row).to_contain_text("did not answer within", timeout=25_000)
    expect(button).to_be_enabled()
    expect(row).to_contain_text("Error")


def test_repointing_to_another_address_asks_for_the_key_again(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    """Issue 9, finding 10: a blank key field must not carry the stored key to a new host."""
    from tests.support.llm_server import LLMTestServer

    email = new_account(page)
    key = llm_server.api_key
    row = _add_endpoint(page, "Moving box", llm_server.base_url, key)
    with LLMTestServer(api_key=None) as elsewhere:
        row.get_by_role("button", name="Edit Moving box").click()
        form = page.get_by_role("form", name="Edit Moving box")
        expect(form.get_by_text("Changing the address needs the key again.")).to_be_visible()
        form.get_by_label("Base URL").fill(elsewhere.base_url)
        form.get_by_role("button", name="Save changes").click()
        expect(form.get_by_text("Enter the API key again: the address changed")).to_be_visible()
        page.screenshot(path="/tmp/connections-repoint.png", full_page=True)
        (stored,) = _stored(email)
        assert stored.base_url == llm_server.base_url
        form.get_by_label("API key").fill("sk-for-the-new-host-0000")
        form.get_by_role("button", name="Save changes").click()
        expect(form).to_be_hidden()
        (stored,) = _stored(email)
        assert stored.base_url == elsewhere.base_url and stored.key_hint.endswith("0000")
        assert all(key not in str(r.headers) for r in elsewhere.requests)
