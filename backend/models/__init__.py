"""SQLModel tables and their public schemas. Importing this package registers every table."""

from backend.models.account import AuthSession, Membership, User, UserPublic, Workspace
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
    "Membership",
    "Message",
    "Run",
    "Template",
    "User",
    "UserPublic",
    "Workspace",
]
