"""Scale-out: several crawler processes share one frontier and one duplicate filter in Redis.

Built on scrapy-redis 0.9.1 (``settings/distributed.py`` switches it on). What this module
changes, and why, for Scrapy 2.19 and for this crawler:

- **Workers stop when the shared frontier is drained.** Stock scrapy-redis either closes a
  worker the moment its own view is idle (with a plain spider: the second worker finds the
  queue empty while the first is still parsing the listing page that will fill it, and quits
  at once) or never (``RedisSpider``). Here every worker marks itself busy in Redis while it has
  requests in flight; a worker closes only when the queue is empty *and* no other worker is
  busy, continuously for ``SCALEOUT_IDLE_CLOSE_SECONDS``.
- **No blocking Redis calls on the event loop.** With ``SCHEDULER_IDLE_BEFORE_CLOSE`` > 0 the
  stock scheduler pops with ``BRPOP``/``BLPOP`` and that timeout, which freezes Scrapy's whole
  reactor (downloads, pipelines, the store's flushes) for that long on every empty poll. Pops
  here never block; the idle wait is the close rule above.
- **One request fingerprint.** The stock Redis dupefilter computes its own SHA-1 of the URL,
  ignoring Scrapy's ``REQUEST_FINGERPRINTER`` (whose implementation this project pins); this
  one asks the crawler's fingerprinter, so the shared filter agrees with Scrapy everywhere else.
- **Keys per crawl run, and they expire.** Keys are ``{SCALEOUT_KEY_PREFIX}:{spider}:requests``
  / ``:dupefilter`` / ``:busy:{worker}``. ``SCHEDULER_PERSIST`` must stay on (the first worker
  to finish would otherwise delete the queue and filter the others still use), so the filter
  is given a TTL (``SCALEOUT_KEY_TTL``) when a worker closes instead of piling up forever; a new
  daily run uses a new prefix (see docs/scale-out.md).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Request
from scrapy.spiders import Spider
from scrapy_redis.dupefilter import RFPDupeFilter  # type: ignore[import-untyped]
from scrapy_redis.scheduler import Scheduler  # type: ignore[import-untyped]
from twisted.internet.task import LoopingCall

logger = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "portal-crawler"
DEFAULT_IDLE_CLOSE_SECONDS = 15.0
DEFAULT_BUSY_TTL_SECONDS = 60
DEFAULT_KEY_TTL_SECONDS = 7 * 24 * 3600


def key_prefix(settings: Any) -> str:
    return str(settings.get("SCALEOUT_KEY_PREFIX") or DEFAULT_KEY_PREFIX)


class SharedDupeFilter(RFPDupeFilter):  # type: ignore[misc]
    """The Redis set of seen request fingerprints, computed by Scrapy's own fingerprinter."""

    fingerprinter: Any = None

    @classmethod
    def from_spider(cls, spider: Spider) -> SharedDupeFilter:
        instance = super().from_spider(spider)
        assert isinstance(instance, SharedDupeFilter)
        instance.fingerprinter = spider.crawler.request_fingerprinter
        return instance

    def request_fingerprint(self, request: Request) -> str:
        if self.fingerprinter is None:  # standalone use, as in scrapy-redis
            return str(super().request_fingerprint(request))
        return str(self.fingerprinter.fingerprint(request).hex())

    def close(self, reason: str = "") -> None:
        """Keep the set: other workers of the same run still filter against it."""


class SharedFrontierScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler with non-blocking pops and the drained-frontier close rule."""

    crawler: Crawler
    df: Any
    worker: str
    idle_close_seconds: float
    busy_ttl: int
    key_ttl: int
    idle_since: float | None
    heartbeat: LoopingCall | None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedFrontierScheduler:
        settings = crawler.settings
        if not settings.getbool("SCHEDULER_PERSIST"):
            raise NotConfigured(
                "SharedFrontierScheduler needs SCHEDULER_PERSIST = True: otherwise the first "
                "worker to finish deletes the frontier the others still crawl"
            )
        instance = super().from_crawler(crawler)
        assert isinstance(instance, SharedFrontierScheduler)
        prefix = key_prefix(settings)
        instance.queue_key = f"{prefix}:%(spider)s:requests"
        instance.dupefilter_key = f"{prefix}:%(spider)s:dupefilter"
        instance.crawler = crawler
        instance.idle_close_seconds = settings.getfloat(
            "SCALEOUT_IDLE_CLOSE_SECONDS", DEFAULT_IDLE_CLOSE_SECONDS
        )
        instance.busy_ttl = settings.getint("SCALEOUT_BUSY_TTL", DEFAULT_BUSY_TTL_SECONDS)
        instance.key_ttl = settings.getint("SCALEOUT_KEY_TTL", DEFAULT_KEY_TTL_SECONDS)
        instance.worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        instance.idle_since = None
        instance.heartbeat = None
        crawler.signals.connect(instance.spider_idle, signal=signals.spider_idle)
        return instance

    # -- keys ---------------------------------------------------------------------------------
    def _busy_pattern(self) -> str:
        return f"{key_prefix(self.crawler.settings)}:{self.spider.name}:busy:*"

    def _busy_key(self) -> str:
        return f"{key_prefix(self.crawler.settings)}:{self.spider.name}:busy:{self.worker}"

    # -- Scrapy's scheduler interface -----------------------------------------------------------
    def open(self, spider: Spider) -> None:
        # scrapy-redis reads the key templates at open(): the prefixed ones set above apply.
        if self.df is None:
            self.df = SharedDupeFilter.from_spider(spider)
            self.df.key = self.dupefilter_key % {"spider": spider.name}
        super().open(spider)
        self.server.set(self._busy_key(), "starting", ex=self.busy_ttl)
        self.heartbeat = LoopingCall(self._refresh_busy)
        self.heartbeat.start(max(1.0, self.busy_ttl / 4), now=False)
        logger.info(
            "Shared frontier %s (worker %s): %d requests queued",
            self.queue.key,
            self.worker,
            len(self.queue),
        )

    def close(self, reason: str) -> None:
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        self.server.delete(self._busy_key())
        # persist is on (checked in from_crawler): nothing is flushed; the filter expires.
        self.server.expire(self.df.key, self.key_ttl)
        super().close(reason)

    def next_request(self) -> Request | None:
        # never a blocking pop: it would stall the whole event loop (see the module docstring)
        request = self.queue.pop(0)
        if request is None:
            return None
        self.server.set(self._busy_key(), "crawling", ex=self.busy_ttl)
        self.idle_since = None
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request  # type: ignore[no-any-return]

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    # -- the close rule -----------------------------------------------------------------------
    def _locally_busy(self) -> bool:
        engine = self.crawler.engine
        if engine is None:
            return False
        scraper_slot = getattr(engine.scraper, "slot", None)
        return bool(engine.downloader.active) or (
            scraper_slot is not None and not scraper_slot.is_idle()
        )

    def _refresh_busy(self) -> None:
        """Keep this worker's busy mark alive during long downloads (pops refresh it too)."""
        if self._locally_busy():
            self.server.set(self._busy_key(), "crawling", ex=self.busy_ttl)

    def spider_idle(self, spider: Spider) -> None:
        """Called by the engine when this worker has nothing in flight and the queue looked
        empty: close only once the whole crawl has been drained for a while."""
        self.server.delete(self._busy_key())
        others = list(self.server.scan_iter(match=self._busy_pattern(), count=100))
        if len(self.queue) or others:
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_close_seconds:
            raise DontCloseSpider
        logger.info(
            "Shared frontier drained: no queued requests and no busy worker for %.0f s",
            now - self.idle_since,
        )
