"""Near-duplicate index (MinHash signatures and LSH band hashes) and earlier article texts.

Existing articles get no fingerprints here (computing them needs the crawler's code, not SQL):
they are matched exactly by content_hash as before, and get fingerprints when their text
changes. See storage/similarity.py.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from storage.types import AwareDateTime

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "article_fingerprints",
        sa.Column(
            "article_id",
            Id,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("signature", sa.LargeBinary(1024), nullable=False),
    )
    op.create_table(
        "article_bands",
        sa.Column("band_hash", sa.BigInteger(), nullable=False),
        sa.Column(
            "article_id", Id, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.PrimaryKeyConstraint("band_hash", "article_id"),
    )
    op.create_index("ix_article_bands_article_id", "article_bands", ["article_id"])
    op.create_table(
        "article_versions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "article_id", Id, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", LongText, nullable=False),
        sa.Column("body_html", LongText, nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("captured_at", AwareDateTime(), nullable=False),
        sa.Column("replaced_at", AwareDateTime(), nullable=False),
    )
    op.create_index("ix_article_versions_article_id", "article_versions", ["article_id"])


def downgrade() -> None:
    op.drop_table("article_versions")
    op.drop_table("article_bands")
    op.drop_table("article_fingerprints")
