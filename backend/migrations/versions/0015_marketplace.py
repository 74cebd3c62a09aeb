"""marketplace: listings of pinned agent versions with their changelog, subscriptions, reviews,
reports, a full-text index over listings, and the platform-admin flag on users.

Search: on SQLite an FTS5 table ``listing_search`` (porter stemming) kept in step with
``listings`` by triggers, its rows tied to listings by ``listings.search_rowid`` (SQLite only);
on PostgreSQL a generated ``tsvector`` column ``listings.search_vector``
(english configuration, weighted title > tagline/tags > description) with a GIN index.

Revision ID: 0015_marketplace
Revises: 0012_hold_index
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015_marketplace"
down_revision = "0014_budget_nano"
branch_labels = None
depends_on = None


def _str(name: str, length: int, nullable: bool = False, default: str | None = None) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable, server_default=default)


def _id(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return _str(name, 32, nullable)


def _time(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sqlmodel.sql.sqltypes.UTCDateTime(), nullable=nullable)


def _int(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), nullable=nullable, server_default=None if nullable else "0")


def _listings() -> None:
    op.create_table(
        "listings",
        _id("id"),
        _str("slug", 80),
        _id("workspace_id"),
        _id("agent_id"),
        _id("version_id"),
        sa.Column("version_number", sa.Integer(), nullable=False),
        _id("created_by"),
        _str("title", 80),
        _str("tagline", 160, default=""),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        _str("category", 40, default="General"),
        sa.Column("tags", sa.JSON(), nullable=False),
        _str("tags_text", 400, default=""),
        _str("icon", 16),
        sa.Column("examples", sa.JSON(), nullable=False),
        _str("plan_kind", 10, default="free"),
        _str("currency", 3, default="usd"),
        _int("monthly_price_cents"),
        _int("included_runs"),
        _int("price_per_run_cents"),
        _int("free_trial_runs"),
        _id("connection_id", nullable=True),
        _int("subscriber_requests_per_min", nullable=True),
        sa.Column("subscriber_monthly_budget_nano", sa.BigInteger(), nullable=True),
        _str("status", 12, default="draft"),
        _str("suspended_reason", 500, default=""),
        _int("subscriber_count"),
        _int("rating_count"),
        _int("rating_total"),
        _time("created_at"),
        _time("updated_at"),
        _time("published_at", nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["blueprint_versions.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_listings_slug", "listings", ["slug"], unique=True)
    for column in ("workspace_id", "agent_id", "category", "status", "published_at"):
        op.create_index(f"ix_listings_{column}", "listings", [column])


def _children() -> None:
    op.create_table(
        "listing_versions",
        _id("id"),
        _id("listing_id"),
        _id("blueprint_version_id"),
        sa.Column("version_number", sa.Integer(), nullable=False),
        _str("changelog", 2000, default=""),
        _id("published_by"),
        _time("published_at"),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"]),
        sa.ForeignKeyConstraint(["blueprint_version_id"], ["blueprint_versions.id"]),
        sa.ForeignKeyConstraint(["published_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("listing_id", "version_number", name="uq_listing_version"),
    )
    op.create_index("ix_listing_versions_listing_id", "listing_versions", ["listing_id"])
    op.create_table(
        "subscriptions",
        _id("id"),
        _id("listing_id"),
        _id("user_id"),
        _id("grant_id", nullable=True),
        _str("status", 10, default="active"),
        _id("blueprint_version_id"),
        _time("created_at"),
        _time("canceled_at", nullable=True),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["grant_id"], ["agent_grants.id"]),
        sa.ForeignKeyConstraint(["blueprint_version_id"], ["blueprint_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("listing_id", "user_id", name="uq_subscription_listing_user"),
    )
    op.create_index("ix_subscriptions_listing_id", "subscriptions", ["listing_id"])
    op.create_index("ix_subscriptions_user_id", "subscriptions", ["user_id"])
    op.create_table(
        "reviews",
        _id("id"),
        _id("listing_id"),
        _id("user_id"),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("reply", sa.Text(), nullable=False, server_default=""),
        _time("replied_at", nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("listing_id", "user_id", name="uq_review_listing_user"),
    )
    op.create_index("ix_reviews_listing_id", "reviews", ["listing_id"])
    op.create_index("ix_reviews_user_id", "reviews", ["user_id"])
    op.create_table(
        "marketplace_reports",
        _id("id"),
        _id("listing_id"),
        _id("review_id", nullable=True),
        _id("reporter_user_id"),
        _str("reason", 1000),
        _str("status", 10, default="open"),
        _str("resolution", 500, default=""),
        _id("resolved_by", nullable=True),
        _time("created_at"),
        _time("resolved_at", nullable=True),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"]),
        sa.ForeignKeyConstraint(["reporter_user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_marketplace_reports_listing_id", "marketplace_reports", ["listing_id"])
    op.create_index("ix_marketplace_reports_status", "marketplace_reports", ["status"])


_PG_VECTOR = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(tagline, '') || ' ' || coalesce(tags_text, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'C')"
)

_SQLITE_FTS = [
    # ``search_rowid`` ties a listing to its FTS row for good (SQLite may renumber implicit rowids on VACUUM).
    "ALTER TABLE listings ADD COLUMN search_rowid INTEGER",
    "CREATE UNIQUE INDEX ix_listings_search_rowid ON listings (search_rowid)",
    "CREATE VIRTUAL TABLE listing_search USING fts5("
    "title, tagline, tags, description, tokenize='porter unicode61 remove_diacritics 2')",
    # ORDER BY rank: title weighs 10, tagline and tags 4, description 1.
    "INSERT INTO listing_search (listing_search, rank) VALUES ('rank', 'bm25(10.0, 4.0, 4.0, 1.0)')",
    "CREATE TRIGGER listings_search_insert AFTER INSERT ON listings BEGIN "
    "UPDATE listings SET search_rowid = (SELECT coalesce(max(search_rowid), 0) + 1 FROM listings) WHERE id = new.id; "
    "INSERT INTO listing_search (rowid, title, tagline, tags, description) "
    "SELECT search_rowid, new.title, new.tagline, new.tags_text, new.description FROM listings WHERE id = new.id; END",
    "CREATE TRIGGER listings_search_update AFTER UPDATE OF title, tagline, tags_text, description ON listings BEGIN "
    "DELETE FROM listing_search WHERE rowid = old.search_rowid; "
    "INSERT INTO listing_search (rowid, title, tagline, tags, description) "
    "VALUES (old.search_rowid, new.title, new.tagline, new.tags_text, new.description); END",
    "CREATE TRIGGER listings_search_delete AFTER DELETE ON listings BEGIN "
    "DELETE FROM listing_search WHERE rowid = old.search_rowid; END",
]


def _search() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE listings ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({_PG_VECTOR}) STORED")
        op.execute("CREATE INDEX ix_listings_search_vector ON listings USING gin (search_vector)")
    else:
        for statement in _SQLITE_FTS:
            op.execute(statement)


def upgrade() -> None:
    # Plain ALTER TABLE on both databases: a batch (copy) of ``users`` on SQLite would fail on the
    # foreign keys pointing at it once rows exist.
    op.add_column("users", sa.Column("is_platform_admin", sa.Boolean(), nullable=False, server_default=sa.false()))
    _listings()
    _children()
    _search()


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS listings_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS listing_search")
        op.execute("DROP INDEX IF EXISTS ix_listings_search_rowid")
    for table in ("marketplace_reports", "reviews", "subscriptions", "listing_versions", "listings"):
        op.drop_table(table)
    op.execute("ALTER TABLE users DROP COLUMN is_platform_admin")  # SQLite >= 3.35 and PostgreSQL
