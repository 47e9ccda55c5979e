"""Write articles to the database in batches, off the reactor thread.

Items are buffered and handed to one dedicated writer thread a batch at a time, so the crawl
never waits on the database except when too many items pile up (back-pressure). A failed
batch is put back and retried; if the database stays away the spider is closed with the reason
``storage_failed`` and the number of unsaved articles is reported.
"""

from __future__ import annotations

import logging
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

from storage.database import open_database, redact_url, resolve_database_url
from storage.repository import ArticleRepository, BatchResult

logger = logging.getLogger(__name__)

# Seconds between attempts to write a failed batch again while the spider closes.
RETRY_PAUSE = 1.0

ROW_FIELDS = (
    "url",
    "canonical_url",
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


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.database_url = resolve_database_url(settings.get("DATABASE_URL"))
        self.batch_size = max(1, settings.getint("STORE_BATCH_SIZE"))
        self.flush_interval = settings.getfloat("STORE_FLUSH_INTERVAL")
        self.max_pending = max(self.batch_size, settings.getint("STORE_MAX_PENDING"))
        self.max_failures = max(1, settings.getint("STORE_MAX_CONSECUTIVE_FAILURES", 5))
        self.pending: list[dict[str, Any]] = []
        self.writing: Deferred[None] | None = None
        self.consecutive_failures = 0
        self.engine: Engine | None = None
        self.repository: ArticleRepository | None = None
        self.writer = ThreadPool(minthreads=1, maxthreads=1, name="article-writer")
        self.ticker: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    async def open_spider(self) -> None:
        self.writer.start()
        self.engine = await self._in_writer(open_database, self.database_url)
        self.repository = ArticleRepository(self.engine)
        logger.info("Storing articles in %s", redact_url(self.engine.url))
        if self.flush_interval > 0:
            self.ticker = task.LoopingCall(self._start_flush)
            self.ticker.start(self.flush_interval, now=False)

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        self.pending.append({name: adapter.get(name) for name in ROW_FIELDS})
        if len(self.pending) >= self.batch_size:
            self._start_flush()
        while len(self.pending) >= self.max_pending and self.writing is not None:
            await maybe_deferred_to_future(self.writing)
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
            self.crawler.stats.set_value("storage/unsaved", len(self.pending))
            logger.error(
                "%d articles could not be stored in %s (see the errors above)",
                len(self.pending),
                redact_url(self.database_url),
            )
        if self.engine is not None:
            await self._in_writer(self.engine.dispose)
        self.writer.stop()

    def _may_retry(self) -> bool:
        return self.repository is not None and self.consecutive_failures < self.max_failures

    def _in_writer(self, function: Any, *args: Any) -> Any:
        return maybe_deferred_to_future(deferToThreadPool(reactor, self.writer, function, *args))

    def _start_flush(self) -> None:
        """Hand the buffered rows to the writer thread unless a batch is already being written."""
        if self.writing is not None or not self.pending or self.repository is None:
            return
        batch, self.pending = self.pending[: self.batch_size], self.pending[self.batch_size :]
        writing = deferToThreadPool(reactor, self.writer, self.repository.save_batch, batch)
        writing.addCallbacks(self._written, self._write_failed, errbackArgs=(batch,))
        writing.addBoth(self._flush_done)
        self.writing = writing

    def _written(self, result: BatchResult) -> None:
        self.consecutive_failures = 0
        stats = self.crawler.stats
        stats.inc_value("articles/stored", result.stored)
        stats.inc_value("articles/duplicates", result.duplicates)
        stats.inc_value("articles/updated", result.updated)
        stats.inc_value("articles/unchanged", result.unchanged)

    def _write_failed(self, failure: Failure, batch: list[dict[str, Any]]) -> None:
        self.pending[:0] = batch  # keep the order; nothing is lost
        self.consecutive_failures += 1
        self.crawler.stats.inc_value("storage/write_errors")
        logger.error(
            "Could not write %d articles to %s (attempt %d of %d): %s",
            len(batch),
            redact_url(self.database_url),
            self.consecutive_failures,
            self.max_failures,
            failure.getErrorMessage().splitlines()[0] if failure.getErrorMessage() else failure,
        )
        if self.consecutive_failures >= self.max_failures and self.crawler.engine is not None:
            self.crawler.stats.set_value("storage/failed", True)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_failed"))

    def _flush_done(self, _: object) -> None:
        self.writing = None
        if len(self.pending) >= self.batch_size and self.consecutive_failures == 0:
            self._start_flush()


def _noop() -> None:
    return None
