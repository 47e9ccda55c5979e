"""Write articles to the database in batches, off the reactor thread, losing nothing.

Items are buffered and handed to one dedicated writer thread a batch at a time, so the crawl
never waits on the database except when too many items pile up (back-pressure).

When the database goes away mid-crawl, a failed batch is put back in order and retried at
every ``STORE_FLUSH_INTERVAL`` tick while the crawl goes on (back-pressure still bounds
memory); when the database returns, the waiting articles are written. If it stays away for
``STORE_OUTAGE_TIMEOUT`` seconds (and at least ``STORE_MAX_CONSECUTIVE_FAILURES`` attempts),
the spider is closed with the reason ``storage_failed`` and every unsaved article is written
to a JSON Lines spill file (``STORE_SPILL_PATH``), which the next run against the same
database writes first, before any new item. The repository's writes are idempotent (canonical
URLs are unique), so rows written twice, e.g. after a crash between a write and the spill
file's removal, become ``unchanged``, never duplicates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from sqlalchemy.engine import Engine
from twisted.internet import reactor, task
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from storage.database import (
    first_line,
    open_database,
    redact_url,
    resolve_database_url,
    resolve_network_timeout,
)
from storage.models import ARTICLE_CONTENT_FIELDS
from storage.repository import ArticleRepository, BatchResult

logger = logging.getLogger(__name__)

# Seconds between attempts to write a failed batch again when the ticker does not run
# (while the crawl waits on back-pressure, and while the spider closes).
RETRY_PAUSE = 1.0

# What the repository needs of an item: the stored content plus its identity.
ROW_FIELDS = ("canonical_url", *ARTICLE_CONTENT_FIELDS)
_DATETIME_FIELDS = ("published_at",)

Row = dict[str, Any]


def spill_path_for(template: str, database_url: str) -> Path:
    """The spill file for ``database_url``: ``{database}`` in the setting becomes a short hash
    of the URL, so runs against different databases never replay each other's articles."""
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:12]
    return Path(template.replace("{database}", digest)).expanduser()


def read_spill(path: Path) -> list[Row]:
    """Rows from a spill file; a torn last line (a crash while writing) is skipped."""
    if not path.exists():
        return []
    rows = []
    with path.open(encoding="utf-8") as spill:
        for number, line in enumerate(spill, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                logger.error("Skipping unreadable line %d of %s", number, path)
                continue
            for name in _DATETIME_FIELDS:
                if isinstance(row.get(name), str):
                    row[name] = datetime.fromisoformat(row[name])
            rows.append(row)
    return rows


def write_spill(path: Path, rows: list[Row]) -> None:
    """Replace the spill file with ``rows`` atomically: a crash leaves the old or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.partial")
    with partial.open("w", encoding="utf-8") as spill:
        for row in rows:
            spill.write(json.dumps(row, ensure_ascii=False, default=_json_value) + "\n")
        spill.flush()
        os.fsync(spill.fileno())
    os.replace(partial, path)


def remove_spill(path: Path) -> None:
    path.unlink(missing_ok=True)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot keep {type(value).__name__} in the spill file")


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.database_url = resolve_database_url(settings.get("DATABASE_URL"))
        # A write whose answer does not come within this many seconds fails like a lost
        # connection (the batch waits and is retried, then spilled), instead of blocking the
        # writer thread forever on a silently dead connection.
        self.network_timeout = resolve_network_timeout(settings.get("DATABASE_NETWORK_TIMEOUT"))
        self.batch_size = max(1, settings.getint("STORE_BATCH_SIZE"))
        self.flush_interval = settings.getfloat("STORE_FLUSH_INTERVAL")
        self.max_pending = max(self.batch_size, settings.getint("STORE_MAX_PENDING"))
        self.near_duplicates = settings.getbool("NEAR_DUPLICATES_ENABLED", True)
        self.max_failures = max(1, settings.getint("STORE_MAX_CONSECUTIVE_FAILURES", 5))
        self.outage_timeout = settings.getfloat("STORE_OUTAGE_TIMEOUT", 60.0)
        self.spill_path = spill_path_for(
            settings.get("STORE_SPILL_PATH") or "data/unsaved-{database}.jsonl", self.database_url
        )
        self.pending: list[Row] = []
        self.writing: Deferred[Any] | None = None
        self.consecutive_failures = 0
        self.failing_since: float | None = None
        self.gave_up = False
        self.engine: Engine | None = None
        self.repository: ArticleRepository | None = None
        self.writer = ThreadPool(minthreads=1, maxthreads=1, name="article-writer")
        self.ticker: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    async def open_spider(self) -> None:
        self.writer.start()
        self.engine = await self._in_writer(
            partial(open_database, self.database_url, network_timeout=self.network_timeout)
        )
        self.repository = ArticleRepository(self.engine, near_duplicates=self.near_duplicates)
        logger.info("Storing articles in %s", redact_url(self.engine.url))
        await self._write_spilled()
        if self.flush_interval > 0:
            self.ticker = task.LoopingCall(self._start_flush)
            self.ticker.start(self.flush_interval, now=False)

    async def _write_spilled(self) -> None:
        """Write what an earlier run could not store, before any item of this run."""
        spilled: list[Row] = await self._in_writer(read_spill, self.spill_path)
        if not spilled:
            return
        logger.info(
            "Writing %d articles an earlier run could not store (kept in %s) first",
            len(spilled),
            self.spill_path,
        )
        self.crawler.stats.set_value("storage/spill_restored", len(spilled))
        assert self.repository is not None
        for start in range(0, len(spilled), self.batch_size):
            batch = spilled[start : start + self.batch_size]
            try:
                result = await self._in_writer(self.repository.save_batch, batch)
            except Exception as exc:  # the outage logic below takes over from here
                self.pending[:0] = spilled[start:]
                self._record_failure(len(batch), exc)
                return
            self._written(result)
        await self._in_writer(remove_spill, self.spill_path)

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        row = {name: adapter.get(name) for name in ROW_FIELDS}
        # Set by the run-record extension when it has opened this run's crawl_runs row.
        row["first_run_id"] = self.crawler.stats.get_value("run/id")
        self.pending.append(row)
        if len(self.pending) >= self.batch_size:
            self._start_flush()
        # Back-pressure, also while the database is away: the crawl waits instead of piling
        # up articles in memory; once the run has given up, items go to the spill file.
        while len(self.pending) >= self.max_pending and not self.gave_up:
            if self.writing is not None:
                await maybe_deferred_to_future(self.writing)
            else:
                await maybe_deferred_to_future(task.deferLater(reactor, RETRY_PAUSE, _noop))
                self._start_flush()
        return item

    async def close_spider(self) -> None:
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        while self.writing is not None or (self.pending and self._may_retry()):
            if self.writing is None:
                if self.consecutive_failures:
                    await maybe_deferred_to_future(task.deferLater(reactor, RETRY_PAUSE, _noop))
                self._start_flush()
            if self.writing is not None:
                await maybe_deferred_to_future(self.writing)
        if self.pending:
            await self._spill()
        if self.engine is not None:
            await self._in_writer(self.engine.dispose)
        self.writer.stop()

    async def _spill(self) -> None:
        stats = self.crawler.stats
        stats.set_value("storage/unsaved", len(self.pending))
        try:
            await self._in_writer(write_spill, self.spill_path, self.pending)
        except Exception as exc:
            logger.critical(
                "%d articles could not be stored in %s, and writing them to %s failed too: %s",
                len(self.pending),
                redact_url(self.database_url),
                self.spill_path,
                exc,
            )
            return
        stats.set_value("storage/spill_path", str(self.spill_path))
        logger.error(
            "%d articles could not be stored in %s; they are kept in %s and the next run "
            "against this database writes them first",
            len(self.pending),
            redact_url(self.database_url),
            self.spill_path,
        )

    def _may_retry(self) -> bool:
        return self.repository is not None and not self.gave_up

    def _in_writer(self, function: Any, *args: Any) -> Any:
        return maybe_deferred_to_future(deferToThreadPool(reactor, self.writer, function, *args))

    def _start_flush(self) -> None:
        """Hand the buffered rows to the writer thread unless a batch is already being written."""
        if self.writing is not None or not self.pending or not self._may_retry():
            return
        assert self.repository is not None
        batch, self.pending = self.pending[: self.batch_size], self.pending[self.batch_size :]
        writing = deferToThreadPool(reactor, self.writer, self.repository.save_batch, batch)
        writing.addCallbacks(self._written, self._write_failed, errbackArgs=(batch,))
        writing.addBoth(self._flush_done)
        self.writing = writing

    def _written(self, result: BatchResult) -> None:
        if self.failing_since is not None:
            logger.warning(
                "Database %s is back after %.1f s; writing the %d waiting articles",
                redact_url(self.database_url),
                time.monotonic() - self.failing_since,
                len(self.pending),
            )
        self.consecutive_failures = 0
        self.failing_since = None
        stats = self.crawler.stats
        stats.inc_value("articles/stored", result.stored)
        stats.inc_value("articles/duplicates", result.duplicates)
        stats.inc_value("articles/updated", result.updated)
        stats.inc_value("articles/unchanged", result.unchanged)
        stats.inc_value("articles/near_duplicates", result.near_duplicates)

    def _write_failed(self, failure: Failure, batch: list[Row]) -> None:
        self.pending[:0] = batch  # keep the order; nothing is lost
        self._record_failure(len(batch), failure.value or Exception(failure.getErrorMessage()))

    def _record_failure(self, batch_size: int, error: BaseException) -> None:
        now = time.monotonic()
        if self.failing_since is None:
            self.failing_since = now
        self.consecutive_failures += 1
        outage = now - self.failing_since
        self.crawler.stats.inc_value("storage/write_errors")
        message = first_line(error, unwrap=False)
        logger.error(
            "Could not write %d articles to %s (attempt %d, failing for %.1f s of %.0f s "
            "allowed; %d articles waiting): %s",
            batch_size,
            redact_url(self.database_url),
            self.consecutive_failures,
            outage,
            self.outage_timeout,
            len(self.pending),
            message,
        )
        if self.consecutive_failures >= self.max_failures and outage >= self.outage_timeout:
            self.gave_up = True
            self.crawler.stats.set_value("storage/failed", True)
            logger.error(
                "Giving up on %s after %.1f s: stopping the crawl (storage_failed)",
                redact_url(self.database_url),
                outage,
            )
            if self.crawler.engine is not None:
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_failed"))

    def _flush_done(self, _: object) -> None:
        """Go on with full batches; after a failure the ticker (or back-pressure, or
        close_spider) retries, so a dead database is not hammered in a tight loop."""
        self.writing = None
        if len(self.pending) >= self.batch_size and self.consecutive_failures == 0:
            self._start_flush()


def _noop() -> None:
    return None
