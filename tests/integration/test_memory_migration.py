"""The 0004_memory migration: its tables appear with 'heads', go on downgrade, and cascade deletes work."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine

MEMORY_TABLES = {
    "knowledge_sources",
    "knowledge_uploads",
    "agent_memory_settings",
    "embedding_settings",
    "message_citations",
}


def test_memory_tables_upgrade_and_downgrade(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "heads")
    engine = get_engine(fresh_url)
    assert MEMORY_TABLES <= set(sa.inspect(engine).get_table_names())
    command.downgrade(cfg, "0005_tools")  # first out of the 0006_run_steps merge (its other parents stay)
    command.downgrade(cfg, "0004_memory@-1")
    names = set(sa.inspect(engine).get_table_names())
    assert not MEMORY_TABLES & names and "agents" in names
    command.upgrade(cfg, "heads")
    assert MEMORY_TABLES <= set(sa.inspect(engine).get_table_names())


def test_deleting_a_message_deletes_its_citations(actor) -> None:  # type: ignore[no-untyped-def]
    from backend.agents.service import create_agent
    from backend.chat.service import append_message, create_conversation, delete_conversation, get_conversation
    from backend.connections.service import create_connection
    from backend.db import session_scope
    from backend.models import BlueprintFields, MessageCitation

    with session_scope() as s:
        conn = create_connection(
            actor=actor,
            name="L",
            provider="openai_compatible",
            api_key=None,
            base_url="http://127.0.0.1:9/v1",
            session=s,
        )
        agent = create_agent(actor=actor, fields=BlueprintFields(name="A", connection_id=conn.id, model="m"), session=s)
        conv_id = create_conversation(actor=actor, agent_id=agent, session=s).id
        msg = append_message(
            conversation=get_conversation(actor=actor, conversation_id=conv_id, session=s),
            role="assistant",
            content="hi [1]",
            run_id=None,
            session=s,
        )
        s.add(MessageCitation(message_id=msg.id, source_id="src", title="Doc", snippet="..."))
    with session_scope() as s:
        delete_conversation(actor=actor, conversation_id=conv_id, session=s)
    with session_scope() as s:
        assert s.get(MessageCitation, msg.id) is None
        assert s.exec(sa.select(MessageCitation).where(MessageCitation.message_id == msg.id)).all() == []  # type: ignore[arg-type]
