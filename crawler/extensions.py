"""The end-of-run summary and the exit status derived from it.

Cron users read one screen at the end of every run: what was stored, updated, deduplicated,
dropped and why, what failed, how fast, and what monitoring noticed against the site's
earlier runs (``crawler.runs``). The same figures decide the process exit status.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.spiders import Spider

from storage.database import redact_url, resolve_database_url

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
# The run did its job but monitoring warned (a site's extraction looks broken) and
# MONITOR_FAIL_ON_WARNING is on: distinct from a failed run so cron can tell them apart.
EXIT_WARNING = 3


def by_prefix(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    return {
        key[len(prefix) :]: int(value)
        for key, value in stats.items()
        if key.startswith(prefix) and isinstance(value, int)
    }


def error_count(stats: Mapping[str, Any]) -> int:
    """Failures worth a look: pages that could not be fetched or parsed, storage errors."""
    return (
        int(stats.get("pages/failed", 0))
        + int(stats.get("pages/extraction_errors", 0))
        + sum(by_prefix(stats, "spider_exceptions/").values())
        + int(stats.get("storage/write_errors", 0))
    )


def failure_reasons(stats: Mapping[str, Any]) -> list[str]:
    """Why a run counts as failed (empty when it did its job)."""
    reasons = []
    finish_reason = stats.get("finish_reason")
    if finish_reason != "finished":
        reasons.append(f"finish reason {finish_reason or 'unknown'}")
    if stats.get("storage/unsaved"):
        kept = (
            f" (kept in {stats['storage/spill_path']})" if stats.get("storage/spill_path") else ""
        )
        reasons.append(f"{stats['storage/unsaved']} articles not stored{kept}")
    if stats.get("scaleout/error"):  # the shared frontier (Redis) went away: crawler.scaleout
        reasons.append(str(stats["scaleout/error"]))
    return reasons


def monitoring_warnings(stats: Mapping[str, Any]) -> list[str]:
    """What ``crawler.runs.RunRecorder`` found against the site's earlier runs."""
    return [str(warning) for warning in stats.get("monitor/warnings") or []]


def exit_status(stats: Mapping[str, Any], *, fail_on_warning: bool = False) -> int:
    """1 when the run failed; 3 when it warned and ``fail_on_warning``; else 0."""
    if failure_reasons(stats):
        return EXIT_FAILED
    if fail_on_warning and monitoring_warnings(stats):
        return EXIT_WARNING
    return EXIT_OK


def format_summary(stats: Mapping[str, Any], *, spider: str, site: str, database: str) -> str:
    elapsed = float(stats.get("elapsed_time_seconds") or 0.0)
    started = stats.get("start_time")
    if not elapsed and isinstance(started, datetime):
        elapsed = (datetime.now(started.tzinfo) - started).total_seconds()
    pages = int(stats.get("response_received_count", 0))
    rate = pages / elapsed if elapsed > 0 else 0.0
    dropped = by_prefix(stats, "articles/dropped/")
    skipped = by_prefix(stats, "pages/skipped/")
    if stats.get("robotstxt/forbidden"):  # counted by Scrapy's RobotsTxtMiddleware
        skipped["robots_txt"] = int(stats["robotstxt/forbidden"])
    http_errors = by_prefix(stats, "httperror/response_ignored_status_count/")
    failures = failure_reasons(stats)
    not_modified = int(stats.get("pages/listing_not_modified", 0))
    listings = f"listings {stats.get('pages/listing', 0)}" + (
        f" + {not_modified} not modified" if not_modified else ""
    )

    def listing(counts: dict[str, int]) -> str:
        return ", ".join(f"{name}: {count}" for name, count in sorted(counts.items()))

    lines = [
        f"Run summary: spider {spider}, site {site}, {elapsed:.1f} s",
        f"  pages fetched   {pages} ({rate:.1f} pages/s; {listings},"
        f" articles {stats.get('pages/article', 0)})",
        f"  stored          {stats.get('articles/stored', 0)} new",
        f"  updated         {stats.get('articles/updated', 0)}"
        f" (unchanged, seen again: {stats.get('articles/unchanged', 0)})",
        f"  duplicates      {stats.get('articles/duplicates', 0)}",
        f"  dropped         {sum(dropped.values())}"
        + (f" ({listing(dropped)})" if dropped else ""),
        f"  skipped pages   {sum(skipped.values())}"
        + (f" ({listing(skipped)})" if skipped else ""),
        f"  errors          {error_count(stats)}"
        + (f" (HTTP status {listing(http_errors)})" if http_errors else ""),
        f"  database        {database}",
        f"  result          {'FAILED: ' + '; '.join(failures) if failures else 'ok'}",
    ]
    warnings = monitoring_warnings(stats)
    if warnings:
        lines.append(f"  warnings        {len(warnings)}")
        lines.extend(f"    - {warning}" for warning in warnings)
    return "\n".join(lines)


class RunSummary:
    """Logs the summary when the spider closes (after the pipelines have flushed)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunSummary:
        return cls(crawler)

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        from crawler.runs import RunRecorder  # runs imports this module's figures

        for extension in self.crawler.extensions.middlewares:
            if isinstance(extension, RunRecorder):  # its monitoring warnings go in the summary
                await extension.wait_closed()
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        try:
            database = redact_url(resolve_database_url(self.crawler.settings.get("DATABASE_URL")))
        except Exception:  # the summary must not fail because of a bad setting
            database = "<not configured>"
        summary = format_summary(
            stats,
            spider=spider.name,
            site=str(getattr(spider, "site_name", "-")),
            database=database,
        )
        logger.info("%s", summary)
