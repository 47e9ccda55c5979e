"""Run records (crawl_runs), the run that first stored each article, and listing-page
validators for incremental crawls (listing_pages).

On SQLite the new articles column is added with a plain ALTER TABLE (SQLite accepts a
REFERENCES clause on an added column whose default is NULL): Alembic's batch mode would
rebuild ``articles`` and drop the full-text triggers of migration 0003. The foreign key has no
ON DELETE action because SQLite reflects none for a column-level REFERENCES clause, and the
models/migrations comparison must agree on every backend: to prune old run records, clear
``articles.first_run_id`` for them first.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import AwareDateTime

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
URL_LENGTH = 768


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("spider", sa.String(255), nullable=False),
        sa.Column("site", sa.String(255), nullable=True),
        sa.Column("arguments", sa.JSON(), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("started_at", AwareDateTime(), nullable=False),
        sa.Column("finished_at", AwareDateTime(), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("finish_reason", sa.String(255), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("pages_fetched", sa.Integer(), nullable=False),
        sa.Column("listing_links", sa.Integer(), nullable=False),
        sa.Column("listings_not_modified", sa.Integer(), nullable=False),
        sa.Column("articles_extracted", sa.Integer(), nullable=False),
        sa.Column("articles_new", sa.Integer(), nullable=False),
        sa.Column("articles_updated", sa.Integer(), nullable=False),
        sa.Column("articles_unchanged", sa.Integer(), nullable=False),
        sa.Column("articles_duplicate", sa.Integer(), nullable=False),
        sa.Column("articles_dropped", sa.Integer(), nullable=False),
        sa.Column("dropped", sa.JSON(), nullable=True),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("coverage", sa.JSON(), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=True),
    )
    op.create_index("ix_crawl_runs_site_started", "crawl_runs", ["site", "started_at"])
    op.create_table(
        "listing_pages",
        sa.Column("url", sa.String(URL_LENGTH), primary_key=True),
        sa.Column("site", sa.String(255), nullable=False),
        sa.Column("etag", sa.String(512), nullable=True),
        sa.Column("last_modified", sa.String(64), nullable=True),
        sa.Column("links_hash", sa.String(64), nullable=True),
        sa.Column("checked_at", AwareDateTime(), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE articles ADD COLUMN first_run_id INTEGER REFERENCES crawl_runs (id)"
        )
    else:
        op.add_column("articles", sa.Column("first_run_id", Id, nullable=True))
        op.create_foreign_key(
            "fk_articles_first_run_id",
            "articles",
            "crawl_runs",
            ["first_run_id"],
            ["id"],
        )
    op.create_index("ix_articles_first_run_id", "articles", ["first_run_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_articles_first_run_id", table_name="articles")
        op.execute("ALTER TABLE articles DROP COLUMN first_run_id")
    else:
        # MariaDB refuses to drop an index a foreign key still needs.
        op.drop_constraint("fk_articles_first_run_id", "articles", type_="foreignkey")
        op.drop_index("ix_articles_first_run_id", table_name="articles")
        op.drop_column("articles", "first_run_id")
    op.drop_table("listing_pages")
    op.drop_index("ix_crawl_runs_site_started", table_name="crawl_runs")
    op.drop_table("crawl_runs")
