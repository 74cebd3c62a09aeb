"""The plans migration (0021_plans): existing blueprints get planner mode off; plans and their
steps are stored against runs; a downgrade removes them and keeps the blueprints and runs."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine
from tests.support.migration_rows import ROWS


def test_plans_tables_and_switch_come_and_go_keeping_existing_rows(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "0002")
    engine = get_engine(fresh_url)
    with engine.begin() as conn:
        for row in ROWS:
            conn.execute(sa.text(row))
    command.upgrade(cfg, "0021_plans")
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT plan_complex FROM blueprint_versions WHERE id = 'b1'")).scalar_one() in (
            False,
            0,
        )
        conn.execute(
            sa.text(
                "INSERT INTO plans (id, run_id, conversation_id, status, note, created_at) "
                "VALUES ('p1', 'r1', 'c1', 'done', '', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO plan_steps (id, plan_id, position, goal, agent_id, agent_name, status, summary, "
                "duration_ms, updated_at) VALUES ('s1', 'p1', 1, 'Look it up', NULL, 'Agent', 'done', '42', 5, "
                "'2026-01-01 00:00:00')"
            )
        )
        assert conn.execute(sa.text("SELECT tools FROM plan_steps WHERE id = 's1'")).scalar_one() in ("[]", [])
        try:
            conn.execute(
                sa.text(
                    "INSERT INTO plans (id, run_id, conversation_id, status, note, created_at) "
                    "VALUES ('p2', 'r1', 'c1', 'done', '', '2026-01-01 00:00:00')"
                )
            )
            duplicate_refused = False
        except sa.exc.IntegrityError:
            duplicate_refused = True
    assert duplicate_refused, "one plan per run"
    command.downgrade(cfg, "0017_billing")
    engine.dispose()
    inspector = sa.inspect(engine)
    assert not {"plans", "plan_steps"} & set(inspector.get_table_names())
    assert "plan_complex" not in {c["name"] for c in inspector.get_columns("blueprint_versions")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM blueprint_versions WHERE id = 'b1'")).scalar_one() == "Agent"
        assert conn.execute(sa.text("SELECT count(*) FROM runs")).scalar_one() == 1
    command.upgrade(cfg, "heads")
    assert {"plans", "plan_steps"} <= set(sa.inspect(engine).get_table_names())
