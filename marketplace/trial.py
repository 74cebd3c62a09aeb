"""Try it: a few free runs of a listing for anyone, signed out included, paid by the publisher.

Principal of a try: owner = the publisher's workspace, agent = the listing's agent, caller =
``Caller("visitor", <listing id>, <end user>)``, end user = a **visitor user**: for a signed-out
browser an unusable account (no password, email ``visitor-<sha256 of browser id>@visitors.invalid``,
no workspace) created on first try, so the visitor's conversation and long-term memory are keyed on
an identity of their own, exactly like a subscriber's; a signed-in user tries as themselves.
Conversations run the listing's pinned version. Tries are counted with ``limits`` (moving window,
Redis when ``REDIS_URL`` is set) per visitor and listing and per IP and listing; every run counts.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse, storage, strategies
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend.accounts.actor import NotFound
from backend.accounts.principal import Caller, RunPrincipal
from backend.chat.principal import create_conversation_for, messages_for
from backend.config import get_settings
from backend.models import Listing, User
from marketplace.errors import TryLimitReached
from marketplace.schemas import ConversationView, MessageView
from marketplace.settings import get_marketplace_settings
from marketplace.views import conversation_view, message_view

VISITOR_DOMAIN = "visitors.invalid"
"""Email domain of visitor users (RFC 2606 reserves ``.invalid``: no mail, no sign-in)."""


@dataclass(frozen=True)
class Visitor:
    """Who is trying: ``browser_id`` (a random id the browser keeps; required when signed out),
    the client ``ip`` (None when unknown) and ``user_id`` when signed in."""

    browser_id: str
    ip: str | None = None
    user_id: str | None = None


class TryLimiter:
    """Counts tries per (listing, visitor) and per (listing, IP) in a moving window.

    Args:
        per_visitor: tries per visitor and listing per window. per_ip: per IP and listing.
        window: ``minute``, ``hour`` or ``day``. storage_uri: ``memory://`` or ``redis://...``.
    """

    def __init__(self, per_visitor: int, per_ip: int, window: str = "day", storage_uri: str = "memory://") -> None:
        self._visitor: RateLimitItem = parse(f"{per_visitor} per 1 {window}")
        self._ip: RateLimitItem = parse(f"{per_ip} per 1 {window}")
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    def _keys(self, listing_id: str, visitor: Visitor) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        who = f"user:{visitor.user_id}" if visitor.user_id else f"browser:{visitor.browser_id}"
        keys: list[tuple[RateLimitItem, tuple[str, ...]]] = [(self._visitor, ("try-visitor", listing_id, who))]
        if visitor.ip:
            keys.append((self._ip, ("try-ip", listing_id, visitor.ip)))
        return keys

    def take_new_visitor(self, ip: str | None) -> None:
        """Count one new visitor identity from ``ip`` (as many a window as an IP's tries of one
        listing), or raise :class:`TryLimitReached`: fresh browser ids cannot mint accounts unboundedly."""
        if not ip:
            return
        if not self._limiter.hit(self._ip, "try-new-visitor", ip):
            reset = self._limiter.get_window_stats(self._ip, "try-new-visitor", ip).reset_time
            raise TryLimitReached(max(1, math.ceil(reset - time.time())))

    def remaining(self, listing_id: str, visitor: Visitor) -> int:
        """Tries left for this visitor on this listing now (the smaller of the two counts)."""
        return min(self._limiter.get_window_stats(i, *k).remaining for i, k in self._keys(listing_id, visitor))

    def take(self, listing_id: str, visitor: Visitor) -> None:
        """Count one try, or raise :class:`TryLimitReached` (nothing counted) when one limit is spent."""
        keys = self._keys(listing_id, visitor)
        waits = [
            max(1, math.ceil(self._limiter.get_window_stats(i, *k).reset_time - time.time()))
            for i, k in keys
            if not self._limiter.test(i, *k)
        ]
        if waits:
            raise TryLimitReached(max(waits))
        for item, key in keys:
            self._limiter.hit(item, *key)


@lru_cache(maxsize=1)
def get_try_limiter() -> TryLimiter:
    """The process-wide limiter configured from :class:`marketplace.settings.MarketplaceSettings`."""
    s = get_marketplace_settings()
    return TryLimiter(s.try_runs_per_visitor, s.try_runs_per_ip, s.try_window, get_settings().redis_url or "memory://")


def _tryable(listing_id: str, session: Session) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None or listing.status not in ("published", "unlisted"):
        raise NotFound("Listing not found.")
    return listing


def visitor_user_id(visitor: Visitor, session: Session) -> str:
    """The end user of a visitor's tries: the signed-in user, else the browser's visitor user
    (created on first use; safe against two first tries at once).

    Raises:
        ValueError: signed out without a browser id.
        TryLimitReached: too many new browsers from this IP in the window.
    """
    if visitor.user_id:
        return visitor.user_id
    if len(visitor.browser_id) < 16:
        raise ValueError("A browser id of at least 16 characters is needed to try an agent.")
    digest = hashlib.sha256(visitor.browser_id.encode()).hexdigest()[:40]
    email = f"visitor-{digest}@{VISITOR_DOMAIN}"
    found = session.exec(select(User.id).where(User.email == email)).first()
    if found is not None:
        return found
    get_try_limiter().take_new_visitor(visitor.ip)
    user = User(email=email, password_hash="!")  # noqa: S106  ("!" is no argon2 hash: nobody can sign in)
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:  # the same browser's other tab created it first
        return session.exec(select(User.id).where(User.email == email)).one()
    return user.id


def _principal(listing: Listing, end_user: str) -> RunPrincipal:
    """A visitor's principal; the listing's paying connection (if set) pays the main model."""
    caller = Caller("visitor", listing.id, end_user)
    return RunPrincipal(listing.workspace_id, listing.agent_id, caller, end_user, listing.connection_id)


def start_trial(*, listing_id: str, visitor: Visitor, session: Session) -> ConversationView:
    """Open the visitor's conversation with the listing's pinned version (counts no try).

    Raises:
        NotFound: no such listing, or it is a draft or suspended.
        ValueError: signed out without a browser id.
        TryLimitReached: too many new browsers from this IP in the window.
    """
    listing = _tryable(listing_id, session)
    principal = _principal(listing, visitor_user_id(visitor, session))
    conv = create_conversation_for(principal=principal, session=session, blueprint_version_id=listing.version_id)
    return conversation_view(conv)


def trial_principal(*, listing_id: str, visitor: Visitor, session: Session) -> RunPrincipal:
    """The principal of one try; counts it. Call once per message, then ``run_agent`` with it.

    Raises:
        NotFound: no such listing, or it is a draft or suspended.
        TryLimitReached: the visitor (or their IP) used up the tries of this listing.
        ValueError: signed out without a browser id.
    """
    listing = _tryable(listing_id, session)
    end_user = visitor_user_id(visitor, session)
    get_try_limiter().take(listing.id, visitor)
    return _principal(listing, end_user)


def tries_left(*, listing_id: str, visitor: Visitor) -> int:
    """How many tries of the listing the visitor has left now (for "2 free tries left")."""
    return get_try_limiter().remaining(listing_id, visitor)


def trial_messages(*, listing_id: str, visitor: Visitor, conversation_id: str, session: Session) -> list[MessageView]:
    """Messages of the visitor's own try conversation.

    Raises:
        NotFound: not this visitor's conversation with this listing's agent.
    """
    listing = _tryable(listing_id, session)
    principal = _principal(listing, visitor_user_id(visitor, session))
    return [
        message_view(m) for m in messages_for(principal=principal, conversation_id=conversation_id, session=session)
    ]
