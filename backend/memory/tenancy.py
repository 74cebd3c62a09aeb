"""Tenant scopes and THE tenant filter for LanceDB queries of knowledge and memories.

Every row carries ``workspace_id``, ``agent_id`` and ``end_user_id``; every read, search,
count and delete in :mod:`backend.memory.store` builds its predicate with :func:`tenant_filter`
from a :class:`Scope`. Values become LanceDB typed literals (``lancedb.expr.lit``), so a quote in
an id cannot change the query, and ids are also checked against ``[A-Za-z0-9_-]{1,64}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lancedb.expr import Expr, col, lit

Kind = Literal["knowledge", "memory"]
KINDS: tuple[Kind, ...] = ("knowledge", "memory")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ScopeError(ValueError):
    """A scope is missing a tenant id or holds a malformed one."""


@dataclass(frozen=True)
class Scope:
    """Whose rows an operation may touch.

    Attributes:
        workspace_id: Always required.
        agent_id: The agent, or None for workspace-wide maintenance (re-embedding).
        end_user_id: ``""`` for an agent's knowledge, a user id for that user's memories, or
            None for maintenance over all end users of the agent (stats, pruning, deletion).
    """

    workspace_id: str
    agent_id: str | None
    end_user_id: str | None

    def __post_init__(self) -> None:
        if not _ID.match(self.workspace_id or ""):
            raise ScopeError("A workspace id is required.")
        if self.agent_id is not None and not _ID.match(self.agent_id):
            raise ScopeError("Malformed agent id.")
        if self.end_user_id and not _ID.match(self.end_user_id):
            raise ScopeError("Malformed end-user id.")
        if self.agent_id is None and self.end_user_id is not None:
            raise ScopeError("An end-user scope needs an agent.")

    @classmethod
    def knowledge(cls, workspace_id: str, agent_id: str) -> Scope:
        """The scope of an agent's knowledge (shared by everyone who may use the agent)."""
        return cls(workspace_id, agent_id, "")

    @classmethod
    def memories(cls, workspace_id: str, agent_id: str, end_user_id: str) -> Scope:
        """The scope of one end user's memories with one agent."""
        if not end_user_id:
            raise ScopeError("Memories always belong to one end user.")
        return cls(workspace_id, agent_id, end_user_id)

    @property
    def complete(self) -> bool:
        """True when workspace, agent and end user are all fixed (required to search or write)."""
        return self.agent_id is not None and self.end_user_id is not None


def scope_key(scope: Scope, model_key: str | None = None) -> str:
    """The ``search_key`` column value of a complete scope: ``"<workspace>/<agent>/<end user>"``,
    plus ``"#<model key>"`` on vector rows. Ids cannot contain ``/`` or ``#``, so it is unambiguous.

    Raises:
        ScopeError: the scope is not complete.
    """
    if not scope.complete:
        raise ScopeError("A search key needs a workspace, an agent and an end user.")
    key = f"{scope.workspace_id}/{scope.agent_id}/{scope.end_user_id}"
    return f"{key}#{model_key}" if model_key is not None else key


def tenant_filter(
    scope: Scope, extra: Expr | None = None, *, model_key: str | None = None, any_model: bool = False
) -> Expr:
    """THE tenant predicate: every query of ``backend.memory.store`` is built here.

    A complete scope (the searches) compares the single indexed ``search_key`` column, which
    encodes workspace, agent and end user (and the embedding model on vector rows): one B-tree
    lookup instead of three keeps prefiltered search fast. A partial scope (maintenance)
    compares ``workspace_id`` and, when set, ``agent_id`` and ``end_user_id``.

    Args:
        scope: Whose rows; ``None`` parts widen to every agent / end user of the workspace.
        extra: An additional predicate ANDed to the tenant one (e.g. ``source_id == x``).
        model_key: Only vectors of this embedding model (vector tables only).
        any_model: Vector rows of every model (compares the id columns, for deletes and sizes).

    Returns:
        A LanceDB ``Expr``; ids are typed literals, so quotes in them cannot change the query.
    """
    if scope.complete and not any_model:
        expr = col("search_key") == lit(scope_key(scope, model_key))
    else:
        expr = col("workspace_id") == lit(scope.workspace_id)
        if scope.agent_id is not None:
            expr = expr & (col("agent_id") == lit(scope.agent_id))
        if scope.end_user_id is not None:
            expr = expr & (col("end_user_id") == lit(scope.end_user_id))
        if model_key is not None:
            expr = expr & (col("model_key") == lit(model_key))
    return expr & extra if extra is not None else expr
