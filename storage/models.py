"""The tables downstream consumers query. Column meanings are a public contract (design.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import AwareDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY; elsewhere use 64-bit ids.
Id = BigInteger().with_variant(Integer(), "sqlite")
# MariaDB's TEXT holds 64 KB, too little for some article pages.
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
# JSONB on PostgreSQL so consumers can index and query category paths.
JsonList = JSON().with_variant(postgresql.JSONB(), "postgresql")
# utf8mb4 index keys are limited to 3072 bytes on InnoDB: 768 characters.
URL_LENGTH = 768


class Base(DeclarativeBase):
    pass


class Article(Base):
    """One fetched article page; syndicated copies point at the first stored copy."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2048))
    canonical_url: Mapped[str] = mapped_column(String(URL_LENGTH), unique=True)
    site: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(255))
    author: Mapped[str | None] = mapped_column(String(255))
    published_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)
    summary: Mapped[str | None] = mapped_column(Text)
    category: Mapped[list[str] | None] = mapped_column(JsonList)
    body: Mapped[str] = mapped_column(LongText)
    body_html: Mapped[str | None] = mapped_column(LongText)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    duplicate_of: Mapped[int | None] = mapped_column(
        Id, ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    first_seen_at: Mapped[datetime] = mapped_column(AwareDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(AwareDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # The crawl run that first stored this row (crawl_runs.id); NULL for rows stored before
    # run records existed or by code outside a crawl.
    first_run_id: Mapped[int | None] = mapped_column(Id, ForeignKey("crawl_runs.id"), index=True)

    __table_args__: Any = (
        Index("ix_articles_site_published", "site", "published_at"),
        # Search indexes are dialect-specific and live in migration 0003 only: the SQLite
        # FTS5 trigram table and the PostgreSQL pg_trgm GIN indexes (storage.schema keeps
        # them out of the models/migrations comparison).
    )


class ArticleFingerprint(Base):
    """The MinHash signature of an article's body (storage.similarity), one row per article
    long enough to have one; candidates found through the bands are checked against it."""

    __tablename__ = "article_fingerprints"

    article_id: Mapped[int] = mapped_column(
        Id, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    signature: Mapped[bytes] = mapped_column(LargeBinary(1024))


class ArticleBand(Base):
    """The LSH index for near-duplicates: articles sharing a band hash are candidates.

    The primary key starts with the band hash, so a lookup is an index range scan on every
    backend; the second index serves deletes when an article's text changes.
    """

    __tablename__ = "article_bands"

    band_hash: Mapped[int] = mapped_column(BigInteger)
    article_id: Mapped[int] = mapped_column(
        Id, ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )

    __table_args__: Any = (PrimaryKeyConstraint("band_hash", "article_id"),)


class ArticleVersion(Base):
    """An earlier text of an article, kept when a re-crawl found the text changed."""

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(
        Id, ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(LongText)
    body_html: Mapped[str | None] = mapped_column(LongText)
    content_hash: Mapped[str] = mapped_column(String(64))
    # When this text was first stored (the article's first_seen_at or previous updated_at) and
    # when a re-crawl replaced it.
    captured_at: Mapped[datetime] = mapped_column(AwareDateTime())
    replaced_at: Mapped[datetime] = mapped_column(AwareDateTime())


class CrawlRun(Base):
    """What one crawl run did: inserted as ``running`` when the spider opens and completed when
    it closes, so a run that died without closing stays visible as ``running``/unfinished.

    Counts mirror the run summary; ``dropped`` maps a drop reason to its count, ``coverage``
    maps an article field to the share of extracted articles that had it (0.0-1.0), and
    ``warnings`` lists the monitoring findings against earlier runs of the same site.
    """

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    spider: Mapped[str] = mapped_column(String(255))
    site: Mapped[str | None] = mapped_column(String(255))
    arguments: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    host: Mapped[str | None] = mapped_column(String(255))
    # The crawler's process id on ``host``: a later run on that host marks the record
    # ``interrupted`` once that process is gone without completing it.
    pid: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(AwareDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # running | finished | failed | interrupted
    status: Mapped[str] = mapped_column(String(32))
    finish_reason: Mapped[str | None] = mapped_column(String(255))
    error_message: Mapped[str | None] = mapped_column(Text)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    # Article links found on listing pages, and listing pages answered 304 Not Modified: with
    # incremental crawls few articles are fetched, so the links tell a quiet run from a
    # broken listing.
    listing_links: Mapped[int] = mapped_column(Integer, default=0)
    listings_not_modified: Mapped[int] = mapped_column(Integer, default=0)
    articles_extracted: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_updated: Mapped[int] = mapped_column(Integer, default=0)
    articles_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    articles_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    articles_dropped: Mapped[int] = mapped_column(Integer, default=0)
    dropped: Mapped[dict[str, int] | None] = mapped_column(JSON)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    coverage: Mapped[dict[str, float] | None] = mapped_column(JSON)
    warnings: Mapped[list[str] | None] = mapped_column(JSON)

    __table_args__: Any = (Index("ix_crawl_runs_site_started", "site", "started_at"),)


class ListingPage(Base):
    """Validators of a listing page from its last fetch, for conditional requests
    (If-None-Match / If-Modified-Since) and for noticing an unchanged list of links when the
    server sends no validators (``links_hash``)."""

    __tablename__ = "listing_pages"

    url: Mapped[str] = mapped_column(String(URL_LENGTH), primary_key=True)
    site: Mapped[str] = mapped_column(String(255))
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    links_hash: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column(AwareDateTime())


ARTICLE_CONTENT_FIELDS = (
    "url",
    "site",
    "title",
    "source",
    "author",
    "published_at",
    "summary",
    "category",
    "body",
    "body_html",
    "content_hash",
)
