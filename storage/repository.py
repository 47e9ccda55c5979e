"""Writing articles: the transactional reconciliation of a batch against what is stored.

Deciding whether an article is new, changed, unchanged or a copy of a stored one has to
happen inside the same transaction as the write, or two crawls writing at once would both
decide "new". So this is where stored-state deduplication lives; the dedupe pipeline only
removes repeats within the running crawl, which it can do in memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.models import ARTICLE_CONTENT_FIELDS, Article

ARTICLES = Article.__table__
# How often a batch is retried when a concurrent writer stored one of its URLs first.
CONFLICT_RETRIES = 3


@dataclass
class BatchResult:
    """What one batch did; every article lands in exactly one of these counts."""

    stored: int = 0  # new rows of stories not stored before
    duplicates: int = 0  # new rows whose body is a copy of a stored story (duplicate_of set)
    updated: int = 0  # stored URLs whose text changed
    unchanged: int = 0  # stored URLs seen again with the same text (last_seen_at moved)
    new_ids: list[int] = field(default_factory=list)

    def __iadd__(self, other: BatchResult) -> BatchResult:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.new_ids.extend(other.new_ids)
        return self


class ArticleRepository:
    """Batched, idempotent writes of article rows."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save_batch(
        self, articles: Sequence[Mapping[str, Any]], *, seen_at: datetime | None = None
    ) -> BatchResult:
        """Store a batch in one transaction; re-running the same batch changes no row count."""
        if not articles:
            return BatchResult()
        now = seen_at or datetime.now(UTC)
        for attempt in range(1, CONFLICT_RETRIES + 1):
            try:
                with self.engine.begin() as connection:
                    return self._reconcile(connection, articles, now)
            except IntegrityError:
                # Another writer inserted one of these canonical URLs after our SELECT; the
                # next attempt sees its row and turns our insert into an update.
                if attempt == CONFLICT_RETRIES:
                    raise
        raise AssertionError("unreachable")

    def _reconcile(
        self, connection: Connection, articles: Sequence[Mapping[str, Any]], now: datetime
    ) -> BatchResult:
        result = BatchResult()
        canonical_urls = list({article["canonical_url"] for article in articles})
        stored = {
            row.canonical_url: (row.id, row.content_hash)
            for row in connection.execute(
                select(ARTICLES.c.id, ARTICLES.c.canonical_url, ARTICLES.c.content_hash).where(
                    ARTICLES.c.canonical_url.in_(canonical_urls)
                )
            )
        }
        new_hashes = list({a["content_hash"] for a in articles if a["canonical_url"] not in stored})
        first_copy: dict[str, int] = {}
        if new_hashes:
            first_copy = {
                row.content_hash: row.first_id
                for row in connection.execute(
                    select(ARTICLES.c.content_hash, func.min(ARTICLES.c.id).label("first_id"))
                    .where(ARTICLES.c.content_hash.in_(new_hashes))
                    .group_by(ARTICLES.c.content_hash)
                )
            }

        unchanged_ids: list[int] = []
        changed_rows: list[dict[str, Any]] = []
        new_stories: list[dict[str, Any]] = []
        copies: list[dict[str, Any]] = []
        batch_canonical_urls: set[str] = set()
        batch_hashes: set[str] = set()
        for article in articles:
            row = {name: article.get(name) for name in ARTICLE_CONTENT_FIELDS}
            canonical_url = article["canonical_url"]
            content_hash = article["content_hash"]
            if canonical_url in stored:
                article_id, stored_hash = stored[canonical_url]
                if stored_hash == content_hash:
                    unchanged_ids.append(article_id)
                else:
                    changed_rows.append(
                        {**row, "b_id": article_id, "last_seen_at": now, "updated_at": now}
                    )
                    stored[canonical_url] = (article_id, content_hash)
                continue
            if canonical_url in batch_canonical_urls:
                result.unchanged += 1  # the same page twice in one batch: keep the first
                continue
            batch_canonical_urls.add(canonical_url)
            row.update(canonical_url=canonical_url, first_seen_at=now, last_seen_at=now)
            if content_hash in first_copy or content_hash in batch_hashes:
                copies.append(row)
            else:
                batch_hashes.add(content_hash)
                new_stories.append(row)

        if new_stories:
            inserted = connection.execute(
                insert(ARTICLES).returning(
                    ARTICLES.c.id, ARTICLES.c.content_hash, sort_by_parameter_order=True
                ),
                new_stories,
            ).all()
            for row in inserted:
                first_copy.setdefault(row.content_hash, row.id)
                result.new_ids.append(row.id)
            result.stored += len(inserted)
        if copies:
            for row in copies:
                row["duplicate_of"] = first_copy[row["content_hash"]]
            inserted = connection.execute(
                insert(ARTICLES).returning(ARTICLES.c.id, sort_by_parameter_order=True), copies
            ).all()
            result.new_ids.extend(row.id for row in inserted)
            result.duplicates += len(inserted)
        if changed_rows:
            connection.execute(
                update(ARTICLES)
                .where(ARTICLES.c.id == bindparam("b_id"))
                .values({name: bindparam(name) for name in changed_rows[0] if name != "b_id"}),
                changed_rows,
            )
            result.updated += len(changed_rows)
        if unchanged_ids:
            connection.execute(
                update(ARTICLES).where(ARTICLES.c.id.in_(unchanged_ids)).values(last_seen_at=now)
            )
            result.unchanged += len(unchanged_ids)
        return result
