"""Writing articles: the transactional reconciliation of a batch against what is stored.

Deciding whether an article is new, changed, unchanged or a copy of a stored one has to
happen inside the same transaction as the write, or two crawls writing at once would both
decide "new". So this is where stored-state deduplication lives, exact (``content_hash``) and
near (the MinHash/LSH index of ``storage.similarity``, kept in ``article_bands`` and
``article_fingerprints``); the dedupe pipeline only removes repeats within the running crawl,
which it can do in memory.

Two writers racing on one canonical URL: the URL is unique, rows are inserted in URL order (so
two transactions wait for each other instead of deadlocking), and the batch that loses is
rolled back and retried, when its SELECT sees the winner's row and turns the insert into an
update. Near-duplicate decisions are not guarded by a constraint: two crawls storing two copies
of one story in the very same moment may both keep theirs as an original.

Every step is set-based: a batch costs a fixed handful of statements whatever its size (one
SELECT per kind of lookup, one INSERT per table), never one per article. On PostgreSQL each list
travels as one parameter (``= ANY(array)`` lookups, the articles as one JSON document, band rows
through ``unnest`` of two arrays): thousands of separately bound values cost more to send and
parse than the rows cost to store. benchmarks/storage.py measures it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    LargeBinary,
    Table,
    Text,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.types import TypeEngine

from storage import similarity
from storage.database import json_dumps
from storage.models import (
    ARTICLE_CONTENT_FIELDS,
    Article,
    ArticleBand,
    ArticleFingerprint,
    ArticleVersion,
)
from storage.types import AwareDateTime

ARTICLES = cast(Table, Article.__table__)
BANDS = cast(Table, ArticleBand.__table__)
FINGERPRINTS = cast(Table, ArticleFingerprint.__table__)
VERSIONS = cast(Table, ArticleVersion.__table__)
# How often a batch is retried when a concurrent writer stored one of its URLs first.
CONFLICT_RETRIES = 5
# Bound parameters per IN (...) list: PostgreSQL allows 65535 per statement, SQLite 32766.
IN_CHUNK = 2000
# PostgreSQL deadlock / serialization failure; MariaDB deadlock / lock wait timeout.
_RETRYABLE_SQLSTATES = {"40P01", "40001"}
_RETRYABLE_MYSQL_CODES = {1213, 1205}

T = TypeVar("T")


@dataclass
class BatchResult:
    """What one batch did; every article lands in exactly one of the first four counts."""

    stored: int = 0  # new rows of stories not stored before
    duplicates: int = 0  # new rows whose body is a copy of a stored story (duplicate_of set)
    updated: int = 0  # stored URLs whose text changed (the previous text kept as a version)
    unchanged: int = 0  # stored URLs seen again with the same text (last_seen_at moved)
    new_ids: list[int] = field(default_factory=list)
    near_duplicates: int = 0  # of ``duplicates``, those found by similarity, not equal hash

    def __iadd__(self, other: BatchResult) -> BatchResult:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.new_ids.extend(other.new_ids)
        self.near_duplicates += other.near_duplicates
        return self


def _chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _where_in(
    connection: Connection,
    column: ColumnElement[Any],
    values: Sequence[Any],
    element_type: TypeEngine[Any],
    chunk_size: int = IN_CHUNK,
) -> Iterator[ColumnElement[bool]]:
    """``column IN values`` as few conditions as the backend allows: one ``= ANY(:array)`` on
    PostgreSQL (a single parameter, whatever the length), else ``IN`` lists of ``chunk_size``."""
    if connection.dialect.name == "postgresql":
        # an array has no parameter limit; chunks only bound the size of one statement
        for chunk in _chunks(values, chunk_size * 10):
            if isinstance(element_type, BigInteger):
                yield column == any_(_postgres_bigint_array(chunk))
            else:
                yield column == any_(literal(list(chunk), postgresql.ARRAY(element_type)))
        return
    for chunk in _chunks(values, chunk_size):
        yield column.in_(chunk)


def _postgres_bigint_array(values: Iterable[int]) -> ColumnElement[Any]:
    """A ``bigint[]`` parameter sent as one comma-separated string: the driver's array dumper
    checks every element of a list with a regular expression, which for the 3,200 band
    hashes of a batch cost more than the INSERT they were for."""
    return func.string_to_array(
        literal(_comma_separated(values), Text()), literal(",", Text()), type_=Text()
    ).cast(postgresql.ARRAY(BigInteger()))


def _comma_separated(values: Iterable[int]) -> str:
    return ",".join(map(str, values))


def _placeholder(connection: Connection) -> str:
    """The driver's positional parameter marker, for plain executemany of many tuples."""
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def _is_retryable(exc: DBAPIError) -> bool:
    """A concurrent writer got in the way; running the batch again will succeed."""
    if isinstance(exc, IntegrityError):
        return True
    origin = exc.orig
    if getattr(origin, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    args: tuple[Any, ...] = getattr(origin, "args", ())
    return bool(args) and args[0] in _RETRYABLE_MYSQL_CODES


@dataclass
class _NewArticle:
    row: dict[str, Any]
    fingerprint: similarity.Fingerprint
    # What it copies, when it is a copy: a stored id, or the index of an earlier new article.
    copy_of_id: int | None = None
    copy_of_index: int | None = None
    near: bool = False

    @property
    def is_copy(self) -> bool:
        return self.copy_of_id is not None or self.copy_of_index is not None


class ArticleRepository:
    """Batched, idempotent writes of article rows.

    ``near_duplicates=False`` keeps the index up to date but links only exact copies: for
    corpora whose distinct stories share most of their sentences (generated or templated
    text such as daily market reports), which similarity alone cannot tell apart.
    """

    def __init__(self, engine: Engine, *, near_duplicates: bool = True) -> None:
        self.engine = engine
        self.near_duplicates = near_duplicates

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
            except DBAPIError as exc:
                # Another writer inserted one of these canonical URLs after our SELECT (or
                # the two transactions deadlocked); the next attempt sees its row and turns
                # our insert into an update.
                if attempt == CONFLICT_RETRIES or not _is_retryable(exc):
                    raise
        raise AssertionError("unreachable")

    def _reconcile(
        self, connection: Connection, articles: Sequence[Mapping[str, Any]], now: datetime
    ) -> BatchResult:
        result = BatchResult()
        canonical_urls = sorted({article["canonical_url"] for article in articles})
        stored: dict[str, tuple[int, str]] = {}
        for condition in _where_in(connection, ARTICLES.c.canonical_url, canonical_urls, Text()):
            for found in connection.execute(
                select(ARTICLES.c.id, ARTICLES.c.canonical_url, ARTICLES.c.content_hash).where(
                    condition
                )
            ):
                stored[found.canonical_url] = (found.id, found.content_hash)

        unchanged_ids: list[int] = []
        changed_rows: list[dict[str, Any]] = []
        new_rows: list[dict[str, Any]] = []
        batch_canonical_urls: set[str] = set()
        for article in articles:
            row = {name: article.get(name) for name in ARTICLE_CONTENT_FIELDS}
            canonical_url = article["canonical_url"]
            if canonical_url in stored:
                article_id, stored_hash = stored[canonical_url]
                if stored_hash == article["content_hash"]:
                    unchanged_ids.append(article_id)
                else:
                    changed_rows.append(
                        {**row, "b_id": article_id, "last_seen_at": now, "updated_at": now}
                    )
                    stored[canonical_url] = (article_id, article["content_hash"])
                continue
            if canonical_url in batch_canonical_urls:
                result.unchanged += 1  # the same page twice in one batch: keep the first
                continue
            batch_canonical_urls.add(canonical_url)
            row.update(
                canonical_url=canonical_url,
                first_seen_at=now,
                last_seen_at=now,
                first_run_id=article.get("first_run_id"),
            )
            new_rows.append(row)

        fingerprints = similarity.fingerprints([row["body"] or "" for row in new_rows])
        new_articles = [
            _NewArticle(row, fingerprint)
            for row, fingerprint in zip(new_rows, fingerprints, strict=True)
        ]
        if new_articles:
            self._find_copies(connection, new_articles)
            self._insert_new(connection, new_articles, result)
        if changed_rows:
            self._update_changed(connection, changed_rows, now)
            result.updated += len(changed_rows)
        if unchanged_ids:
            for condition in _where_in(
                connection, ARTICLES.c.id, sorted(set(unchanged_ids)), BigInteger()
            ):
                connection.execute(update(ARTICLES).where(condition).values(last_seen_at=now))
            result.unchanged += len(unchanged_ids)
        return result

    # --- deciding what is a copy ----------------------------------------------------------

    def _find_copies(self, connection: Connection, new_articles: list[_NewArticle]) -> None:
        """Mark each new article that copies a stored one or an earlier one of the batch.

        The earliest stored copy wins: a stored match always beats a match inside the batch,
        and among stored matches the smallest root id (``duplicate_of`` or the id itself).
        """
        exact_roots = self._stored_roots_by_hash(
            connection, sorted({new.row["content_hash"] for new in new_articles})
        )
        near_roots = (
            self._stored_near_roots(connection, new_articles) if self.near_duplicates else {}
        )
        batch_by_hash: dict[str, int] = {}
        batch_by_band: dict[int, list[int]] = defaultdict(list)
        for index, new in enumerate(new_articles):
            content_hash = new.row["content_hash"]
            if content_hash in exact_roots:
                new.copy_of_id = exact_roots[content_hash]
            elif content_hash in batch_by_hash:
                new.copy_of_index = batch_by_hash[content_hash]
            elif index in near_roots:
                new.copy_of_id, new.near = near_roots[index], True
            elif self.near_duplicates:
                original = self._batch_near_original(new, new_articles, batch_by_band)
                if original is not None:
                    new.copy_of_index, new.near = original, True
            if not new.is_copy:
                batch_by_hash[content_hash] = index
            for band in new.fingerprint.bands:
                batch_by_band[band].append(index)

    def _stored_roots_by_hash(self, connection: Connection, hashes: list[str]) -> dict[str, int]:
        roots: dict[str, int] = {}
        for condition in _where_in(connection, ARTICLES.c.content_hash, hashes, Text()):
            for row in connection.execute(
                select(ARTICLES.c.content_hash, ARTICLES.c.id, ARTICLES.c.duplicate_of).where(
                    condition
                )
            ):
                root = row.duplicate_of or row.id
                roots[row.content_hash] = min(root, roots.get(row.content_hash, root))
        return roots

    def _stored_near_roots(
        self, connection: Connection, new_articles: list[_NewArticle]
    ) -> dict[int, int]:
        """Index in ``new_articles`` -> root id of the earliest stored near-duplicate.

        Three cheap steps, each narrowing the next: stored articles sharing a band hash (one
        indexed SELECT), those whose stored signature agrees enough, then the exact shingle
        comparison against their bodies.
        """
        wanted: dict[int, list[int]] = defaultdict(list)  # band hash -> new article indexes
        for index, new in enumerate(new_articles):
            for band in new.fingerprint.bands:
                wanted[band].append(index)
        if not wanted:
            return {}
        candidates: dict[int, set[int]] = defaultdict(set)  # index -> stored article ids
        for condition in _where_in(connection, BANDS.c.band_hash, sorted(wanted), BigInteger()):
            for row in connection.execute(
                select(BANDS.c.band_hash, BANDS.c.article_id).where(condition)
            ):
                for index in wanted[row.band_hash]:
                    candidates[index].add(row.article_id)
        if not candidates:
            return {}
        signatures = self._load_signatures(connection, sorted(set().union(*candidates.values())))
        for index, ids in candidates.items():
            own = new_articles[index].fingerprint.signature
            candidates[index] = {
                article_id
                for article_id in ids
                if article_id in signatures
                and similarity.estimated_jaccard(own, signatures[article_id])
                >= similarity.SIGNATURE_FLOOR
            }
        bodies = self._load_bodies(connection, sorted(set().union(*candidates.values())))
        roots: dict[int, int] = {}
        for index, ids in candidates.items():
            own_shingles = new_articles[index].fingerprint.shingles
            for article_id in sorted(ids):
                if article_id not in bodies:
                    continue
                root, stored_shingles = bodies[article_id]
                if (index not in roots or root < roots[index]) and similarity.is_near_duplicate(
                    own_shingles, stored_shingles
                ):
                    roots[index] = root
        return roots

    def _load_signatures(
        self, connection: Connection, ids: list[int]
    ) -> dict[int, npt.NDArray[np.uint64]]:
        signatures = {}
        for condition in _where_in(connection, FINGERPRINTS.c.article_id, ids, BigInteger()):
            for row in connection.execute(
                select(FINGERPRINTS.c.article_id, FINGERPRINTS.c.signature).where(condition)
            ):
                signatures[row.article_id] = similarity.signature_from_bytes(row.signature)
        return signatures

    def _load_bodies(
        self, connection: Connection, ids: list[int]
    ) -> dict[int, tuple[int, npt.NDArray[np.uint64]]]:
        """Stored id -> (its root id, the shingles of its body)."""
        bodies = {}
        # bodies are large: keep each result set modest
        for condition in _where_in(connection, ARTICLES.c.id, ids, BigInteger(), chunk_size=200):
            for row in connection.execute(
                select(ARTICLES.c.id, ARTICLES.c.duplicate_of, ARTICLES.c.body).where(condition)
            ):
                bodies[row.id] = (row.duplicate_of or row.id, similarity.shingles(row.body))
        return bodies

    @staticmethod
    def _batch_near_original(
        new: _NewArticle, new_articles: list[_NewArticle], batch_by_band: dict[int, list[int]]
    ) -> int | None:
        """The index of the earliest original of this batch that ``new`` nearly copies."""
        seen: set[int] = set()
        for band in new.fingerprint.bands:
            seen.update(batch_by_band.get(band, ()))
        for index in sorted(seen):
            earlier = new_articles[index]
            if similarity.is_near_duplicate(new.fingerprint.shingles, earlier.fingerprint.shingles):
                return earlier.copy_of_index if earlier.copy_of_index is not None else index
        return None

    # --- writing ----------------------------------------------------------------------------

    def _insert_new(
        self, connection: Connection, new_articles: list[_NewArticle], result: BatchResult
    ) -> None:
        """Originals first (copies need their ids), each group in canonical URL order."""
        ids: dict[int, int] = {}  # index in new_articles -> inserted id
        originals = sorted(
            (i for i, new in enumerate(new_articles) if not new.is_copy),
            key=lambda i: new_articles[i].row["canonical_url"],
        )
        copies = sorted(
            (i for i, new in enumerate(new_articles) if new.is_copy),
            key=lambda i: new_articles[i].row["canonical_url"],
        )
        for group in (originals, copies):
            if not group:
                continue
            rows = []
            for index in group:
                new = new_articles[index]
                duplicate_of = new.copy_of_id
                if new.copy_of_index is not None:
                    duplicate_of = ids[new.copy_of_index]
                rows.append({**new.row, "duplicate_of": duplicate_of})
            for index, article_id in zip(group, self._insert_rows(connection, rows), strict=True):
                ids[index] = article_id
        for index, new in enumerate(new_articles):
            result.new_ids.append(ids[index])
            if new.is_copy:
                result.duplicates += 1
                result.near_duplicates += new.near
            else:
                result.stored += 1
        self._index(connection, [(ids[i], new.fingerprint) for i, new in enumerate(new_articles)])

    def _insert_rows(self, connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
        """Insert article rows in the given order; their new ids, in the same order."""
        # Canonical URLs are unique in a batch, so the returned rows are matched to ours by
        # URL: asking for the ids in parameter order would make SQLAlchemy insert one row per
        # statement on SQLite.
        if connection.dialect.name != "postgresql":
            # SQLAlchemy's "insertmanyvalues": multi-row INSERT ... VALUES ... RETURNING
            inserted = connection.execute(
                insert(ARTICLES).returning(ARTICLES.c.id, ARTICLES.c.canonical_url), rows
            )
            by_url = {found.canonical_url: found.id for found in inserted}
            return [by_url[row["canonical_url"]] for row in rows]
        # One statement with the whole batch as one JSON document: far less per-row work in
        # the driver (no per-value quoting) and in the server's parser than a VALUES list
        # with thousands of parameters.
        columns = list(rows[0])
        datetimes = [name for name in columns if isinstance(ARTICLES.c[name].type, AwareDateTime)]
        aware = AwareDateTime()
        document = []
        for position, row in enumerate(rows):
            values = {**row, "position": position}
            for name in datetimes:
                value = aware.process_bind_param(row[name], connection.dialect)
                values[name] = None if value is None else value.isoformat()
            document.append(values)
        definitions = ", ".join(
            f"{name} {ARTICLES.c[name].type.compile(dialect=connection.dialect)}"
            for name in columns
        )
        statement = text(
            f"INSERT INTO articles ({', '.join(columns)}) "
            f"SELECT {', '.join(columns)} FROM json_to_recordset(CAST(:rows AS json)) "
            f"AS batch ({definitions}, position bigint) ORDER BY position "
            "RETURNING id, canonical_url"
        )
        inserted = connection.execute(statement, {"rows": json_dumps(document)})
        by_url = {found.canonical_url: found.id for found in inserted}
        return [by_url[row["canonical_url"]] for row in rows]

    def _index(
        self, connection: Connection, entries: Iterable[tuple[int, similarity.Fingerprint]]
    ) -> None:
        fingerprint_rows: list[tuple[int, bytes]] = []
        band_rows: list[tuple[int, int]] = []
        for article_id, fingerprint in entries:
            if not fingerprint.indexable:
                continue
            fingerprint_rows.append(
                (article_id, similarity.signature_to_bytes(fingerprint.signature))
            )
            band_rows.extend((band, article_id) for band in sorted(set(fingerprint.bands)))
        if not fingerprint_rows:
            return
        if connection.dialect.name == "postgresql":
            article_ids, signatures = zip(*fingerprint_rows, strict=True)
            band_hashes, band_article_ids = zip(*band_rows, strict=True)
            connection.execute(
                text(
                    "INSERT INTO article_fingerprints (article_id, signature) "
                    "SELECT * FROM unnest(:ids, :signatures)"
                ).bindparams(
                    bindparam("ids", list(article_ids), type_=postgresql.ARRAY(BigInteger())),
                    bindparam(
                        "signatures", list(signatures), type_=postgresql.ARRAY(LargeBinary())
                    ),
                )
            )
            # bigint arrays as comma-separated text, as in _postgres_bigint_array
            connection.execute(
                text(
                    "INSERT INTO article_bands (band_hash, article_id) SELECT * FROM unnest("
                    "CAST(string_to_array(:hashes, ',') AS bigint[]), "
                    "CAST(string_to_array(:ids, ',') AS bigint[]))"
                ),
                {
                    "hashes": _comma_separated(band_hashes),
                    "ids": _comma_separated(band_article_ids),
                },
            )
            return
        # Straight to the driver's executemany: 32 band rows per article are plain integers,
        # and SQLAlchemy's per-row parameter processing would cost more than the insert
        # (PyMySQL turns this into multi-row INSERTs; sqlite3 loops in C).
        mark = _placeholder(connection)
        connection.exec_driver_sql(
            f"INSERT INTO article_fingerprints (article_id, signature) VALUES ({mark}, {mark})",
            fingerprint_rows,
        )
        connection.exec_driver_sql(
            f"INSERT INTO article_bands (band_hash, article_id) VALUES ({mark}, {mark})",
            band_rows,
        )

    def _update_changed(
        self, connection: Connection, changed_rows: list[dict[str, Any]], now: datetime
    ) -> None:
        """Keep the previous text as a version, update the row, re-index its new text."""
        changed_rows.sort(key=lambda row: row["b_id"])
        ids = [row["b_id"] for row in changed_rows]
        for chunk in _chunks(ids):  # rare: a plain IN list is fine here
            connection.execute(
                insert(VERSIONS).from_select(
                    [
                        "article_id",
                        "title",
                        "body",
                        "body_html",
                        "content_hash",
                        "captured_at",
                        "replaced_at",
                    ],
                    select(
                        ARTICLES.c.id,
                        ARTICLES.c.title,
                        ARTICLES.c.body,
                        ARTICLES.c.body_html,
                        ARTICLES.c.content_hash,
                        func.coalesce(ARTICLES.c.updated_at, ARTICLES.c.first_seen_at),
                        literal(now, AwareDateTime()),
                    )
                    .where(ARTICLES.c.id.in_(chunk))
                    .order_by(ARTICLES.c.id),
                )
            )
            connection.execute(delete(BANDS).where(BANDS.c.article_id.in_(chunk)))
            connection.execute(delete(FINGERPRINTS).where(FINGERPRINTS.c.article_id.in_(chunk)))
        connection.execute(
            update(ARTICLES)
            .where(ARTICLES.c.id == bindparam("b_id"))
            .values({name: bindparam(name) for name in changed_rows[0] if name != "b_id"}),
            changed_rows,
        )
        fingerprints = similarity.fingerprints([row["body"] or "" for row in changed_rows])
        self._index(
            connection,
            [(row["b_id"], fp) for row, fp in zip(changed_rows, fingerprints, strict=True)],
        )
