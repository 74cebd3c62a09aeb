"""Sign-in identities at outside providers (Google, GitHub, any OpenID Connect provider)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.common import encrypted_column, new_id, utcnow


class UserIdentity(SQLModel, table=True):
    """One account at a provider linked to one user: ``(provider, subject)`` is unique.

    Attributes:
        provider: the configured provider's key (``google``, ``github``, ``oidc``).
        subject: the provider's stable user id (the ID token's ``sub``), never the e-mail.
        email: the e-mail the provider reported at link time (shown on the Account page).
    """

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("provider", "subject", name="uq_user_identities_provider_subject"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    provider: str = Field(max_length=32)
    subject: str = Field(max_length=255)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    email: str = Field(default="", max_length=254)
    linked_at: datetime = Field(default_factory=utcnow)


class OIDCFlow(SQLModel, table=True):
    """A provider sign-in under way (``backend.accounts.oidc_flows``): the browser holds a random
    handle in an HttpOnly cookie, the database its SHA-256 and the flow (``state``, ``nonce``,
    PKCE verifier, where to return), vault-encrypted, until the callback takes it once."""

    __tablename__ = "oidc_flows"

    id: str = Field(primary_key=True, max_length=64)
    data: str | None = Field(default=None, sa_column=encrypted_column())
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


class UserTwoFactor(SQLModel, table=True):
    """A user's TOTP second factor (RFC 6238; ``backend.accounts.twofactor``).

    Attributes:
        secret: the base32 TOTP secret, vault-encrypted (associated data ``"totp:<user id>"``).
        enabled_at: set once the user confirmed a code; ``None`` while set-up is pending.
        last_step: the last 30-second time step a code was accepted for (a code is never
            accepted twice, RFC 6238 section 5.2).
        recovery_hashes: JSON list of argon2 hashes of the unused recovery codes.
    """

    __tablename__ = "user_two_factor"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", unique=True, index=True, max_length=32)
    secret: str | None = Field(default=None, sa_column=encrypted_column())
    enabled_at: datetime | None = None
    last_step: int = Field(default=0, sa_type=BigInteger)
    recovery_hashes: str = Field(default="[]", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)
