"""The agent's draft: edits kept as typed, one Save version, discard, and tenant isolation."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backend.accounts.actor import Actor, NotFound
from backend.agents.drafts import (
    discard_draft,
    draft_errors,
    get_draft,
    has_unsaved_changes,
    save_version,
    update_draft,
)
from backend.agents.service import BlueprintInvalid, create_agent, get_blueprint, list_versions, restore_version
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.models import BlueprintFields


def _agent(actor: Actor, **kw: object) -> str:
    with session_scope() as s:
        conn = create_connection(
            actor=actor,
            name="Local",
            provider="openai_compatible",
            api_key=None,
            base_url="http://127.0.0.1:9/v1",
            session=s,
        ).id
    data: dict[str, object] = {"name": "Helper", "connection_id": conn, "model": "tiny", "instructions": "Be brief."}
    data.update(kw)
    with session_scope() as s:
        return create_agent(actor=actor, fields=BlueprintFields.model_validate(data), session=s)


def test_a_new_draft_copies_the_current_version_and_has_no_changes(actor: Actor) -> None:
    agent_id = _agent(actor, tools=["calculator"])
    with session_scope() as s:
        draft = get_draft(actor=actor, agent_id=agent_id, session=s)
        assert (draft.version, draft.instructions, draft.tools) == (0, "Be brief.", ["calculator"])
        assert not has_unsaved_changes(actor=actor, agent_id=agent_id, session=s)
    with session_scope() as s:  # the same row the next time, not a second draft
        assert get_draft(actor=actor, agent_id=agent_id, session=s).id == draft.id
        assert [v.version for v in list_versions(actor=actor, agent_id=agent_id, session=s)] == [1]


def test_edits_are_kept_as_typed_even_when_invalid_and_saving_is_refused(actor: Actor) -> None:
    agent_id = _agent(actor)
    with session_scope() as s:
        changes = {"name": "  ", "temperature": 3.0, "tools": ["calculator"]}
        errors = update_draft(actor=actor, agent_id=agent_id, changes=changes, session=s)
    assert set(errors) == {"name", "temperature"}
    with session_scope() as s:
        draft = get_draft(actor=actor, agent_id=agent_id, session=s)
        assert (draft.name, draft.temperature, draft.tools) == ("  ", 3.0, ["calculator"])
        assert has_unsaved_changes(actor=actor, agent_id=agent_id, session=s)
        assert set(draft_errors(actor=actor, agent_id=agent_id, session=s)) == {"name", "temperature"}
    with session_scope() as s, pytest.raises(BlueprintInvalid) as err:
        save_version(actor=actor, agent_id=agent_id, session=s)
    assert "name" in err.value.errors
    with session_scope() as s:
        assert get_blueprint(actor=actor, agent_id=agent_id, session=s).version == 1


def test_save_version_keeps_the_ticked_tools_and_the_draft_equals_the_new_version(actor: Actor) -> None:
    """Regression (issue 11): ticking Calculator then saving must put the tool in the new version."""
    agent_id = _agent(actor)
    with session_scope() as s:
        update_draft(actor=actor, agent_id=agent_id, changes={"tools": ["calculator"]}, session=s)
        update_draft(actor=actor, agent_id=agent_id, changes={"instructions": "Use the calculator."}, session=s)
    with session_scope() as s:
        assert save_version(actor=actor, agent_id=agent_id, note="Calculator on", session=s) == 2
    with session_scope() as s:
        saved = get_blueprint(actor=actor, agent_id=agent_id, session=s)
        assert (saved.version, saved.tools, saved.instructions, saved.note) == (
            2,
            ["calculator"],
            "Use the calculator.",
            "Calculator on",
        )
        assert not has_unsaved_changes(actor=actor, agent_id=agent_id, session=s)
        assert get_blueprint(actor=actor, agent_id=agent_id, version=1, session=s).tools == []


def test_discard_goes_back_to_the_current_version_and_restore_resets_the_draft(actor: Actor) -> None:
    agent_id = _agent(actor)
    with session_scope() as s:
        update_draft(actor=actor, agent_id=agent_id, changes={"instructions": "Changed"}, session=s)
    with session_scope() as s:
        assert discard_draft(actor=actor, agent_id=agent_id, session=s).instructions == "Be brief."
        assert not has_unsaved_changes(actor=actor, agent_id=agent_id, session=s)
    with session_scope() as s:
        update_draft(actor=actor, agent_id=agent_id, changes={"instructions": "Second"}, session=s)
        save_version(actor=actor, agent_id=agent_id, session=s)
        update_draft(actor=actor, agent_id=agent_id, changes={"instructions": "Unsaved"}, session=s)
    with session_scope() as s:
        assert restore_version(actor=actor, agent_id=agent_id, version=1, session=s) == 3
    with session_scope() as s:
        assert get_draft(actor=actor, agent_id=agent_id, session=s).instructions == "Be brief."
        assert not has_unsaved_changes(actor=actor, agent_id=agent_id, session=s)


def test_unknown_fields_are_refused(actor: Actor) -> None:
    agent_id = _agent(actor)
    with session_scope() as s, pytest.raises(KeyError):
        update_draft(actor=actor, agent_id=agent_id, changes={"workspace_id": "x"}, session=s)


def test_another_workspace_cannot_read_or_edit_the_draft(actor: Actor, make_actor: Callable[[], Actor]) -> None:
    agent_id = _agent(actor)
    other = make_actor()
    for call in (
        lambda s: get_draft(actor=other, agent_id=agent_id, session=s),
        lambda s: update_draft(actor=other, agent_id=agent_id, changes={"instructions": "x"}, session=s),
        lambda s: save_version(actor=other, agent_id=agent_id, session=s),
        lambda s: discard_draft(actor=other, agent_id=agent_id, session=s),
    ):
        with session_scope() as s, pytest.raises(NotFound):
            call(s)
    with session_scope() as s:
        assert get_draft(actor=actor, agent_id=agent_id, session=s).instructions == "Be brief."


def test_plan_complex_is_off_by_default_kept_in_the_draft_and_saved_into_the_version(actor: Actor) -> None:
    agent_id = _agent(actor)
    with session_scope() as s:
        assert get_blueprint(actor=actor, agent_id=agent_id, session=s).plan_complex is False
        assert update_draft(actor=actor, agent_id=agent_id, changes={"plan_complex": True}, session=s) == {}
    with session_scope() as s:
        assert has_unsaved_changes(actor=actor, agent_id=agent_id, session=s)
        assert get_blueprint(actor=actor, agent_id=agent_id, session=s).plan_complex is False
        assert save_version(actor=actor, agent_id=agent_id, session=s) == 2
    with session_scope() as s:
        assert get_blueprint(actor=actor, agent_id=agent_id, session=s).plan_complex is True
        assert not has_unsaved_changes(actor=actor, agent_id=agent_id, session=s)
