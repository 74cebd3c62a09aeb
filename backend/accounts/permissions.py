"""Who may do what in a workspace: the one permissions module every service asks.

A member holds one role (``owner``, ``admin``, ``builder``, ``viewer``, most powerful first).
Each mutating service call names an **action** and asks :func:`require`; pages ask :func:`can`
(or :func:`actions_for`) only to hide what a role cannot do; the service refuses it anyway.

Actions (the full table is :data:`ALLOWED`; docs/architecture.md lists it too):

==========================  =========================================================
action                      roles
==========================  =========================================================
``agents.use``              all (list agents, chat with them)
``agents.edit``             owner, admin, builder (create, edit, save, restore,
                            delete agents; their knowledge, tools, memory settings)
``tools.manage``            owner, admin, builder (custom HTTP and OpenAPI tools)
``connections.view``        owner, admin, builder (names and models, never keys)
``connections.manage``      owner, admin (add, edit, delete, test connections)
``limits.manage``           owner, admin (budgets, rate limits, prices, embeddings)
``analytics.view``          owner, admin, builder
``marketplace.publish``     owner, admin (listings, publishing, review replies)
``api_keys.manage``         owner, admin, builder (the developer API's keys)
``members.view``            all
``members.manage``          owner, admin (invite, change roles, remove members)
``audit.view``              owner, admin
``billing.view``            owner, admin
``billing.manage``          owner
``workspace.rename``        owner, admin
``workspace.delete``        owner
``workspace.security``      owner (require two-factor sign-in of every member)
==========================  =========================================================

Role changes have one more rule (:func:`can_assign`): only an owner makes or unmakes owners.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.accounts.actor import Actor, PermissionDenied, require_member

OWNER, ADMIN, BUILDER, VIEWER = "owner", "admin", "builder", "viewer"
ROLES: tuple[str, ...] = (OWNER, ADMIN, BUILDER, VIEWER)
"""Every role a membership can hold, most powerful first."""

LEGACY_ROLES = {"member": BUILDER}
"""Role names stored before issue 16 (``member`` could edit agents, so it means builder)."""

_ALL = frozenset(ROLES)
_BUILDERS = frozenset({OWNER, ADMIN, BUILDER})
_MANAGERS = frozenset({OWNER, ADMIN})
_OWNERS = frozenset({OWNER})

AGENTS_USE = "agents.use"
AGENTS_EDIT = "agents.edit"
TOOLS_MANAGE = "tools.manage"
CONNECTIONS_VIEW = "connections.view"
CONNECTIONS_MANAGE = "connections.manage"
LIMITS_MANAGE = "limits.manage"
ANALYTICS_VIEW = "analytics.view"
MARKETPLACE_PUBLISH = "marketplace.publish"
API_KEYS_MANAGE = "api_keys.manage"
MEMBERS_VIEW = "members.view"
MEMBERS_MANAGE = "members.manage"
AUDIT_VIEW = "audit.view"
BILLING_VIEW = "billing.view"
BILLING_MANAGE = "billing.manage"
WORKSPACE_RENAME = "workspace.rename"
WORKSPACE_DELETE = "workspace.delete"
WORKSPACE_SECURITY = "workspace.security"

ALLOWED: dict[str, frozenset[str]] = {
    AGENTS_USE: _ALL,
    AGENTS_EDIT: _BUILDERS,
    TOOLS_MANAGE: _BUILDERS,
    CONNECTIONS_VIEW: _BUILDERS,
    CONNECTIONS_MANAGE: _MANAGERS,
    LIMITS_MANAGE: _MANAGERS,
    ANALYTICS_VIEW: _BUILDERS,
    MARKETPLACE_PUBLISH: _MANAGERS,
    API_KEYS_MANAGE: _BUILDERS,
    MEMBERS_VIEW: _ALL,
    MEMBERS_MANAGE: _MANAGERS,
    AUDIT_VIEW: _MANAGERS,
    BILLING_VIEW: _MANAGERS,
    BILLING_MANAGE: _OWNERS,
    WORKSPACE_RENAME: _MANAGERS,
    WORKSPACE_DELETE: _OWNERS,
    WORKSPACE_SECURITY: _OWNERS,
}
"""Action -> the roles allowed to do it."""

_MESSAGES = {
    AGENTS_EDIT: "Viewers can chat with agents but cannot change them. Ask an admin for the builder role.",
    TOOLS_MANAGE: "Viewers cannot add or change tools. Ask an admin for the builder role.",
    CONNECTIONS_VIEW: "Viewers cannot see the workspace's connections.",
    CONNECTIONS_MANAGE: "Only the workspace's owners and admins can change connections.",
    LIMITS_MANAGE: "Only the workspace's owner or admins can change limits, budgets and prices.",
    ANALYTICS_VIEW: "Viewers cannot see the workspace's analytics.",
    MARKETPLACE_PUBLISH: "Only the workspace's owners and admins can publish to the marketplace.",
    API_KEYS_MANAGE: "Viewers cannot manage API keys.",
    MEMBERS_MANAGE: "Only the workspace's owners and admins can manage members and invitations.",
    AUDIT_VIEW: "Only the workspace's owners and admins can see the audit trail.",
    BILLING_VIEW: "Only the workspace's owners and admins can see billing.",
    BILLING_MANAGE: "Only the workspace's owners can change billing.",
    WORKSPACE_RENAME: "Only the workspace's owners and admins can rename it.",
    WORKSPACE_DELETE: "Only the workspace's owners can delete it.",
    WORKSPACE_SECURITY: "Only the workspace's owners can change its sign-in requirements.",
}


def normalize_role(role: str) -> str:
    """The current name of a stored role (``member`` -> ``builder``); unknown names stay as they are."""
    return LEGACY_ROLES.get(role, role)


def role_allows(role: str, action: str) -> bool:
    """True if ``role`` may do ``action``.

    Raises:
        KeyError: ``action`` is not a known action (a typo must fail loudly, not deny quietly).
    """
    return normalize_role(role) in ALLOWED[action]


def actions_for(role: str) -> frozenset[str]:
    """Every action ``role`` may do (for pages deciding what to show)."""
    return frozenset(action for action, roles in ALLOWED.items() if normalize_role(role) in roles)


def role_of(actor: Actor, session: Session) -> str:
    """The actor's role in its workspace (normalized).

    Raises:
        PermissionDenied: the user is not a member of the workspace.
    """
    return normalize_role(require_member(actor, session))


def can(actor: Actor, action: str, session: Session) -> bool:
    """True if the actor is a member whose role allows ``action``; False otherwise (never raises
    for a non-member). Raises KeyError for an unknown action."""
    try:
        return role_allows(role_of(actor, session), action)
    except PermissionDenied:
        return False


def require(actor: Actor, action: str, session: Session, message: str | None = None) -> str:
    """Check that the actor may do ``action`` in its workspace.

    Returns:
        The actor's role.

    Raises:
        PermissionDenied: not a member, or the role does not allow ``action`` (with ``message``
            or the action's own sentence).
        KeyError: ``action`` is not a known action.
    """
    role = role_of(actor, session)
    if not role_allows(role, action):
        raise PermissionDenied(message or _MESSAGES.get(action, "Your role does not allow this."))
    return role


def can_assign(assigner_role: str, old_role: str | None, new_role: str | None) -> bool:
    """True if a member with ``assigner_role`` may change a membership from ``old_role`` to
    ``new_role`` (``None``: no membership, i.e. an invitation or a removal).

    Owners and admins manage members; only owners give or take away the owner role.
    """
    if not role_allows(assigner_role, MEMBERS_MANAGE):
        return False
    if new_role is not None and normalize_role(new_role) not in ROLES:
        return False
    touches_owner = OWNER in {normalize_role(old_role or ""), normalize_role(new_role or "")}
    return normalize_role(assigner_role) == OWNER or not touches_owner
