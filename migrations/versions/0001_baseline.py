"""Baseline: the articles table as the crawler created it before migrations existed.

Databases created by those releases (``create_all``) already have the table: the baseline then
only records its revision, and the later migrations upgrade them like any other.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

from storage.types import AwareDateTime

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
JsonList = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("articles"):
        return
    op.create_table(
        "articles",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("canonical_url", sa.String(768), nullable=False),
        sa.Column("site", sa.String(255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("source", sa.String(255), nullable=True),
        sa.Column("author", sa.String(255), nullable=True),
        sa.Column("published_at", AwareDateTime(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("category", JsonList, nullable=True),
        sa.Column("body", LongText, nullable=False),
        sa.Column("body_html", LongText, nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column(
            "duplicate_of",
            Id,
            sa.ForeignKey("articles.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("first_seen_at", AwareDateTime(), nullable=False),
        sa.Column("last_seen_at", AwareDateTime(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=True),
        sa.UniqueConstraint("canonical_url"),
    )
    op.create_index("ix_articles_published_at", "articles", ["published_at"])
    op.create_index("ix_articles_content_hash", "articles", ["content_hash"])
    op.create_index("ix_articles_duplicate_of", "articles", ["duplicate_of"])
    op.create_index("ix_articles_site_published", "articles", ["site", "published_at"])


def downgrade() -> None:
    op.drop_table("articles")
