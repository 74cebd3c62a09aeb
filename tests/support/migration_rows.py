"""Rows of a database at migration 0002 (a user, a workspace, an agent, its blueprint, a conversation
and a run), for the migration tests that check existing data survives an upgrade and a downgrade."""

from __future__ import annotations

ROWS = [
    "INSERT INTO users (id, email, password_hash, created_at) VALUES ('u1', 'a@b.c', 'x', '2026-01-01 00:00:00')",
    "INSERT INTO workspaces (id, name, owner_id, personal, created_at) "
    "VALUES ('w1', 'W', 'u1', true, '2026-01-01 00:00:00')",
    "INSERT INTO agents (id, workspace_id, current_version, created_by, created_at, updated_at) "
    "VALUES ('a1', 'w1', 1, 'u1', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO blueprint_versions (id, agent_id, version, note, created_by, created_at, name, description, avatar, "
    "connection_id, model, instructions, temperature, max_tokens, starters) VALUES ('b1', 'a1', 1, '', 'u1', "
    "'2026-01-01 00:00:00', 'Agent', '', 'x', NULL, 'm', '', 0.7, 100, '[]')",
    "INSERT INTO conversations (id, workspace_id, agent_id, user_id, blueprint_version_id, model, title, created_at, "
    "updated_at) VALUES ('c1', 'w1', 'a1', 'u1', 'b1', 'm', 't', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO runs (id, workspace_id, agent_id, user_id, conversation_id, blueprint_version_id, provider, model, "
    "status, prompt_tokens, completion_tokens, cost_usd, cost_note, error, created_at) VALUES ('r1', 'w1', 'a1', 'u1', "
    "'c1', 'b1', '', 'm', 'succeeded', 1, 1, 0.0, '', '', '2026-01-01 00:00:00')",
]
