"""Tools in the browser: the Tasks page and Inbox, the builder's Tools card (allowlist, approval,
domains), custom HTTP tools (form with validation, OpenAPI import) and the per-agent audit log.

Users sign up through the pages; connections, agents, tasks and tool calls are created through
the backend services (the app shares this test session's database).
"""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from backend.accounts.actor import Actor
from backend.agents.service import create_agent, get_blueprint
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.models import BlueprintFields, Membership, User
from backend.tools.custom import list_custom_tools
from backend.tools.executor import execute_tool_call
from backend.tools.notifications import notify
from backend.tools.tasks import create_task, list_tasks
from tests.support.e2e import new_account

pytestmark = pytest.mark.e2e

PETSTORE = json.dumps(
    {
        "openapi": "3.0.3",
        "info": {"title": "Pets", "version": "1.0"},
        "servers": [{"url": "https://pets.example.com/v1"}],
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "summary": "List all pets",
                    "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                }
            },
            "/pets/{petId}": {
                "get": {
                    "operationId": "showPetById",
                    "summary": "Info for a specific pet",
                    "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {"type": "string"}}],
                }
            },
        },
    }
)


def _actor(email: str) -> Actor:
    with session_scope() as s:
        user = s.exec(select(User).where(User.email == email)).one()
        member = s.exec(select(Membership).where(Membership.user_id == user.id)).one()
        return Actor(user_id=user.id, workspace_id=member.workspace_id)


def _in_thread(fn):  # type: ignore[no-untyped-def]
    """Run ``fn`` in a thread of its own (keeps ``asyncio.run`` away from Playwright's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


def _agent(actor: Actor, server, name: str = "Helper", **extra) -> str:  # type: ignore[no-untyped-def]
    with session_scope() as s:
        conn = create_connection(
            actor=actor,
            name="Local LLM",
            provider="openai_compatible",
            api_key=server.api_key,
            base_url=server.base_url,
            session=s,
        )
    fields = BlueprintFields(name=name, connection_id=conn.id, model="test-model", **extra)
    with session_scope() as s:
        return create_agent(actor=actor, fields=fields, session=s)


def test_tasks_page_lists_completes_and_inbox_marks_read(page) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    page.goto("/tasks")
    expect(page.get_by_text("No tasks yet")).to_be_visible()
    with session_scope() as s:
        create_task(actor=actor, title="Renew the passport", details="Before June", session=s)
        notify(actor=actor, title="Report ready", body="The weekly report is ready.", session=s)
    page.reload()
    expect(page.get_by_text("Renew the passport")).to_be_visible()
    page.get_by_role("button", name="Complete Renew the passport").click()
    expect(page.get_by_text("Completed “Renew the passport”.")).to_be_visible()
    expect(page.get_by_text("No tasks yet")).to_be_visible()
    page.get_by_role("radio", name="Done").click()
    expect(page.get_by_text("Renew the passport")).to_be_visible()
    with session_scope() as s:
        assert [t.status for t in list_tasks(actor=actor, status="all", session=s)] == ["done"]

    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_text("Report ready")).to_be_visible()
    expect(page.get_by_text("1 unread")).to_be_visible()
    page.get_by_role("button", name="Mark read: Report ready").click()
    expect(page.get_by_text("0 unread")).to_be_visible()


def test_builder_tools_card_saves_allowlist_approval_and_domains(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    agent_id = _agent(actor, llm_server)
    page.goto(f"/agents/{agent_id}?tab=tools")
    expect(page.get_by_role("heading", name="Tools", exact=True)).to_be_visible()
    expect(page.get_by_text("File a task on the workspace", exact=False).first).to_be_visible()
    page.get_by_label("Create task", exact=True).click()
    page.get_by_label("HTTP request", exact=True).click()
    page.get_by_label("Needs approval: Create task").click()
    domains = page.get_by_label("Allowed domains for HTTP request")
    domains.fill("api.example.com\n127.0.0.1\n169.254.169.254")
    domains.press("Tab")
    # local and metadata hosts are kept but flagged: the outbound policy will refuse them
    expect(page.get_by_text("127.0.0.1 is a loopback address")).to_be_visible()
    expect(page.get_by_text("169.254.169.254 is a cloud metadata address")).to_be_visible()
    expect(page.get_by_text("api.example.com is")).to_have_count(0)
    domains.fill("api.example.com")
    domains.press("Tab")
    expect(page.get_by_text("127.0.0.1 is a loopback address")).to_have_count(0)
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("Saved as v2")).to_be_visible()
    with session_scope() as s:
        bp = get_blueprint(actor=actor, agent_id=agent_id, session=s)
        assert bp.tools == ["http_request", "create_task"]
        assert bp.approval_tools == ["create_task"]
        assert bp.allowed_domains == ["api.example.com"]
    page.screenshot(path="/tmp/tools_card.png", full_page=True)

    page.reload()
    page.get_by_role("tab", name="Tools").click()
    expect(page.get_by_label("Create task", exact=True)).to_be_checked()
    expect(page.get_by_label("HTTP request", exact=True)).to_be_checked()
    expect(page.get_by_label("Calculator", exact=True)).not_to_be_checked()
    expect(page.get_by_label("Allowed domains for HTTP request")).to_have_value("api.example.com")

    # an invalid domain is refused with a precise message, and no version can be saved with it
    page.get_by_label("Allowed domains for HTTP request").fill("https://bad/path")
    page.get_by_label("Allowed domains for HTTP request").press("Tab")
    expect(page.get_by_role("alert").filter(has_text=re.compile("domain|host", re.I)).first).to_be_visible()
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("Fix the highlighted fields, then save again.")).to_be_visible()
    with session_scope() as s:
        assert get_blueprint(actor=actor, agent_id=agent_id, session=s).version == 2


def test_custom_tool_form_validation_and_create_then_openapi_import(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    agent_id = _agent(actor, llm_server)
    page.goto(f"/agents/{agent_id}?tab=tools")
    page.get_by_role("button", name="New custom tool").click()
    page.get_by_label("Tool name").fill("Bad Name")
    page.get_by_label("URL template").fill("ftp://weather")
    page.get_by_role("button", name="Save custom tool").click()
    expect(page.get_by_text("Use lower-case letters")).to_be_visible()
    expect(page.get_by_text("must start with http:// or https://")).to_be_visible()
    expect(page.get_by_text("Describe what the tool does")).to_be_visible()

    page.get_by_label("Tool name").fill("get_weather")
    page.get_by_label("Tool description").fill("Current weather for a city.")
    page.get_by_label("URL template").fill("https://api.weather.example/v1/{city}")
    page.get_by_role("button", name="Add parameter").click()
    page.get_by_label("Parameter name").fill("city")
    page.get_by_label("Parameter description").fill("City name")
    page.get_by_label("Auth header name").fill("X-Api-Key")
    page.get_by_label("Auth header value").fill("wx-secret-value-1234")
    page.get_by_role("button", name="Save custom tool").click()
    expect(page.get_by_text("Saved custom tool “get_weather”")).to_be_visible()
    expect(page.get_by_label("get_weather", exact=True)).to_be_visible()  # a checkbox in the list now
    assert "wx-secret-value-1234" not in page.content()
    with session_scope() as s:
        [tool] = list_custom_tools(actor=actor, session=s)
        assert tool.name == "get_weather" and tool.has_secret and tool.parameters[0]["location"] == "path"

    page.get_by_role("button", name="Import OpenAPI").click()
    page.get_by_label("OpenAPI document (JSON or YAML)").fill("openapi: 3.0.0\ninfo: [oops")
    page.get_by_role("button", name="Parse document").click()
    # parsing runs in a worker process: allow for a busy machine
    expect(page.get_by_role("alert").filter(has_text="line").first).to_be_visible(timeout=30_000)
    page.get_by_label("OpenAPI document (JSON or YAML)").fill(PETSTORE)
    page.get_by_role("button", name="Parse document").click()
    expect(page.get_by_text("Operations of Pets 1.0")).to_be_visible(timeout=30_000)
    page.get_by_label(re.compile(r"GET /pets/\{petId\}")).click()
    page.get_by_role("button", name="Import selected").click()
    expect(page.get_by_text("Imported 1 tool(s): show_pet_by_id")).to_be_visible()
    with session_scope() as s:
        names = sorted(t.name for t in list_custom_tools(actor=actor, session=s))
    assert names == ["get_weather", "show_pet_by_id"]
    page.screenshot(path="/tmp/custom_tools.png", full_page=True)


def test_audit_log_shows_tool_calls(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    agent_id = _agent(actor, llm_server, tools=["calculator"])

    async def calls() -> None:
        await execute_tool_call(
            actor=actor,
            agent_id=agent_id,
            run_id=None,
            allowlist=["calculator"],
            tool_name="calculator",
            arguments_json=json.dumps({"expression": "6*7"}),
            call_id="c1",
        )
        await execute_tool_call(
            actor=actor,
            agent_id=agent_id,
            run_id=None,
            allowlist=["calculator"],
            tool_name="create_task",
            arguments_json=json.dumps({"title": "Sneaky"}),
            call_id="c2",
        )

    _in_thread(lambda: asyncio.run(calls()))
    page.goto(f"/agents/{agent_id}?tab=tools")
    page.screenshot(path="/tmp/audit.png", full_page=True)
    table = page.get_by_role("region", name="Audit log").get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table.get_by_role("row").filter(has_text="calculator")).to_contain_text("ok")
    expect(table.get_by_role("row").filter(has_text="6*7")).to_be_visible()
    expect(table.get_by_role("row").filter(has_text="create_task")).to_contain_text("denied")


def _chat(page, agent_id: str, text: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/chat?agent={agent_id}")
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_role("button", name="Send").click()


def test_done_when_agent_files_a_task_and_is_refused_the_metadata_address(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    agent_id = _agent(actor, llm_server, name="Office bot")
    # the user gives the agent create_task and http_request for one domain, in the builder
    page.goto(f"/agents/{agent_id}?tab=tools")
    page.get_by_label("Create task", exact=True).click()
    page.get_by_label("HTTP request", exact=True).click()
    page.get_by_label("Allowed domains for HTTP request").fill("api.example.com")
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("Saved as v2")).to_be_visible()

    llm_server.script = [
        {
            "tool_calls": [
                {"name": "create_task", "arguments": {"title": "Call the plumber"}},
                {"name": "http_request", "arguments": {"url": "http://169.254.169.254/latest/meta-data/"}},
            ]
        },
        {"content": "I filed the task. I could not fetch that address: it is blocked."},
    ]
    _chat(page, agent_id, "File a task to call the plumber, then fetch http://169.254.169.254/latest/meta-data/")
    expect(page.get_by_text("I could not fetch that address")).to_be_visible(timeout=30_000)
    steps = page.locator(".chat-step")
    expect(steps).to_have_count(2)
    expect(steps.filter(has_text="Create task")).to_contain_text("done")
    expect(steps.filter(has_text="HTTP request")).to_contain_text("denied")
    page.screenshot(path="/tmp/chat_steps.png", full_page=True)

    # reopening the conversation shows the stored steps
    page.reload()
    expect(page.locator(".chat-step")).to_have_count(2)
    page.locator(".chat-step").filter(has_text="HTTP request").locator("summary").click()
    expect(page.get_by_text("169.254.169.254").first).to_be_visible()

    page.goto("/tasks")
    expect(page.get_by_text("Call the plumber")).to_be_visible()
    expect(page.get_by_text("by an agent")).to_be_visible()
    page.goto(f"/agents/{agent_id}?tab=tools")
    audit = page.get_by_role("region", name="Audit log")
    expect(audit.get_by_role("row").filter(has_text="create_task")).to_contain_text("ok")
    expect(audit.get_by_role("row").filter(has_text="http_request")).to_contain_text("denied")


def test_approval_pauses_the_run_and_approve_continues_it(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    agent_id = _agent(actor, llm_server, tools=["create_task"], approval_tools=["create_task"])
    llm_server.script = [
        {"tool_calls": [{"name": "create_task", "arguments": {"title": "Order toner"}}]},
        {"content": "Filed after your approval."},
    ]
    _chat(page, agent_id, "Please file a task to order toner")
    approve = page.get_by_role("button", name="Approve Create task")
    expect(approve).to_be_visible(timeout=30_000)
    with session_scope() as s:
        assert list_tasks(actor=actor, status="all", session=s) == []
    approve.click()
    expect(page.get_by_text("Filed after your approval.")).to_be_visible(timeout=30_000)
    expect(page.locator(".chat-step").filter(has_text="Create task")).to_contain_text("done")
    with session_scope() as s:
        assert [t.title for t in list_tasks(actor=actor, session=s)] == ["Order toner"]
