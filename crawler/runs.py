"""One ``crawl_runs`` row per run, written even when the run fails, and monitoring against
the site's earlier runs.

The row is inserted as ``running`` when the spider opens, so its id can be stamped on every
article the run stores first (``articles.first_run_id``: the store pipeline reads the stats
value ``run/id``), and so a run killed without closing stays visible: as ``running`` until the
next run on the same host finds its process gone and marks it ``interrupted``. When the
spider closes (after the pipelines have flushed), the row is completed from the run's stats:
counts, drop reasons, errors, field coverage, finish reason, and the monitoring warnings.

The database may be the very thing that failed. Then the completed record goes to a small
JSON Lines file beside the store's spill file (``<STORE_SPILL_PATH stem>.runs.jsonl``) and the
next run against the same database writes it first, so the history has no holes. All database
work runs in a thread: the reactor never waits on it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.spiders import Spider
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, CursorResult, Engine
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from crawler.extensions import by_prefix, error_count, failure_reasons
from crawler.monitoring import RunFigures, coverage_from_stats, figures_from_stats, monitor_run
from pipelines.store import spill_path_for
from storage.database import first_line, open_database, redact_url, resolve_database_url
from storage.models import CrawlRun

logger = logging.getLogger(__name__)

STATUS_RUNNING = "running"
STATUS_FINISHED = "finished"
STATUS_FAILED = "failed"
STATUS_INTERRUPTED = "interrupted"
INTERRUPTED_REASON = "process_gone"
INTERRUPTED_MESSAGE = (
    "the crawler process ended without completing this record (killed, crashed, or its "
    "machine stopped); a later run on the same host found it gone"
)
# How much later than a record's opening its pid's process must have started to count as
# another process that reused the id (see process_is_gone).
PID_REUSE_MARGIN = timedelta(minutes=10)
_DATETIME_COLUMNS = ("started_at", "finished_at")

Record = dict[str, Any]


def run_spill_path(spill_template: str, database_url: str) -> Path:
    """Where run records wait for the database: next to the store's spill file, one per
    database (the same ``{database}`` hash), so the next run against it finds them."""
    articles_spill = spill_path_for(spill_template, database_url)
    return articles_spill.with_name(f"{articles_spill.stem}.runs.jsonl")


def spider_arguments(spider: Spider) -> dict[str, Any]:
    """The run's ``-a`` arguments, read back from the spider.

    Scrapy keeps unknown ``-a`` arguments as instance attributes and the portal spider turns
    ``site``/``start_url``/``max_pages`` into attributes of its own, so the scalar instance
    attributes are the arguments. Anything that looks like a URL with credentials is masked.
    """
    arguments: dict[str, Any] = {}
    site_rules = getattr(spider, "site_rules", None)
    if site_rules is not None:
        arguments["site"] = site_rules.name
    else:
        start_urls = list(getattr(spider, "start_urls", []) or [])
        if start_urls:
            arguments["start_url"] = start_urls[0]
    for name, value in sorted(vars(spider).items()):
        if name.startswith("_") or name in ("site_name", "name") or name in arguments:
            continue
        if isinstance(value, bool | int | float | str):
            arguments[name] = _mask(value)
    return {name: value for name, value in arguments.items() if value is not None}


def _mask(value: Any) -> Any:
    if isinstance(value, str) and "://" in value and "@" in value:
        return redact_url(value)
    if isinstance(value, str) and "password" in value.lower():
        return "***"
    return value


def closing_record(stats: Mapping[str, Any], reason: str) -> Record:
    """The columns a finished (or failed) run fills in, from the run's stats."""
    stats = {**stats, "finish_reason": reason}
    failures = failure_reasons(stats)
    if stats.get("storage/failed") and reason == "finished":
        # the store gave up while the spider was closing (its last flushes failed): Scrapy's
        # reason says "finished", but the run ended because the database went away
        reason = "storage_failed"
    dropped = by_prefix(stats, "articles/dropped/")
    return {
        "finished_at": datetime.now(UTC),
        "status": STATUS_FAILED if failures else STATUS_FINISHED,
        "finish_reason": reason,
        "error_message": "; ".join(failures) or None,
        "pages_fetched": int(stats.get("response_received_count", 0) or 0),
        "listing_links": int(stats.get("listing/article_links", 0) or 0),
        "listings_not_modified": int(stats.get("pages/listing_not_modified", 0) or 0),
        "articles_extracted": int(stats.get("articles/extracted", 0) or 0),
        "articles_new": int(stats.get("articles/stored", 0) or 0),
        "articles_updated": int(stats.get("articles/updated", 0) or 0),
        "articles_unchanged": int(stats.get("articles/unchanged", 0) or 0),
        "articles_duplicate": int(stats.get("articles/duplicates", 0) or 0),
        "articles_dropped": sum(dropped.values()),
        "dropped": dropped,
        "errors": error_count(stats),
        "coverage": coverage_from_stats(stats),
    }


# --- database side (runs in a thread) --------------------------------------------------------


def _encode(record: Record) -> str:
    return json.dumps(
        record,
        ensure_ascii=False,
        default=lambda value: value.isoformat() if isinstance(value, datetime) else str(value),
    )


def _decode(line: str) -> Record:
    record: Record = json.loads(line)
    for name in _DATETIME_COLUMNS:
        if isinstance(record.get(name), str):
            record[name] = datetime.fromisoformat(record[name])
    return record


def spill_record(path: Path, record: Record) -> None:
    """Append one run record to the spill file (fsynced: it is the only copy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as spill:
        spill.write(_encode(record) + "\n")
        spill.flush()
        os.fsync(spill.fileno())


def read_spilled_records(path: Path) -> list[Record]:
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(_decode(line))
        except (ValueError, TypeError):  # a torn last line after a crash
            logger.error("Skipping unreadable run record on line %d of %s", number, path)
    return records


def write_spilled_records(engine: Engine, path: Path) -> int:
    """Write run records an earlier run could not store; the file goes once they are in.

    A record with an ``id`` completes the row its run inserted when it opened; one without
    (the database was already away at the start) becomes a new row.
    """
    records = read_spilled_records(path)
    if not records:
        return 0
    with engine.begin() as connection:
        for record in records:
            run_id = record.pop("id", None)
            exists = (
                run_id is not None
                and connection.execute(select(CrawlRun.id).where(CrawlRun.id == run_id)).first()
            )
            if exists:
                connection.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(**record))
            else:
                connection.execute(insert(CrawlRun).values(**record))
    path.unlink(missing_ok=True)
    return len(records)


def _process_started_at(pid: int) -> datetime | None:
    """When process ``pid`` started, from Linux's /proc; None where /proc cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot_line = next(
            line for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime")
        )
        # fields after the parenthesised command name start at field 3; starttime is field 22
        ticks = int(stat.rpartition(")")[2].split()[19])
        booted = int(boot_line.split()[1])
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    return datetime.fromtimestamp(booted + ticks / os.sysconf("SC_CLK_TCK"), UTC)


def process_is_gone(pid: int, record_started_at: datetime) -> bool:
    """Whether the process on this host that opened a run record at ``record_started_at``
    has ended: no process has that id, or the one that has it started after the record was
    opened (the id was reused). A process that exists and cannot be dated counts as alive."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, under another user
    started = _process_started_at(pid)
    # The record is opened after its process started, so a process started later is another
    # one. The computed start is boot time plus clock ticks, which a wall clock adjusted since
    # boot can put minutes off: only a start well after the record counts.
    return started is not None and started > record_started_at + PID_REUSE_MARGIN


def close_abandoned_runs(connection: Connection, host: str) -> list[int]:
    """Mark ``interrupted`` the records still ``running`` whose process on this host is gone.

    Only this host's records are checked: another machine's process cannot be seen from
    here. Should one be marked while its process still runs (two machines sharing a host
    name), that run's own completion overwrites the mark when it closes.
    """
    running = connection.execute(
        select(CrawlRun.id, CrawlRun.pid, CrawlRun.started_at).where(
            CrawlRun.status == STATUS_RUNNING, CrawlRun.host == host, CrawlRun.pid.is_not(None)
        )
    ).all()
    gone = sorted(row.id for row in running if process_is_gone(row.pid, row.started_at))
    if gone:
        connection.execute(
            update(CrawlRun)
            .where(CrawlRun.id.in_(gone), CrawlRun.status == STATUS_RUNNING)
            .values(
                status=STATUS_INTERRUPTED,
                finish_reason=INTERRUPTED_REASON,
                error_message=INTERRUPTED_MESSAGE,
            )
        )
    return gone


def previous_runs(engine: Engine, site: str, before_id: int | None, limit: int) -> list[RunFigures]:
    """The site's last ``limit`` runs that finished (not failed, not still running)."""
    query = (
        select(
            CrawlRun.articles_extracted,
            CrawlRun.coverage,
            CrawlRun.listing_links,
            CrawlRun.listings_not_modified,
        )
        .where(CrawlRun.site == site, CrawlRun.status == STATUS_FINISHED)
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(CrawlRun.id < before_id)
    with engine.connect() as connection:
        return [
            RunFigures(
                articles_extracted=int(row.articles_extracted or 0),
                coverage=row.coverage or {},
                listing_links=int(row.listing_links or 0),
                listings_not_modified=int(row.listings_not_modified or 0),
            )
            for row in connection.execute(query)
        ]


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None, "an INSERT reports the new row's key"
    return int(key[0])


class RunRecorder:
    """Opens and completes this run's ``crawl_runs`` row; see the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RUN_RECORDS_ENABLED", True):
            raise NotConfigured("RUN_RECORDS_ENABLED is off")
        self.crawler = crawler
        self.database_url = resolve_database_url(settings.get("DATABASE_URL"))
        self.spill_path = run_spill_path(
            settings.get("STORE_SPILL_PATH") or "data/unsaved-{database}.jsonl", self.database_url
        )
        self.history_runs = max(1, settings.getint("MONITOR_HISTORY_RUNS", 5))
        self.min_articles = max(1, settings.getint("MONITOR_MIN_ARTICLES", 5))
        self.coverage_drop = settings.getfloat("MONITOR_COVERAGE_DROP", 0.3)
        self.engine: Engine | None = None
        self.run_id: int | None = None
        self.opening: Record = {}
        # Fired once the record is complete; made here, not at spider_closed, so the run
        # summary waits for it whichever of the two signal handlers runs first.
        self.closed: Deferred[None] = Deferred()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        return cls(crawler)

    # -- opening ----------------------------------------------------------------------------
    async def spider_opened(self, spider: Spider) -> None:
        """Awaited by the engine, so crawling starts only once ``run/id`` is set."""
        self.opening = {
            "spider": spider.name,
            "site": str(getattr(spider, "site_name", "") or "") or None,
            "arguments": spider_arguments(spider),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": datetime.now(UTC),
            "status": STATUS_RUNNING,
        }
        try:
            run_id = await maybe_deferred_to_future(deferToThread(self._open_run, self.opening))
        except Exception as exc:
            # The crawl command checks the database before starting; under Scrapyd or
            # crawlall the crawl goes on without a run id and the record is written (or
            # kept) at the end.
            logger.error(
                "Could not open this run's record in %s: %s; crawling without a run id",
                redact_url(self.database_url),
                first_line(exc),
            )
            return
        self.run_id = run_id
        self.crawler.stats.set_value("run/id", run_id)
        logger.info("Run record %d opened in crawl_runs", run_id)

    def _open_run(self, opening: Record) -> int:
        self.engine = open_database(self.database_url)
        written = write_spilled_records(self.engine, self.spill_path)
        if written:
            logger.info(
                "Wrote %d run records an earlier run could not store (kept in %s)",
                written,
                self.spill_path,
            )
        with self.engine.begin() as connection:
            interrupted = close_abandoned_runs(connection, opening["host"])
            run_id = _new_id(connection.execute(insert(CrawlRun).values(**opening)))
        if interrupted:
            logger.warning(
                "Marked %d earlier run record(s) of this host interrupted: their process "
                "is gone (ids %s)",
                len(interrupted),
                ", ".join(map(str, interrupted)),
            )
        return run_id

    # -- closing ----------------------------------------------------------------------------
    async def spider_closed(self, spider: Spider, reason: str) -> None:
        """Complete the record after the pipelines have flushed (they close before this
        signal), then make the warnings available to the run summary."""
        try:
            await self._complete(reason)
        finally:
            self.closed.callback(None)

    async def _complete(self, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats())
        record = {**self.opening, **closing_record(stats, reason)}
        try:
            warnings = await maybe_deferred_to_future(
                deferToThread(self._close_run, record, figures_from_stats(stats))
            )
        except Exception as exc:
            await maybe_deferred_to_future(deferToThread(self._keep_record, record, exc))
            return
        if warnings:
            self.crawler.stats.set_value("monitor/warnings", warnings)
            for warning in warnings:
                logger.warning("Monitoring: %s", warning)
        logger.info("Run record %d completed in crawl_runs", self.run_id)

    def _close_run(self, record: Record, figures: RunFigures) -> list[str]:
        if self.engine is None:  # the open failed: try again now
            self.engine = open_database(self.database_url)
            write_spilled_records(self.engine, self.spill_path)
        history = previous_runs(self.engine, record["site"], self.run_id, self.history_runs)
        warnings = monitor_run(
            record["site"] or "-",
            figures,
            history,
            min_articles=self.min_articles,
            coverage_drop=self.coverage_drop,
        )
        record["warnings"] = warnings
        with self.engine.begin() as connection:
            if self.run_id is None:
                self.run_id = _new_id(connection.execute(insert(CrawlRun).values(**record)))
            else:
                connection.execute(
                    update(CrawlRun).where(CrawlRun.id == self.run_id).values(**record)
                )
        self.engine.dispose()
        return warnings

    def _keep_record(self, record: Record, error: BaseException) -> None:
        """The database is away: keep the record for the next run. Warnings need the history,
        so there are none this time (the log says why)."""
        if self.engine is not None:
            self.engine.dispose()
        try:
            spill_record(self.spill_path, {**record, "id": self.run_id, "warnings": []})
        except OSError as exc:
            logger.critical(
                "Could not store this run's record in %s (%s) nor keep it in %s (%s)",
                redact_url(self.database_url),
                first_line(error),
                self.spill_path,
                exc,
            )
            return
        logger.error(
            "Could not store this run's record in %s: %s; kept in %s, the next run against "
            "this database writes it first (no monitoring this time: it needs the history)",
            redact_url(self.database_url),
            first_line(error),
            self.spill_path,
        )

    async def wait_closed(self) -> None:
        """Returns once the record is complete (the run summary waits for the warnings)."""
        if not self.closed.called:
            waiting: Deferred[None] = Deferred()

            def release(result: object) -> object:
                waiting.callback(None)
                return result

            self.closed.addBoth(release)
            await maybe_deferred_to_future(waiting)
