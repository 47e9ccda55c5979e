"""Benchmark the store: near-duplicate lookups at scale, and batched write throughput.

Usage::

    .venv/bin/python benchmarks/storage.py [--articles 100000] [--queries 1000]
                                           [--write-rows 3000] [--naive-rows 500]
                                           [--batch-size 100]
                                           [--postgres URL | --no-postgres]

1. Near-duplicate lookups against ``--articles`` stored articles (SQLite): the store's own code
   path (``ArticleRepository._find_copies``: exact hash, LSH band SELECT, signature filter, exact
   shingle check), for batches of 100 new articles of which half are edited copies of stored
   ones; lookups/s, recall of the planted copies, false links, memory (tracemalloc peak of the
   lookups, process peak RSS, index size). Baselines in the same run: a brute-force exact
   Jaccard scan (timed over a sample, extrapolated to the whole table) and an in-memory numpy
   scan of all signatures.
2. Batched writes: ``save_batch`` of ``--batch-size``-row batches (default 100, the
   ``STORE_BATCH_SIZE`` default) into a fresh SQLite file and a fresh PostgreSQL schema
   (``POSTGRES_URL`` or ``--postgres``), with the statements sent per batch, against two
   row-at-a-time baselines: ``save_batch`` with one row per call (the same work, unbatched), and
   plain ORM inserts (one ``session.add`` + commit per row, no deduplication and no
   near-duplicate index). On PostgreSQL once more without the two trigram search indexes
   (migration 0003), to show what they cost: the GIN index on ``body`` is most of the time of a
   write there; and the ceiling of any writer on that server: bare rows COPYed into ``articles``,
   with the search indexes (the merge of the body index's deferred pending list timed apart)
   and without them.

The corpus is synthetic but shaped like news text: ~500-character bodies drawn from a
Zipf-distributed vocabulary of 2-4 character words, so stored articles share common words the way
same-topic articles do. The default run takes about two to three minutes on two cores.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from pipelines.normalize import content_hash  # noqa: E402
from storage import similarity  # noqa: E402
from storage.database import open_database  # noqa: E402
from storage.models import Article, ArticleBand, ArticleFingerprint  # noqa: E402
from storage.repository import ArticleRepository, _NewArticle  # noqa: E402

BODY_CHARS = 500
BATCH = 100
VOCABULARY = 20_000
SEED_CHUNK = 5_000


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    first = 0x4E00
    words = [
        "".join(chr(first + rng.randrange(3500)) for _ in range(rng.choice((2, 2, 3, 4))))
        for _ in range(VOCABULARY)
    ]
    cumulative = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(VOCABULARY)))
    return words, cumulative


class Corpus:
    """Deterministic synthetic articles: article ``n`` is the same text in every process."""

    def __init__(self, seed: int = 20190116) -> None:
        self.seed = seed
        # cumulative Zipf weights, computed once: random.choices would redo it per call
        self.words, self.cumulative = _vocabulary(random.Random(seed))

    def body(self, number: int) -> str:
        rng = random.Random(self.seed * 1_000_003 + number)
        sentences, length = [], 0
        while length < BODY_CHARS:
            sentence = (
                "".join(rng.choices(self.words, cum_weights=self.cumulative, k=rng.randint(6, 14)))
                + "。"
            )
            sentences.append(sentence)
            length += len(sentence)
        paragraphs = [
            "".join(sentences[start : start + 3]) for start in range(0, len(sentences), 3)
        ]
        return "\n".join(paragraphs)

    def edited_copy(self, number: int) -> str:
        """A syndicated copy: other boilerplate, a sentence dropped, a word changed."""
        rng = random.Random(number)
        sentences = self.body(number).replace("\n", "").split("。")[:-1]
        del sentences[rng.randrange(len(sentences))]
        text_ = "。".join(sentences) + "。"
        return f"来源：某某财经网 记者 王某\n{text_.replace(text_[40:42], '数据', 1)}\n（责任编辑：李某）"


def _row(number: int, body: str, site: str = "bench") -> dict[str, Any]:
    now = datetime(2019, 1, 16, tzinfo=UTC)
    return {
        "url": f"https://{site}.example.cn/{number}.html",
        "canonical_url": f"https://{site}.example.cn/{number}.html",
        "site": site,
        "title": f"标题{number}",
        "source": None,
        "author": None,
        "published_at": now,
        "summary": None,
        "category": None,
        "body": body,
        "body_html": None,
        "content_hash": content_hash(body),
        "first_seen_at": now,
        "last_seen_at": now,
        "duplicate_of": None,
    }


_CORPUS: Corpus | None = None


def _seed_chunk(
    numbers: range,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, int]]]:
    """Rows, fingerprint rows and band rows for stored articles ``numbers`` (worker process)."""
    global _CORPUS
    if _CORPUS is None:
        _CORPUS = Corpus()
    articles: list[dict[str, Any]] = []
    fingerprints: list[dict[str, Any]] = []
    bands: list[dict[str, int]] = []
    for number in numbers:
        body = _CORPUS.body(number)
        articles.append({**_row(number, body), "id": number + 1})
        print_ = similarity.fingerprint(body)
        fingerprints.append(
            {
                "article_id": number + 1,
                "signature": similarity.signature_to_bytes(print_.signature),
            }
        )
        bands.extend(
            {"band_hash": band, "article_id": number + 1} for band in sorted(set(print_.bands))
        )
    return articles, fingerprints, bands


def _chunks(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(total, start + size))


def seed(url: str, articles: int) -> float:
    """Fill a fresh database with ``articles`` stored articles and their near-duplicate index,
    bulk-inserted (not through save_batch, which bench_writes measures); seconds."""
    engine = open_database(url)
    if engine.dialect.name == "sqlite":
        # The search index costs ~1 ms per article on insert and plays no part in lookups:
        # leave it out of this throwaway database (bench_writes measures it, in real writes).
        with engine.begin() as connection:
            connection.execute(text("DROP TRIGGER articles_fts_insert"))
            # A big page cache for the bulk load only (the pool keeps this one connection);
            # the lookups below use a fresh engine with the crawler's own settings.
            connection.exec_driver_sql("PRAGMA cache_size=-400000")
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for chunk_articles, fingerprints, bands in pool.map(
            _seed_chunk, _chunks(articles, SEED_CHUNK)
        ):
            with engine.begin() as connection:
                connection.execute(insert(Article), chunk_articles)
                connection.execute(insert(ArticleFingerprint), fingerprints)
                # straight to the driver: 32 rows per article, SQLAlchemy's per-row
                # processing would dominate (values are plain integers)
                connection.exec_driver_sql(
                    "INSERT INTO article_bands (band_hash, article_id) VALUES (?, ?)",
                    [(band["band_hash"], band["article_id"]) for band in bands],
                )
    engine.dispose()
    return time.perf_counter() - started


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_lookups(url: str, corpus: Corpus, stored: int, queries: int) -> dict[str, float]:
    rng = random.Random(7)
    planted = [rng.randrange(stored) for _ in range(queries // 2)]
    bodies = [corpus.edited_copy(n) for n in planted]
    bodies += [corpus.body(stored + 1 + n) for n in range(queries - len(planted))]
    order = list(range(queries))
    rng.shuffle(order)

    started = time.perf_counter()
    news = [
        _NewArticle(_row(10_000_000 + i, bodies[i], "query"), similarity.fingerprint(bodies[i]))
        for i in order
    ]
    fingerprint_seconds = time.perf_counter() - started

    repository = ArticleRepository(open_database(url))
    tracemalloc.start()
    started = time.perf_counter()
    for start in range(0, queries, BATCH):
        batch = news[start : start + BATCH]
        with repository.engine.connect() as connection:
            repository._find_copies(connection, batch)
            connection.rollback()
    lookup_seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with repository.engine.connect() as connection:
        band_rows = connection.execute(select(func.count()).select_from(ArticleBand)).scalar()
    repository.engine.dispose()

    found = wrong = 0
    for position, index in enumerate(order):
        result = news[position].copy_of_id
        if index < len(planted):
            found += result == planted[index] + 1
            wrong += result is not None and result != planted[index] + 1
        else:
            wrong += result is not None
    return {
        "lookups_per_s": queries / lookup_seconds,
        "with_fingerprint_per_s": queries / (lookup_seconds + fingerprint_seconds),
        "recall": found / len(planted),
        "false_links": wrong,
        "tracemalloc_peak_mb": peak / 1e6,
        "band_rows": float(band_rows or 0),
    }


def bench_brute_force(corpus: Corpus, stored: int, sample: int, queries: int) -> dict[str, float]:
    """Exact Jaccard of each query against every stored article, timed on a sample."""
    stored_shingles = [similarity.shingles(corpus.body(n)) for n in range(sample)]
    query_shingles = [similarity.shingles(corpus.edited_copy(n)) for n in range(queries)]
    started = time.perf_counter()
    for own in query_shingles:
        for other in stored_shingles:
            similarity.is_near_duplicate(own, other)
    per_pair = (time.perf_counter() - started) / (sample * queries)
    return {"lookups_per_s": 1.0 / (per_pair * stored)}


def bench_signature_scan(url: str, corpus: Corpus, queries: int) -> dict[str, float]:
    """All signatures in one numpy matrix; each query compares with every row."""
    engine = create_engine(url)
    tracemalloc.start()
    with engine.connect() as connection:
        signatures = np.vstack(
            [
                similarity.signature_from_bytes(row.signature)
                for row in connection.execute(select(ArticleFingerprint.signature))
            ]
        )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    engine.dispose()
    query_signatures = [
        similarity.fingerprint(corpus.edited_copy(n)).signature for n in range(queries)
    ]
    started = time.perf_counter()
    for signature in query_signatures:
        agreement = (signatures == signature).sum(axis=1)
        np.flatnonzero(agreement >= similarity.SIGNATURE_FLOOR * similarity.NUM_PERMUTATIONS)
    seconds = time.perf_counter() - started
    return {
        "lookups_per_s": queries / seconds,
        "matrix_mb": signatures.nbytes / 1e6,
        "load_peak_mb": peak / 1e6,
    }


def bench_writes(
    url: str,
    corpus: Corpus,
    rows: int,
    naive_rows: int,
    batch_size: int = BATCH,
    *,
    without_search_indexes: bool = False,
) -> dict[str, float]:
    """save_batch throughput with ~5 % exact and ~5 % near copies, then the naive baselines
    (``naive_rows`` 0: batched writes only)."""
    rng = random.Random(3)
    items = []
    for number in range(rows):
        roll = rng.random()
        if roll < 0.05 and number > 10:
            body = corpus.body(200_000 + rng.randrange(number))  # exact copy, other URL
        elif roll < 0.10 and number > 10:
            body = corpus.edited_copy(200_000 + rng.randrange(number))
        else:
            body = corpus.body(200_000 + number)
        row = _row(number, body, "write")
        items.append({k: v for k, v in row.items() if k not in ("first_seen_at", "last_seen_at")})
    repository = ArticleRepository(open_database(url))
    if without_search_indexes:
        with repository.engine.begin() as connection:
            connection.execute(text("DROP INDEX ix_articles_body_trgm"))
            connection.execute(text("DROP INDEX ix_articles_title_trgm"))
    statements = [0]

    def count_statement(*_: Any) -> None:
        statements[0] += 1

    event.listen(repository.engine, "before_cursor_execute", count_statement)
    started = time.perf_counter()
    totals = [0, 0]
    for start in range(0, rows, batch_size):
        result = repository.save_batch(items[start : start + batch_size])
        totals[0] += result.stored
        totals[1] += result.duplicates
    batched = rows / (time.perf_counter() - started)
    repository.engine.dispose()
    measured = {
        "batched_rows_per_s": batched,
        "duplicates": totals[1],
        "statements_per_batch": statements[0] / -(-rows // batch_size),
    }
    if not naive_rows:
        return measured

    repository = ArticleRepository(open_database(url))
    single_items = [
        {
            k: v
            for k, v in _row(500_000 + n, corpus.body(400_000 + n), "single").items()
            if k not in ("first_seen_at", "last_seen_at")
        }
        for n in range(naive_rows)
    ]
    started = time.perf_counter()
    for item in single_items:
        repository.save_batch([item])
    single = naive_rows / (time.perf_counter() - started)
    repository.engine.dispose()

    engine = create_engine(url)
    naive_items = [
        _row(1_000_000 + n, corpus.body(300_000 + n), "naive") for n in range(naive_rows)
    ]
    started = time.perf_counter()
    with Session(engine) as session:
        for item in naive_items:
            session.add(Article(**{k: v for k, v in item.items() if k != "duplicate_of"}))
            session.commit()
    naive = naive_rows / (time.perf_counter() - started)
    engine.dispose()
    return {**measured, "single_rows_per_s": single, "naive_rows_per_s": naive}


def bench_postgres_copy_floor(
    url: str, corpus: Corpus, rows: int, batch_size: int, *, without_search_indexes: bool = False
) -> dict[str, float]:
    """The ceiling of any article write on this server: bare rows COPYed into ``articles``
    (no lookups, no near-duplicate index, no Python per row beyond the driver), in
    transactions of ``batch_size``, into the migrated schema, with or without its trigram
    search indexes. With them, the session lets GIN defer all index work to its pending list;
    the figure includes merging that list (``gin_clean_pending_list``), timed apart: it shows
    what a search index maintained outside the write path would leave to the writes, and
    that deferring the index work does not make it cheaper."""
    columns = ("url", "canonical_url", "site", "title", "body", "content_hash")
    items = [_row(2_000_000 + n, corpus.body(600_000 + n), "copy") for n in range(rows)]
    engine = open_database(url)
    if without_search_indexes:
        with engine.begin() as connection:
            connection.execute(text("DROP INDEX ix_articles_body_trgm"))
            connection.execute(text("DROP INDEX ix_articles_title_trgm"))
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            # room for every row's trigrams in the pending list: all index work is deferred
            # to the merge below instead of being done whenever the default 4 MB list fills
            cursor.execute("SET gin_pending_list_limit = '1GB'")
        started = time.perf_counter()
        for start in range(0, rows, batch_size):
            with (
                driver.cursor() as cursor,
                cursor.copy(
                    f"COPY articles ({', '.join(columns)}, first_seen_at, last_seen_at) FROM STDIN"
                ) as copy,
            ):
                for item in items[start : start + batch_size]:
                    copy.write_row([item[name] for name in columns] + [item["first_seen_at"]] * 2)
            driver.commit()
        copied = time.perf_counter()
        if not without_search_indexes:
            with driver.cursor() as cursor:
                cursor.execute("SELECT gin_clean_pending_list('ix_articles_body_trgm')")
                cursor.execute("SELECT gin_clean_pending_list('ix_articles_title_trgm')")
            driver.commit()
        finished = time.perf_counter()
        return {
            "rows_per_s": rows / (finished - started),
            "copy_s": copied - started,
            "merge_s": finished - copied,
        }
    finally:
        raw.close()
        engine.dispose()


def _fresh_postgres(url: str) -> tuple[str, Callable[[], None]] | None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # any driver error: report and go on without PostgreSQL
        print(
            f"PostgreSQL at {make_url(url).render_as_string()} skipped: {str(exc).splitlines()[0]}"
        )
        return None

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    fresh = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return fresh.render_as_string(hide_password=False), drop


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--write-rows", type=int, default=3_000)
    parser.add_argument("--naive-rows", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=BATCH, help="rows per save_batch")
    parser.add_argument(
        "--writes-only", action="store_true", help="skip the near-duplicate lookup part"
    )
    parser.add_argument("--brute-force-sample", type=int, default=2_000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args(argv)
    corpus = Corpus()
    begun = time.perf_counter()

    with tempfile.TemporaryDirectory() as directory:
        if not options.writes_only:
            url = f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
            seconds = seed(url, options.articles)
            size_mb = (Path(directory) / "bench.sqlite3").stat().st_size / 1e6
            print(
                f"seeded {options.articles} articles into SQLite in {seconds:.1f} s "
                f"({options.articles / seconds:.0f} articles/s bulk with fingerprints; "
                f"file {size_mb:.0f} MB)"
            )
            lookups = bench_lookups(url, corpus, options.articles, options.queries)
            print(
                f"near-duplicate lookups, {options.articles} stored (SQLite): "
                f"{lookups['lookups_per_s']:.0f} lookups/s "
                f"({lookups['with_fingerprint_per_s']:.0f}/s including fingerprinting), "
                f"recall of planted copies {lookups['recall']:.3f}, false links "
                f"{lookups['false_links']:.0f}, lookup memory peak {lookups['tracemalloc_peak_mb']:.1f} MB, "
                f"{lookups['band_rows']:.0f} band rows"
            )
            brute = bench_brute_force(corpus, options.articles, options.brute_force_sample, 20)
            print(
                f"  baseline brute-force exact Jaccard scan: {brute['lookups_per_s']:.2f} lookups/s "
                f"(timed over {options.brute_force_sample} stored, extrapolated to {options.articles})"
            )
            scan = bench_signature_scan(url, corpus, 200)
            print(
                f"  baseline in-memory signature scan: {scan['lookups_per_s']:.0f} lookups/s, "
                f"holding a {scan['matrix_mb']:.0f} MB matrix (load peak {scan['load_peak_mb']:.0f} MB)"
            )

        write_url = f"sqlite:///{Path(directory) / 'writes.sqlite3'}"
        writes = bench_writes(
            write_url, corpus, options.write_rows, options.naive_rows, options.batch_size
        )
        print(
            f"writes into SQLite: save_batch {writes['batched_rows_per_s']:.0f} rows/s "
            f"({options.write_rows} rows in batches of {options.batch_size}, "
            f"{writes['statements_per_batch']:.1f} statements per batch, "
            f"{writes['duplicates']:.0f} copies linked) vs "
            f"save_batch one row at a time {writes['single_rows_per_s']:.0f} rows/s, "
            f"plain ORM add+commit per row (no dedup, no index) "
            f"{writes['naive_rows_per_s']:.0f} rows/s"
        )
    if not options.no_postgres:
        fresh = _fresh_postgres(options.postgres)
        if fresh is not None:
            pg_url, drop = fresh
            try:
                writes = bench_writes(
                    pg_url, corpus, options.write_rows, options.naive_rows, options.batch_size
                )
                print(
                    f"writes into PostgreSQL: save_batch {writes['batched_rows_per_s']:.0f} rows/s "
                    f"({options.write_rows} rows in batches of {options.batch_size}, "
                    f"{writes['statements_per_batch']:.1f} statements per batch, "
                    f"{writes['duplicates']:.0f} copies linked) vs "
                    f"save_batch one row at a time {writes['single_rows_per_s']:.0f} rows/s, "
                    f"plain ORM add+commit per row (no dedup, no index) "
                    f"{writes['naive_rows_per_s']:.0f} rows/s"
                )
            finally:
                drop()
        fresh = _fresh_postgres(options.postgres)
        if fresh is not None:
            pg_url, drop = fresh
            try:
                writes = bench_writes(
                    pg_url,
                    corpus,
                    options.write_rows,
                    0,
                    options.batch_size,
                    without_search_indexes=True,
                )
                print(
                    "  the same without the trigram search indexes (what they cost): save_batch "
                    f"{writes['batched_rows_per_s']:.0f} rows/s"
                )
            finally:
                drop()
        for without_search_indexes in (False, True):
            fresh = _fresh_postgres(options.postgres)
            if fresh is None:
                continue
            pg_url, drop = fresh
            try:
                floor = bench_postgres_copy_floor(
                    pg_url,
                    corpus,
                    options.write_rows,
                    options.batch_size,
                    without_search_indexes=without_search_indexes,
                )
            finally:
                drop()
            if without_search_indexes:
                print(
                    "  ceiling without the search indexes: bare rows COPYed into articles "
                    f"{floor['rows_per_s']:.0f} rows/s"
                )
            else:
                print(
                    "  ceiling: bare rows COPYed into articles with the search indexes "
                    f"(no lookups, no near-duplicate index) {floor['rows_per_s']:.0f} rows/s: "
                    f"COPY with the index work deferred {floor['copy_s']:.2f} s "
                    f"({options.write_rows / floor['copy_s']:.0f} rows/s), then merging the "
                    f"deferred entries into the indexes {floor['merge_s']:.2f} s"
                )
    print(f"peak RSS {_peak_rss_mb():.0f} MB; total {time.perf_counter() - begun:.0f} s")


if __name__ == "__main__":
    main()
