"""Routing inputs for the gateway: targets, resolved candidates, attempts and the retry policy.

An agent's model and its fallbacks are :class:`Target` s (connection id + model id). Before a
call they are resolved, in one read-only transaction, into :class:`Candidate` s: the
connection's provider, base URL and decrypted key (memory only, via
``connections.service.owner_credentials``: the owner workspace's; the run principal was checked
at the edge) and the model's limits and prices from the catalog. The same transaction reads the rate-limit rules and
budgets that apply.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from backend.accounts.actor import NotFound
from backend.accounts.principal import RunPrincipal
from backend.config import get_settings
from backend.connections.service import owner_credentials
from backend.db import DbConn, session_scope
from backend.gateway.budgets import BudgetRef, applicable_budgets
from backend.gateway.catalog import ModelInfo, load_overrides, model_info
from backend.gateway.llm import GatewayError
from backend.gateway.ratelimit import RateRule, rules_for
from backend.models.agent import MAX_FALLBACKS


@dataclass(frozen=True)
class Target:
    """A model on a connection, as an agent names it."""

    connection_id: str
    model: str


def targets_for(connection_id: str | None, model: str, fallbacks: Sequence[Mapping[str, Any]] = ()) -> list[Target]:
    """The main target then up to :data:`MAX_FALLBACKS` fallbacks, duplicates removed.

    Args:
        connection_id: The agent's connection (None: no main target).
        model: The agent's model id.
        fallbacks: ``[{"connection_id": str, "model": str}]`` as stored on the blueprint;
            malformed entries are ignored.

    Returns:
        Targets in the order they are tried.
    """
    out: list[Target] = []
    if connection_id and model.strip():
        out.append(Target(connection_id, model.strip()))
    for item in list(fallbacks)[:MAX_FALLBACKS]:
        cid, name = item.get("connection_id"), item.get("model")
        if isinstance(cid, str) and isinstance(name, str) and cid and name.strip():
            target = Target(cid, name.strip())
            if target not in out:
                out.append(target)
    return out


@dataclass(frozen=True)
class Candidate:
    """A target ready to call. ``repr`` hides the key."""

    target: Target
    provider: str
    base_url: str | None
    api_key: str | None = field(repr=False)
    info: ModelInfo


@dataclass(frozen=True)
class Attempt:
    """What happened to one target during a call (an entry of the fallback path).

    Attributes:
        connection_id, model: The target.
        outcome: ``"ok"``, ``"error"``, ``"skipped"`` (context window too small, or the
            connection is gone) or ``"cancelled"``.
        error_kind: ``GatewayError`` kind, or ``"context_window"`` / ``"missing"`` for skips.
        status_code: Provider HTTP status of the last failure, if any.
        tries: HTTP requests made to this target (1 + retries).
        ms: Milliseconds spent on this target, retries and back-off included.
    """

    connection_id: str
    model: str
    outcome: str
    error_kind: str = ""
    status_code: int | None = None
    tries: int = 0
    ms: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (stored in ``fallback_path``)."""
        return asdict(self)


@dataclass(frozen=True)
class Plan:
    """Everything a call needs from the database, read before any provider is called."""

    candidates: list[Candidate | Attempt]  # an Attempt here is a target that is skipped outright
    rules: list[RateRule]
    budgets: list[BudgetRef]


def make_plan(*, principal: RunPrincipal, targets: Sequence[Target], session: DbConn | None = None) -> Plan:
    """Resolve targets to the owner's connections and read the rules and budgets that apply
    (the owner workspace's, the agent's and the end user's), in one transaction.

    A fallback whose connection no longer exists is skipped (outcome ``skipped``,
    ``error_kind="missing"``); a missing main connection is an error.

    Args:
        session: Read in the caller's open transaction (the gateway reserves the budget hold
            in the same one); None opens its own.

    Raises:
        NotFound: the main target's connection (the blueprint's, or the principal's
            ``connection_override``) is not in the owner workspace.
        GatewayError: kind ``bad_request`` when there is no target at all.
        VaultError: a stored key cannot be decrypted.
    """
    if not targets:
        raise GatewayError("bad_request", "This agent has no model. Pick one in the builder.")
    if session is None:
        with session_scope() as own:
            return make_plan(principal=principal, targets=targets, session=own)
    candidates: list[Candidate | Attempt] = []
    overrides = load_overrides(session, [t.connection_id for t in targets])
    for index, target in enumerate(targets):
        try:
            creds = owner_credentials(
                workspace_id=principal.owner_workspace_id, connection_id=target.connection_id, session=session
            )
        except NotFound:
            if index == 0:
                raise
            candidates.append(Attempt(target.connection_id, target.model, "skipped", "missing"))
            continue
        info = model_info(creds.provider, target.model, overrides.get((target.connection_id, target.model)))
        candidates.append(Candidate(target, creds.provider, creds.base_url, creds.api_key, info))
    ws, agent_id, end_user_id = principal.owner_workspace_id, principal.agent_id or None, principal.end_user_id
    key = principal.caller.id if principal.caller.kind == "api_key" else None
    return Plan(
        candidates,
        rules_for(session, workspace_id=ws, agent_id=agent_id, end_user_id=end_user_id, api_key_id=key),
        applicable_budgets(session, workspace_id=ws, agent_id=agent_id, end_user_id=end_user_id, api_key_id=key),
    )


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of one candidate on retryable errors: exponential back-off with full jitter.

    Delay before retry ``n`` (0-based) is uniform in ``[0, min(max_delay_s, base_delay_s * 2**n)]``
    (AWS Architecture Blog, "Exponential Backoff and Jitter"), but at least the provider's
    ``Retry-After``; if that is longer than ``max_delay_s`` the gateway falls back instead.

    Attributes:
        max_retries: Retries after the first request (0 = no retry).
        base_delay_s: Scale of the first delay, seconds.
        max_delay_s: Longest delay, seconds.
    """

    max_retries: int = 2
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        """The policy configured by ``AGENTHUB_LLM_MAX_RETRIES`` and the delay settings."""
        s = get_settings()
        return cls(s.llm_max_retries, s.llm_retry_base_delay_s, s.llm_retry_max_delay_s)

    def delay(self, retry: int, retry_after_s: float | None = None) -> float | None:
        """Seconds to wait before retry number ``retry`` (0-based), or None for "do not retry"."""
        if retry >= self.max_retries:
            return None
        if retry_after_s is not None and retry_after_s > self.max_delay_s:
            return None
        wait = random.uniform(0, min(self.max_delay_s, self.base_delay_s * 2**retry))
        return max(wait, retry_after_s or 0.0)


def is_retryable(error: GatewayError) -> bool:
    """Timeouts, unreachable hosts, provider 429s and 5xx: worth retrying or falling back.

    Auth (401/403), bad requests (400/404/413/422), budgets and the gateway's own rate limits
    (``status_code`` None) are not: another try would fail the same way.
    """
    if error.kind in ("timeout", "unreachable"):
        return True
    if error.kind == "rate_limit":
        return error.status_code == 429
    return error.kind == "provider" and (error.status_code is None or error.status_code >= 500)
