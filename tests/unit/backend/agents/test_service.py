"""Blueprint versioning, validation, templates and tenant isolation of agents."""

from __future__ import annotations

import pytest

from backend.accounts.actor import Actor, NotFound
from backend.agents.service import (
    BlueprintInvalid,
    create_agent,
    delete_agent,
    fields_from_template,
    get_blueprint,
    list_agents,
    list_templates,
    list_versions,
    restore_version,
    save_agent,
)
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.models import BlueprintFields


def _connection(actor: Actor) -> str:
    with session_scope() as s:
        return create_connection(
            actor=actor,
            name="Local",
            provider="openai_compatible",
            api_key=None,
            base_url="http://127.0.0.1:9/v1",
            session=s,
        ).id


def _fields(conn_id: str, **kw: object) -> BlueprintFields:
    data: dict[str, object] = {"name": "Helper", "connection_id": conn_id, "model": "tiny", "instructions": "Be brief."}
    data.update(kw)
    return BlueprintFields.model_validate(data)


def test_every_save_makes_a_new_immutable_version_and_restore_copies(actor: Actor) -> None:
    conn = _connection(actor)
    with session_scope() as s:
        agent_id = create_agent(actor=actor, fields=_fields(conn), session=s)
    with session_scope() as s:
        assert (
            save_agent(actor=actor, agent_id=agent_id, fields=_fields(conn, instructions="Be verbose."), session=s) == 2
        )
    with session_scope() as s:
        assert [v.version for v in list_versions(actor=actor, agent_id=agent_id, session=s)] == [2, 1]
        assert get_blueprint(actor=actor, agent_id=agent_id, version=1, session=s).instructions == "Be brief."
        assert restore_version(actor=actor, agent_id=agent_id, version=1, session=s) == 3
    with session_scope() as s:
        current = get_blueprint(actor=actor, agent_id=agent_id, session=s)
        assert (current.version, current.instructions) == (3, "Be brief.")
        assert "Restored from v1" in current.note
        assert get_blueprint(actor=actor, agent_id=agent_id, version=2, session=s).instructions == "Be verbose."


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "  "}, "name"),
        ({"model": ""}, "model"),
        ({"connection_id": None}, "connection_id"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 40000}, "max_tokens"),
        ({"starters": ["x"] * 7}, "starters"),
    ],
)
def test_invalid_blueprints_are_rejected_per_field(actor: Actor, change: dict[str, object], field: str) -> None:
    conn = _connection(actor)
    with session_scope() as s, pytest.raises(BlueprintInvalid) as err:
        create_agent(actor=actor, fields=_fields(conn, **change), session=s)
    assert field in err.value.errors


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "x" * 81}, "name"),
        ({"description": "d" * 501}, "description"),
        ({"avatar": "🙂" * 17}, "avatar"),
        ({"model": "m" * 201}, "model"),
    ],
)
def test_over_long_raw_form_input_gives_field_errors_not_exceptions(
    actor: Actor, change: dict[str, object], field: str
) -> None:
    conn = _connection(actor)
    data: dict[str, object] = {"name": "Helper", "connection_id": conn, "model": "tiny"}
    data.update(change)
    raw = BlueprintFields.model_construct(**data)  # what the builder form sends, unchecked
    with session_scope() as s, pytest.raises(BlueprintInvalid) as err:
        create_agent(actor=actor, fields=raw, session=s)
    assert list(err.value.errors) == [field]


def test_blank_starter_lines_do_not_count_and_names_are_trimmed(actor: Actor) -> None:
    conn = _connection(actor)
    starters = ["", "one", "  ", "two", "", "three", "", "four", "five", "six", " "]
    with session_scope() as s:
        agent_id = create_agent(actor=actor, fields=_fields(conn, name="  Padded  ", starters=starters), session=s)
        current = get_blueprint(actor=actor, agent_id=agent_id, session=s)
        assert (current.name, current.starters) == ("Padded", ["one", "two", "three", "four", "five", "six"])


def test_another_workspace_cannot_see_use_or_edit_agents(make_actor) -> None:  # type: ignore[no-untyped-def]
    alice, bob = make_actor(), make_actor()
    conn = _connection(alice)
    with session_scope() as s:
        agent_id = create_agent(actor=alice, fields=_fields(conn), session=s)
    with session_scope() as s:
        assert list_agents(actor=bob, session=s) == []
        with pytest.raises(NotFound):
            get_blueprint(actor=bob, agent_id=agent_id, session=s)
        with pytest.raises(NotFound):
            save_agent(actor=bob, agent_id=agent_id, fields=_fields(conn), session=s)
    bob_conn = _connection(bob)
    with session_scope() as s, pytest.raises(BlueprintInvalid) as err:
        create_agent(actor=bob, fields=_fields(conn), session=s)  # alice's connection
    assert "connection_id" in err.value.errors
    with session_scope() as s:
        assert create_agent(actor=bob, fields=_fields(bob_conn), session=s)


def test_templates_are_seeded_and_prefill_the_form(actor: Actor) -> None:
    with session_scope() as s:
        slugs = {t.slug for t in list_templates(session=s)}
        assert {
            "support-assistant",
            "research-summarizer",
            "writing-coach",
            "sql-helper",
            "meeting-notes",
            "translator",
        } <= slugs
        fields = fields_from_template(slug="sql-helper", session=s)
    assert fields.name == "SQL helper" and "SQL" in fields.instructions and fields.starters


def test_list_and_delete_agents(actor: Actor) -> None:
    conn = _connection(actor)
    with session_scope() as s:
        agent_id = create_agent(actor=actor, fields=_fields(conn, name="Zed", avatar="🦊"), session=s)
    with session_scope() as s:
        (row,) = list_agents(actor=actor, session=s)
        assert (row.name, row.avatar, row.current_version) == ("Zed", "🦊", 1)
        delete_agent(actor=actor, agent_id=agent_id, session=s)
    with session_scope() as s:
        assert list_agents(actor=actor, session=s) == []
