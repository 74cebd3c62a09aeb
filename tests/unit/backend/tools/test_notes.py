"""Workspace notes: create, portable LIKE search (wildcards escaped), isolation, tools."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.tools.base import InvalidInput
from backend.tools.notes import create_note, search_notes


def test_search_is_case_insensitive_and_needs_every_word(actor: Actor) -> None:
    with session_scope() as s:
        create_note(actor=actor, title="Garden plan", body="Plant TOMATOES in May", session=s)
        create_note(actor=actor, title="Tomato soup", body="Recipe from grandma", session=s)
        create_note(actor=actor, title="100% done_list", body="nothing", session=s)
    with session_scope() as s:
        assert {n.title for n in search_notes(actor=actor, query="tomato", session=s)} == {"Garden plan", "Tomato soup"}
        assert [n.title for n in search_notes(actor=actor, query="tomato may", session=s)] == ["Garden plan"]
        assert [n.title for n in search_notes(actor=actor, query="100%", session=s)] == ["100% done_list"]
        assert search_notes(actor=actor, query="%", session=s)[0].title == "100% done_list"
        assert len(search_notes(actor=actor, query="%", session=s)) == 1  # '%' is literal, not a wildcard
        assert [n.title for n in search_notes(actor=actor, query="e_l", session=s)] == ["100% done_list"]
        assert len(search_notes(actor=actor, query="", limit=2, session=s)) == 2


def test_validation(actor: Actor) -> None:
    with session_scope() as s, pytest.raises(InvalidInput) as info:
        create_note(actor=actor, title="", body="x" * 20001, session=s)
    assert set(info.value.errors) == {"title", "body"}


def test_isolation(make_actor: Callable[[], Actor]) -> None:
    alice, bob = make_actor(), make_actor()
    with session_scope() as s:
        create_note(actor=alice, title="Alice's secret plan", body="", session=s)
    with session_scope() as s:
        assert search_notes(actor=bob, query="plan", session=s) == []
        assert len(search_notes(actor=alice, query="plan", session=s)) == 1


async def test_tools(call_tool) -> None:  # type: ignore[no-untyped-def]
    tools = ["create_note", "search_notes"]
    made = await call_tool(
        "create_note", '{"title": "Wifi", "body": "The guest password is on the fridge."}', allow=tools
    )
    assert made.ok and made.output["created"]["title"] == "Wifi"
    found = await call_tool("search_notes", '{"query": "FRIDGE"}', allow=tools)
    assert found.ok and found.output["count"] == 1 and "fridge" in found.output["notes"][0]["body"]
