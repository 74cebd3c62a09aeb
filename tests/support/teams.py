"""Team helpers: a workspace with a member of a given role, and a fingerprint of a workspace's rows."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import SQLModel

from backend.accounts.actor import Actor
from backend.accounts.service import sign_up
from backend.db import get_engine, session_scope
from backend.models import Membership


def add_member(owner: Actor, make_actor: Callable[[], Actor], role: str) -> Actor:
    """A new user who is a member of ``owner``'s workspace with ``role``; their actor there."""
    other = make_actor()
    with session_scope() as s:
        s.add(Membership(workspace_id=owner.workspace_id, user_id=other.user_id, role=role))
    return Actor(other.user_id, owner.workspace_id)


def new_user() -> str:
    """Sign up a brand-new user (random email); returns their id."""
    with session_scope() as s:
        user, _ = sign_up(email=f"t{uuid.uuid4().hex[:12]}@example.com", password="correct horse battery", session=s)
    return user.id


def fingerprint(workspace_id: str) -> str:
    """A SHA-256 over every row of every table that belongs to ``workspace_id`` (a
    ``workspace_id`` column, or the workspace row itself): equal fingerprints mean nothing changed."""
    digest = hashlib.sha256()
    with get_engine().connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if "workspace_id" in table.c:
                where = table.c.workspace_id == workspace_id
            elif table.name == "workspaces":
                where = table.c.id == workspace_id
            else:
                continue
            rows = conn.execute(sa.select(table).where(where)).all()
            digest.update(f"{table.name}:{sorted(repr(tuple(r)) for r in rows)}".encode())
    return digest.hexdigest()
