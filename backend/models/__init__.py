"""SQLModel tables and their public schemas. Importing this package registers every table."""

from backend.models.account import AuthSession, LoginTicket, Membership, User, UserPublic, Workspace
from backend.models.agent import Agent, AgentSummary, BlueprintFields, BlueprintVersion, Template
from backend.models.chat import Conversation, Message, Run
from backend.models.connection import Connection, ConnectionPublic

__all__ = [
    "Agent",
    "AgentSummary",
    "AuthSession",
    "BlueprintFields",
    "BlueprintVersion",
    "Connection",
    "ConnectionPublic",
    "Conversation",
    "LoginTicket",
    "Membership",
    "Message",
    "Run",
    "Template",
    "User",
    "UserPublic",
    "Workspace",
]
from backend.models.gateway import (  # noqa: E402  (gateway tables, issue 3)
    Budget,
    BudgetCounter,
    BudgetReservation,
    ModelOverride,
    RateLimitRule,
    UsageRecord,
)

__all__ += ["Budget", "BudgetCounter", "BudgetReservation", "ModelOverride", "RateLimitRule", "UsageRecord"]
from backend.models.memory import (  # noqa: E402  (knowledge and memory tables, issue 5)
    AgentMemorySettings,
    EmbeddingSettings,
    KnowledgeSource,
    KnowledgeUpload,
    MessageCitation,
)

__all__ += ["AgentMemorySettings", "EmbeddingSettings", "KnowledgeSource", "KnowledgeUpload", "MessageCitation"]
from backend.models.tools import (  # noqa: E402  (tool audit, tasks, notes, notifications, custom tools, issue 4)
    CustomTool,
    Note,
    Notification,
    Task,
    ToolAudit,
)

__all__ += ["CustomTool", "Note", "Notification", "Task", "ToolAudit"]
from backend.models.steps import RunStep, StepPublic  # noqa: E402  (run steps, issue 4)

__all__ += ["RunStep", "StepPublic"]
from backend.models.outbox import BillingOutbox  # noqa: E402  (billing outbox, issue 10)

__all__ += ["BillingOutbox"]
from backend.models.grant import AgentGrant  # noqa: E402  (run principal, issue 10)

__all__ += ["AgentGrant"]
from backend.models.marketplace import Listing, ListingVersion, Report, Review, Subscription  # noqa: E402  (issue 12)

__all__ += ["Listing", "ListingVersion", "Report", "Review", "Subscription"]
from backend.models.analytics import (  # noqa: E402  (analytics rollups, issue 14)
    EndUserHourly,
    RollupState,
    RunHourly,
    SeriesHourly,
    ToolHourly,
    UsageHourly,
)

__all__ += ["EndUserHourly", "RollupState", "RunHourly", "SeriesHourly", "ToolHourly", "UsageHourly"]
from backend.models.billing import (  # noqa: E402  (billing ledger, issue 13)
    BillingCustomer,
    BillingPeriod,
    BillingSubscription,
    Invoice,
    InvoiceLineItem,
    ListingPrice,
    Payout,
    PublisherAccount,
    PublisherEarning,
    RunCharge,
    StripeEvent,
)

__all__ += [
    "BillingCustomer",
    "BillingPeriod",
    "BillingSubscription",
    "Invoice",
    "InvoiceLineItem",
    "ListingPrice",
    "Payout",
    "PublisherAccount",
    "PublisherEarning",
    "RunCharge",
    "StripeEvent",
]
from backend.models.plans import Plan, PlanPublic, PlanStep, PlanStepPublic  # noqa: E402  (planner mode, issue 15)

__all__ += ["Plan", "PlanPublic", "PlanStep", "PlanStepPublic"]
from backend.models.api_key import ApiKey  # noqa: E402  (developer API keys, issue 15)

__all__ += ["ApiKey"]
from backend.models.teams import AuditEvent, Invitation, WorkspacePublic  # noqa: E402  (teams, issue 16)

__all__ += ["AuditEvent", "Invitation", "WorkspacePublic"]
from backend.models.identity import OIDCFlow, UserIdentity, UserTwoFactor  # noqa: E402  (sign-in identities, issue 16)

__all__ += ["OIDCFlow", "UserIdentity", "UserTwoFactor"]
