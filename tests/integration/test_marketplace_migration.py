"""The marketplace migration (0015): existing users get ``is_platform_admin`` false, a listing
written with plain SQL is found by the full-text index on either database, and a downgrade drops
the marketplace tables and the flag while keeping the users."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine
from tests.support.migration_rows import ROWS

TABLES = {"listings", "listing_versions", "subscriptions", "reviews", "marketplace_reports"}
LISTING = (
    "INSERT INTO listings (id, slug, workspace_id, agent_id, version_id, version_number, created_by, title, tagline, "
    "description, category, tags, tags_text, icon, examples, status, created_at, updated_at) VALUES ('l1', 'inv', "
    "'w1', 'a1', 'b1', 1, 'u1', 'Ledger', '', 'Reconciles every invoice', 'Finance', '[]', '', 'x', '[]', "
    "'published', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
)


def _found(conn: sa.Connection, dialect: str) -> list[str]:
    if dialect == "postgresql":
        sql = "SELECT id FROM listings WHERE search_vector @@ plainto_tsquery('english', 'invoices')"
    else:
        sql = (
            "SELECT listings.id FROM listing_search CROSS JOIN listings "
            "ON listings.search_rowid = listing_search.rowid WHERE listing_search MATCH '\"invoices\"'"
        )
    return list(conn.execute(sa.text(sql)).scalars())


def test_marketplace_migration_both_ways(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "0002")
    engine = get_engine(fresh_url)
    with engine.begin() as conn:
        for row in ROWS[:4]:  # a user, a workspace, an agent and its blueprint
            conn.execute(sa.text(row))
    command.upgrade(cfg, "0015_marketplace")
    assert TABLES <= set(sa.inspect(engine).get_table_names())
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT is_platform_admin FROM users")).scalar_one() in (False, 0)
        conn.execute(sa.text(LISTING))
        assert _found(conn, engine.dialect.name) == ["l1"]
        conn.execute(sa.text("UPDATE listings SET description = 'Writes poems' WHERE id = 'l1'"))
        assert _found(conn, engine.dialect.name) == []
        conn.execute(sa.text("DELETE FROM listings"))
    command.downgrade(cfg, "0014_budget_nano")
    engine.dispose()
    inspector = sa.inspect(engine)
    assert not TABLES & set(inspector.get_table_names()) and "listing_search" not in inspector.get_table_names()
    assert "is_platform_admin" not in {c["name"] for c in inspector.get_columns("users")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT email FROM users")).scalar_one() == "a@b.c"
