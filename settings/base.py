"""Every default of the crawler, in one place.

Override modules (``settings.production``, ``settings.demo``) import this and change a few
names; single values can be changed per run with ``-s NAME=VALUE``. Secrets never live here:
``DATABASE_URL`` comes from the environment variable of the same name when it is set.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

BOT_NAME = "portal_crawler"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# --- Storage -------------------------------------------------------------------------------
# Any SQLAlchemy URL: sqlite:///path, postgresql+psycopg://user@host/db, mysql+pymysql://...
DATABASE_URL = os.environ.get(
    "DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'data' / 'articles.sqlite3'}"
)
# Rows are written in batches from a worker thread; a batch is flushed when it is this big
# or when STORE_FLUSH_INTERVAL seconds have passed, whichever comes first.
STORE_BATCH_SIZE = 100
STORE_FLUSH_INTERVAL = 2.0
# When this many items wait for a slow database, the pipeline stops accepting new ones until
# a batch is written (back-pressure instead of unbounded memory).
STORE_MAX_PENDING = 2000
# While the database is unreachable the crawl goes on (back-pressure at STORE_MAX_PENDING)
# and failed batches are retried every STORE_FLUSH_INTERVAL. The run gives up with reason
# storage_failed once writes have failed STORE_MAX_CONSECUTIVE_FAILURES times in a row over
# at least STORE_OUTAGE_TIMEOUT seconds.
STORE_MAX_CONSECUTIVE_FAILURES = 5
STORE_OUTAGE_TIMEOUT = 60.0
# Articles a run could not store are kept in this JSON Lines file and written first by the
# next run against the same database ({database} becomes a short hash of DATABASE_URL).
STORE_SPILL_PATH = str(PROJECT_ROOT / "data" / "unsaved-{database}.jsonl")

# Mirror URLs mapped to one canonical form for every site, after the site's own
# Site.url_aliases: (regex, replacement) pairs matched against the canonical URL (re.sub
# syntax), first match wins, e.g. [(r"^https://m\.example\.cn/", "https://www.example.cn/")].
URL_ALIASES: list[tuple[str, str]] = []
# Link near-duplicate copies (other boilerplate, small edits, truncated/extended) to the first
# stored copy, not only identical bodies. Switch off for corpora whose distinct stories share
# most sentences (templated reports, generated text); exact copies are linked either way.
NEAR_DUPLICATES_ENABLED = True

# --- Site rules and extraction ---------------------------------------------------------------
SITES_MODULE = "crawler.sites"
# Articles whose main text is shorter than this many characters are dropped as not_article.
MIN_BODY_CHARS = 40
# Tracking parameters removed from canonical URLs (exact names or prefixes ending in '*').
TRACKING_PARAMETERS = [
    "utm_*",
    "spm",
    "from",
    "share*",
    "wfr",
    "isappinstalled",
    "scene",
    "clicktime",
    "enterid",
]

# --- Pipelines, middlewares, extensions -----------------------------------------------------
ITEM_PIPELINES = {
    "pipelines.validate.ValidatePipeline": 100,
    "pipelines.normalize.NormalizePipeline": 200,
    "pipelines.dedupe.DeduplicatePipeline": 300,
    "pipelines.store.StorePipeline": 400,
}
DOWNLOADER_MIDDLEWARES = {
    # conditional listing requests; before RetryMiddleware (550) so it sees final outcomes
    "crawler.incremental.IncrementalListingMiddleware": 540,
    # the SSRF guard: after RetryMiddleware (550) so refused requests are not retried
    "crawler.middlewares.AddressGuardMiddleware": 560,
    # counts redirect loops, which the duplicate filter would drop without a trace
    "crawler.middlewares.RedirectLoopCounter": 570,
    # between HttpCompressionMiddleware (590) and charset correction: images behind .html
    "crawler.middlewares.BinaryContentMiddleware": 585,
    # after HttpCompressionMiddleware (590) so the charset is read from the decoded body
    "crawler.middlewares.CharsetCorrectionMiddleware": 580,
}
EXTENSIONS = {
    "crawler.extensions.RunSummary": 500,
    "crawler.offload.GarbageCollectorTuning": 100,  # less collector time per page
    "crawler.runs.RunRecorder": 400,  # before RunSummary: the summary shows its warnings
}
LOG_FORMATTER = "crawler.logformatter.QuietDropLogFormatter"
# Seconds between Scrapy's progress lines (pages, items, rate) during a crawl.
LOGSTATS_INTERVAL = 30.0

# --- Politeness and network --------------------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = "portal-crawler/0.1 (+https://example.invalid/portal-crawler)"
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = 0.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
AUTOTHROTTLE_ENABLED = False
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
# The demo portal and the tests run on 127.0.0.1; real crawls should not reach private
# networks (see the README's security notes).
ALLOW_PRIVATE_NETWORKS = False
# Networks (CIDR) reachable even when ALLOW_PRIVATE_NETWORKS is False, e.g. ["10.1.2.0/24"]
# for an intranet mirror; everything else private stays refused.
PRIVATE_NETWORK_ALLOWLIST: list[str] = []
# Every connection resolves its host name here; names resolving to private, loopback,
# link-local, multicast or reserved addresses are refused (crawler/security.py).
TWISTED_DNS_RESOLVER = "crawler.security.GuardedResolver"

# --- Logging and misc ------------------------------------------------------------------------
LOG_LEVEL = "INFO"
# The run summary (crawler.extensions.RunSummary) ends every run; the raw stats dictionary is
# there for debugging with -s STATS_DUMP=True.
STATS_DUMP = False
# No interactive back doors into a running crawl: Scrapy's telnet console, and its remote
# control (Scrapy 2.19: an HTTP server on localhost that runs any Python code sent with a token
# kept in a file in the user's home). Switch one on for a debugging session with -s.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

# --- Incremental crawling --------------------------------------------------------------------
# Re-crawls fetch only what is new (crawler/incremental.py): stored article URLs are not
# fetched again, listing pages are fetched with If-None-Match / If-Modified-Since, and the
# pagination stops at a listing page whose articles are all stored. False (or -a full=1 for
# one run) crawls everything like a first run.
INCREMENTAL_ENABLED = True
# Stop following the pagination at a listing page whose articles are all stored (and at a
# listing answered 304 Not Modified); a site's Site.stop_at_known_listing overrides it.
STOP_AT_KNOWN_LISTING = True
# Stored articles published (without a date: first seen) within the last N hours are fetched
# again on every run to pick up corrections; 0 never re-fetches a stored article. A site's
# Site.recheck_window_hours overrides it.
RECHECK_WINDOW_HOURS = 0.0

# --- Run records and monitoring --------------------------------------------------------------
# One crawl_runs row per run (crawler/runs.py), also for failed runs; articles.first_run_id
# points at the run that first stored an article.
RUN_RECORDS_ENABLED = True
# Monitoring compares a run with the site's last MONITOR_HISTORY_RUNS finished runs and warns
# (summary, log, crawl_runs.warnings) when a field's coverage (title, date, source, body) falls
# more than MONITOR_COVERAGE_DROP (a share, 0.3 = 30 points) below their median, counting only
# runs with at least MONITOR_MIN_ARTICLES extracted articles, or when a site that always had
# articles yields no article links, or article pages without articles.
MONITOR_HISTORY_RUNS = 5
MONITOR_MIN_ARTICLES = 5
MONITOR_COVERAGE_DROP = 0.3
# True: a run with monitoring warnings exits with status 3 (failed runs still exit with 1).
MONITOR_FAIL_ON_WARNING = False

# --- Throughput ------------------------------------------------------------------------------
# Article extraction in this many worker processes (crawler/offload.py); 0 extracts in the
# crawler's own process. Extraction is CPU-bound and holds the GIL, so a pool lets a crawl use
# a second core; on a machine whose cores are busy anyway it only adds the transfer cost.
EXTRACTION_PROCESSES = 0
# Python's cyclic garbage collector (crawler.offload.GarbageCollectorTuning): freeze what
# start-up allocated at spider open, so collections stop rescanning it (collector time on the
# demo portal: 1.75 s -> 0.57 s per 1,000 articles). GC_YOUNG_THRESHOLD > 0 also collects the
# young generation after that many net allocations instead of 700: 50_000 -> 0.29 s, but
# garbage then waits longer (RSS +45 MB), so 0 (Python's default) is the default.
GC_FREEZE_AT_START = True
GC_YOUNG_THRESHOLD = 0
# Items and requests of one callback processed in parallel. Scrapy starts this many asyncio
# tasks for every response (default 100); our callbacks yield one article or ~50 requests
# that only get scheduled, so 8 is enough and saves ~0.7 ms of CPU per page.
CONCURRENT_ITEMS = 8
# Seconds a database statement may wait for the server's answer before the connection is given
# up as dead (PostgreSQL, MariaDB/MySQL; 0 waits forever): a silently dead connection then fails
# the batch like a lost one, which waits and is retried or spilled (STORE_OUTAGE_TIMEOUT). The
# environment variable of the same name overrides it. Migrations are not limited by it.
DATABASE_NETWORK_TIMEOUT = 120.0
