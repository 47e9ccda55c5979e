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
- **Redis going away ends the run cleanly.** A connection or timeout error from Redis in any
  scheduler call logs one error naming the (password-masked) Redis URL and the reason, sets
  ``scaleout/error`` (the summary's result line and the run record say it) and closes the
  spider with the finish reason ``redis_unavailable``, so the exit status is 1. Requests still
  queued stay in Redis (``SCHEDULER_PERSIST``); requests found after the loss, which could not
  be queued, are kept in a local file (``SCALEOUT_SPILL_PATH``) that the next worker of the
  same run on this machine pushes into the shared queue first. Nothing is lost either way.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import redis.exceptions
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from scrapy.http import Request
from scrapy.spiders import Spider
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object
from scrapy_redis import connection
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task
from twisted.internet.task import LoopingCall

from settings.base import PROJECT_ROOT
from storage.database import first_line, redact_url

logger = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "portal-crawler"
DEFAULT_IDLE_CLOSE_SECONDS = 15.0
DEFAULT_BUSY_TTL_SECONDS = 60
DEFAULT_KEY_TTL_SECONDS = 7 * 24 * 3600
DEFAULT_SPILL_PATH = str(PROJECT_ROOT / "data" / "unqueued-{run}.jsonl")
# The finish reason of a run that lost its shared frontier.
REDIS_UNAVAILABLE = "redis_unavailable"
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class SharedFrontierUnavailable(RuntimeError):
    """Redis cannot be reached when the worker starts; the message names the URL."""


def check_shared_frontier(settings: Any) -> None:
    """Fail with one readable line before crawling when the configured scheduler is the shared
    frontier and its Redis cannot be reached (the crawl command calls this, like its
    database check)."""
    scheduler = settings.get("SCHEDULER")
    scheduler_class = load_object(scheduler) if isinstance(scheduler, str) else scheduler
    if not (isinstance(scheduler_class, type) and issubclass(scheduler_class, Scheduler)):
        return
    try:
        server = connection.from_settings(settings)
        server.ping()
        server.close()
    except REDIS_ERRORS as exc:
        raise SharedFrontierUnavailable(
            f"cannot reach the shared frontier at Redis {redis_url(settings)}: {exc}"
        ) from None


def key_prefix(settings: Any) -> str:
    return str(settings.get("SCALEOUT_KEY_PREFIX") or DEFAULT_KEY_PREFIX)


def redis_url(settings: Any) -> str:
    """The Redis URL for messages, password masked."""
    url = settings.get("REDIS_URL")
    if url:
        return redact_url(str(url))
    return f"redis://{settings.get('REDIS_HOST', 'localhost')}:{settings.get('REDIS_PORT', 6379)}"


def unqueued_spill_path(settings: Any) -> Path:
    """Requests this machine could not queue, per crawl run (``{run}``: hash of the prefix)."""
    digest = hashlib.sha256(key_prefix(settings).encode("utf-8")).hexdigest()[:12]
    template = str(settings.get("SCALEOUT_SPILL_PATH") or DEFAULT_SPILL_PATH)
    return Path(template.replace("{run}", digest)).expanduser()


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
    lost: str | None
    unqueued: list[Request]
    spill_path: Path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedFrontierScheduler:
        settings = crawler.settings
        if not settings.getbool("SCHEDULER_PERSIST"):
            raise NotConfigured(
                "SharedFrontierScheduler needs SCHEDULER_PERSIST = True: otherwise the first "
                "worker to finish deletes the frontier the others still crawl"
            )
        try:
            instance = super().from_crawler(crawler)  # pings Redis
        except REDIS_ERRORS as exc:
            # logged too: Scrapy replaces an error raised while the engine opens with its own
            message = f"cannot reach the shared frontier at Redis {redis_url(settings)}: {exc}"
            logger.error("%s", message)
            raise SharedFrontierUnavailable(message) from None
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
        instance.lost = None
        instance.unqueued = []
        instance.spill_path = unqueued_spill_path(settings)
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
        try:
            self.server.set(self._busy_key(), "starting", ex=self.busy_ttl)
            self._queue_spilled()
        except REDIS_ERRORS as exc:
            raise SharedFrontierUnavailable(
                f"cannot use the shared frontier at Redis {redis_url(self.crawler.settings)}: {exc}"
            ) from None
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
        if self.lost is None:
            try:
                self.server.delete(self._busy_key())
                # persist is on (checked in from_crawler): nothing is flushed; the filter
                # expires.
                self.server.expire(self.df.key, self.key_ttl)
                super().close(reason)
            except REDIS_ERRORS as exc:
                self._redis_lost("closing", exc)
        if self.unqueued:
            self._spill_unqueued()

    def next_request(self) -> Request | None:
        if self.lost is not None:
            return None
        try:
            # never a blocking pop: it would stall the whole event loop (module docstring)
            request = self.queue.pop(0)
        except REDIS_ERRORS as exc:
            self._redis_lost("taking the next request", exc)
            return None
        if request is None:
            return None
        try:
            self.server.set(self._busy_key(), "crawling", ex=self.busy_ttl)
        except REDIS_ERRORS as exc:
            # the request is out of Redis already: crawl it (the spider closes after it)
            self._redis_lost("marking this worker busy", exc)
        self.idle_since = None
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request  # type: ignore[no-any-return]

    def enqueue_request(self, request: Request) -> bool:
        if self.lost is not None:
            self.unqueued.append(request)
            return True
        try:
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                return False
            self.queue.push(request)
        except REDIS_ERRORS as exc:
            self.unqueued.append(request)
            self._redis_lost(f"queueing {request.url}", exc)
            return True
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def has_pending_requests(self) -> bool:
        if self.lost is not None:
            return False
        try:
            return len(self) > 0
        except REDIS_ERRORS as exc:
            self._redis_lost("counting queued requests", exc)
            return False

    # -- losing Redis -------------------------------------------------------------------------
    def _redis_lost(self, action: str, error: BaseException) -> None:
        """Say once, clearly, that the shared frontier is gone, and close the spider."""
        if self.lost is not None:
            return
        reason = first_line(error)
        self.lost = f"Redis {redis_url(self.crawler.settings)} unavailable while {action}: {reason}"
        logger.error(
            "%s; stopping this worker (%s). Requests still queued stay in Redis; requests "
            "found from now on are kept in %s and queued first by the next worker of this "
            "run on this machine",
            self.lost,
            REDIS_UNAVAILABLE,
            self.spill_path,
        )
        self.crawler.stats.set_value("scaleout/error", self.lost)
        engine = self.crawler.engine
        if engine is not None:
            # imported here: importing the module must not install a reactor (the crawl
            # command imports it before Scrapy installs the configured one)
            from twisted.internet import reactor

            # not from inside the engine's own call into the scheduler
            task.deferLater(
                reactor,
                0,
                lambda: deferred_from_coro(engine.close_spider_async(reason=REDIS_UNAVAILABLE)),
            )

    def _spill_unqueued(self) -> None:
        """Append the requests Redis did not take to this machine's spill file."""
        self.spill_path.parent.mkdir(parents=True, exist_ok=True)
        with self.spill_path.open("a", encoding="ascii") as spill:
            for request in self.unqueued:
                encoded = self.queue._encode_request(request)
                spill.write(base64.b64encode(encoded).decode("ascii") + "\n")
            spill.flush()
            os.fsync(spill.fileno())
        logger.error(
            "%d requests found after losing Redis are kept in %s for the next run",
            len(self.unqueued),
            self.spill_path,
        )
        if self.stats:
            self.stats.set_value("scaleout/unqueued", len(self.unqueued))
        self.unqueued = []

    def _queue_spilled(self) -> None:
        """Queue what an earlier worker of this run could not, before anything else."""
        if not self.spill_path.exists():
            return
        queued = 0
        for number, line in enumerate(self.spill_path.read_text("ascii").splitlines(), 1):
            if not line.strip():
                continue
            try:
                request = self.queue._decode_request(base64.b64decode(line))
            except Exception as exc:  # a torn last line, or a callback that no longer exists
                logger.error(
                    "Skipping unreadable request on line %d of %s: %s", number, self.spill_path, exc
                )
                continue
            self.df.request_seen(request)  # mark it seen; it may already be
            self.queue.push(request)
            queued += 1
        self.spill_path.unlink()
        logger.info(
            "Queued %d requests an earlier worker could not (kept in %s)", queued, self.spill_path
        )

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
        if self.lost is None and self._locally_busy():
            try:
                self.server.set(self._busy_key(), "crawling", ex=self.busy_ttl)
            except REDIS_ERRORS as exc:
                self._redis_lost("marking this worker busy", exc)

    def spider_idle(self, spider: Spider) -> None:
        """Called by the engine when this worker has nothing in flight and the queue looked
        empty: close only once the whole crawl has been drained for a while."""
        if self.lost is not None:
            raise CloseSpider(REDIS_UNAVAILABLE)
        try:
            self.server.delete(self._busy_key())
            others = list(self.server.scan_iter(match=self._busy_pattern(), count=100))
            queued = len(self.queue)
        except REDIS_ERRORS as exc:
            self._redis_lost("checking whether the crawl is drained", exc)
            raise CloseSpider(REDIS_UNAVAILABLE) from None
        if queued or others:
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
