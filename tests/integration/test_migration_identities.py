"""The identities migration (0023): identities, OIDC flows, two-factor rows and the workspace
switch come and go; existing workspaces do not require two-factor sign-in."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine

NEW_TABLES = {"user_identities", "oidc_flows", "user_two_factor"}


def test_identities_upgrade_keeps_workspaces_and_downgrades(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "0022_rollup_weekly")
    engine = get_engine(fresh_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, password_hash, created_at, is_platform_admin) "
                "VALUES ('u1', 'a@example.com', 'x', '2026-01-01 00:00:00', false)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO workspaces (id, name, owner_id, personal, created_at) "
                "VALUES ('w1', 'A', 'u1', true, '2026-01-01 00:00:00')"
            )
        )
    command.upgrade(cfg, "0023_identities")
    engine.dispose()
    inspector = sa.inspect(engine)
    assert NEW_TABLES <= set(inspector.get_table_names())
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT require_two_factor FROM workspaces WHERE id = 'w1'")).scalar() in (0, False)
        conn.execute(
            sa.text(
                "INSERT INTO user_identities (id, provider, subject, user_id, email, linked_at) "
                "VALUES ('i1', 'oidc', 's1', 'u1', '', '2026-01-01 00:00:00')"
            )
        )
        try:
            conn.execute(
                sa.text(
                    "INSERT INTO user_identities (id, provider, subject, user_id, email, linked_at) "
                    "VALUES ('i2', 'oidc', 's1', 'u1', '', '2026-01-01 00:00:00')"
                )
            )
            duplicate_accepted = True
        except sa.exc.IntegrityError:
            duplicate_accepted = False
        conn.rollback()
    assert not duplicate_accepted
    command.downgrade(cfg, "0022_rollup_weekly")
    engine.dispose()
    inspector = sa.inspect(engine)
    assert not NEW_TABLES & set(inspector.get_table_names())
    assert "require_two_factor" not in {c["name"] for c in inspector.get_columns("workspaces")}
