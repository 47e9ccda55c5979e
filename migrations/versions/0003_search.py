"""Full-text search that works for Chinese (no spaces between words): trigram indexes.

- SQLite: an FTS5 table with the trigram tokenizer (SQLite 3.34+) over title and body, kept in
  sync with ``articles`` by triggers, filled from the existing rows.
- PostgreSQL: the pg_trgm extension and GIN trigram indexes on title and body, which serve
  ``ILIKE '%关键词%'``. Creating the extension needs a role allowed to (pg_trgm is a trusted
  extension: the database owner may; or a superuser creates it beforehand).
- MariaDB: nothing; ``scrapy search`` uses LIKE there (InnoDB's FULLTEXT parser cannot split
  Chinese, and its ngram parser exists only in MySQL).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, body, content='articles', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER articles_fts_update",
    "DROP TRIGGER articles_fts_delete",
    "DROP TRIGGER articles_fts_insert",
    "DROP TABLE articles_fts",
]


def _trigram_schema() -> str:
    """The schema pg_trgm lives in, creating the extension when the database lacks it; the
    operator class is qualified with it so the index works whatever the search_path."""
    bind = op.get_bind()
    query = sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = 'pg_trgm'"
    )
    schema = bind.execute(query).scalar()
    if schema is None:
        # In public when allowed: an extension lives in one schema per database, and one in
        # an application schema would vanish with that schema, taking our indexes along.
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        except sa.exc.DBAPIError:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        schema = bind.execute(query).scalar()
    return str(schema)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    elif dialect == "postgresql":
        schema = _trigram_schema()
        for column in ("title", "body"):
            op.execute(
                f"CREATE INDEX ix_articles_{column}_trgm ON articles"
                f' USING gin ({column} "{schema}".gin_trgm_ops)'
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    elif dialect == "postgresql":
        op.drop_index("ix_articles_body_trgm", table_name="articles")
        op.drop_index("ix_articles_title_trgm", table_name="articles")
