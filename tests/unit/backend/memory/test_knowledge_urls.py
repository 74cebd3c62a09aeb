"""Knowledge URLs with odd host spellings get a clear message, never "Unexpected error: InvalidURL"."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.memory.knowledge import KnowledgeInputError, add_url


@pytest.mark.parametrize("url", ["http://0177.0.0.1/", "http://2130706433/admin", "http://0x7f.1/"])
def test_odd_knowledge_urls_are_refused_when_added(actor: Actor, make_agent: Callable[..., str], url: str) -> None:
    agent = make_agent(actor)
    with session_scope() as s, pytest.raises(KnowledgeInputError) as info:
        add_url(actor=actor, agent_id=agent, url=url, session=s)
    assert str(info.value).startswith("Enter a valid web address") and "InvalidURL" not in str(info.value)
