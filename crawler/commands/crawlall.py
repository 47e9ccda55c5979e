"""``scrapy crawlall``: every configured site in one process, under one lock, with one summary.

Why one process: a daily cron job should be one command with one exit status and one summary
to read, not N crontab lines that drift apart. Why a lock: when a slow run is still going at
the next cron tick, a second run would fetch every page again and race the first one's writes;
it exits at once instead (exit status 75, EX_TEMPFAIL: "try again later").

Exit status: 0 when every site finished and stored everything it extracted; 1 when the run
could not start (unreachable database, unknown ``--sites`` name) or any site failed; 3 when
none failed but monitoring warned about a site and ``MONITOR_FAIL_ON_WARNING`` is on; 75 when
another ``crawlall`` holds the lock.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from scrapy.commands import ScrapyCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.commands import report_error
from crawler.extensions import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_WARNING,
    error_count,
    exit_status,
    failure_reasons,
    format_summary,
)
from crawler.sites import Site, load_sites
from crawler.spiders.portal import PortalSpider, SpiderArgumentError
from settings.base import PROJECT_ROOT
from storage.database import (
    DatabaseUnavailable,
    open_database,
    redact_url,
    resolve_database_url,
)

logger = logging.getLogger(__name__)

# sysexits.h EX_TEMPFAIL: cron wrappers and systemd can tell "busy, retry later" from "failed".
EXIT_LOCKED = 75
DEFAULT_LOCK_PATH = str(PROJECT_ROOT / "data" / "crawlall.lock")


class LockHeld(RuntimeError):
    """Another ``crawlall`` run holds the lock file."""


@contextmanager
def exclusive_lock(path: Path) -> Iterator[IO[str]]:
    """Hold an ``flock`` on ``path`` for the duration of the block.

    ``flock`` rather than a PID file: the kernel drops the lock when the holder exits, even on
    SIGKILL or a crash, so a stale lock can never block tomorrow's run.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise LockHeld(
                f"another crawlall run holds {path} (pid {holder}); not starting"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield handle
    finally:
        handle.close()  # closing the descriptor releases the lock


class ConfiguredSiteSpider(PortalSpider):
    """The ``portal`` spider for a ``Site`` taken from ``SITES_MODULE``.

    ``PortalSpider`` looks ``-a site=NAME`` up in ``crawler.sites`` only; crawlall honours the
    ``SITES_MODULE`` setting, so it hands the spider the already loaded ``Site`` instead. The
    spider keeps the name ``portal`` so summaries, stats and logs read the same as for
    ``scrapy crawl portal -a site=NAME``.
    """

    def __init__(self, *, site_rules: Site, **kwargs: Any) -> None:
        # start_url only satisfies the argument check; everything below replaces its effect.
        super().__init__(start_url=site_rules.start_urls[0], **kwargs)
        self.site_rules = site_rules
        self.site_name = site_rules.name
        self.start_urls = list(site_rules.start_urls)
        if self.max_pages is None:
            self.max_pages = site_rules.max_pages


@dataclass
class SiteRun:
    """One site's crawler and, once it ended, why it failed (if it did)."""

    site: Site
    crawler: Crawler | None = None
    startup_errors: list[BaseException] = field(default_factory=list)

    @property
    def stats(self) -> dict[str, Any]:
        if self.crawler is None:
            return {}
        try:
            collector = self.crawler.stats
        except RuntimeError:  # Scrapy sets it when the crawl starts; a failed start has none
            return {}
        return dict(collector.get_stats()) if collector is not None else {}

    def problems(self) -> list[str]:
        if self.startup_errors:
            error = self.startup_errors[0]
            if isinstance(error, SpiderArgumentError | DatabaseUnavailable):
                return [f"could not start: {error}"]
            return [f"could not start: {type(error).__name__}: {error}"]
        if self.crawler is None:
            return ["not started"]
        return failure_reasons(self.stats)

    def status(self) -> int:
        if self.startup_errors or self.crawler is None:
            return EXIT_FAILED
        return exit_status(
            self.stats, fail_on_warning=self.crawler.settings.getbool("MONITOR_FAIL_ON_WARNING")
        )


def select_sites(configured: dict[str, Site], requested: str | None) -> list[Site]:
    """The sites named by ``--sites a,b`` (in that order), else every configured site."""
    if not requested:
        return [configured[name] for name in sorted(configured)]
    names = [name.strip() for name in requested.split(",") if name.strip()]
    unknown = [name for name in names if name not in configured]
    if unknown:
        known = ", ".join(sorted(configured)) or "none"
        raise UsageError(
            f"unknown site(s) {', '.join(unknown)}; configured sites: {known}", print_help=False
        )
    return [configured[name] for name in dict.fromkeys(names)]


def format_run_summary(runs: list[SiteRun], *, database: str) -> str:
    """Every site's one-screen summary, then one line per site and the overall result."""
    blocks = []
    for run in runs:
        if run.crawler is not None and not run.startup_errors:
            blocks.append(
                format_summary(run.stats, spider="portal", site=run.site.name, database=database)
            )
    failed = [run for run in runs if run.status() == EXIT_FAILED]
    lines = [f"crawlall summary: {len(runs)} site(s), {len(failed)} failed"]
    for run in runs:
        stats = run.stats
        problems = run.problems()
        lines.append(
            f"  {run.site.name:<20} stored {stats.get('articles/stored', 0)},"
            f" updated {stats.get('articles/updated', 0)},"
            f" duplicates {stats.get('articles/duplicates', 0)},"
            f" dropped {sum(v for k, v in stats.items() if k.startswith('articles/dropped/'))},"
            f" errors {error_count(stats)}"
            f" -> {'FAILED: ' + '; '.join(problems) if problems else 'ok'}"
            + (f", {len(warned)} warning(s)" if (warned := stats.get("monitor/warnings")) else "")
        )
    lines.append(f"  result               {'FAILED' if failed else 'ok'}")
    return "\n\n".join([*blocks, "\n".join(lines)])


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Crawl every configured site in one run, under a lock, with one summary"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--sites",
            metavar="NAME,NAME",
            help="crawl only these configured sites (comma-separated)",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            metavar="N",
            help="sites crawled at the same time (setting CRAWLALL_CONCURRENT_SITES, default 1)",
        )
        parser.add_argument(
            "-a",
            dest="spargs",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="spider argument for every site, e.g. -a max_pages=3",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        spargs: dict[str, str] = {}
        for argument in opts.spargs:
            name, sep, value = argument.partition("=")
            if not sep or name in ("site", "start_url"):
                raise UsageError(
                    f"invalid -a value {argument!r}: use NAME=VALUE (not site or start_url)",
                    print_help=False,
                )
            spargs[name] = value
        opts.spargs = spargs

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("crawlall takes no positional arguments; use --sites a,b")
        assert self.settings is not None
        lock_path = Path(self.settings.get("CRAWLALL_LOCK_PATH") or DEFAULT_LOCK_PATH)
        try:
            with exclusive_lock(lock_path):
                self.exitcode = self._crawl_all(opts)
        except LockHeld as exc:
            report_error(str(exc))
            self.exitcode = EXIT_LOCKED

    def _crawl_all(self, opts: argparse.Namespace) -> int:
        assert self.settings is not None and self.crawler_process is not None
        sites_module = self.settings.get("SITES_MODULE", "crawler.sites")
        try:
            sites = select_sites(load_sites(sites_module), opts.sites)
        except UsageError as exc:
            report_error(str(exc))
            return EXIT_FAILED
        except (ImportError, ValueError) as exc:
            report_error(f"cannot load sites from {sites_module}: {exc}")
            return EXIT_FAILED
        if not sites:
            report_error(f"no sites configured in {sites_module}")
            return EXIT_FAILED
        concurrency = opts.concurrency or self.settings.getint("CRAWLALL_CONCURRENT_SITES", 1)
        if concurrency < 1:
            report_error(f"--concurrency {concurrency} must be 1 or more")
            return EXIT_FAILED
        try:
            url = resolve_database_url(self.settings.get("DATABASE_URL"))
            open_database(url).dispose()
        except DatabaseUnavailable as exc:
            report_error(str(exc))
            return EXIT_FAILED

        runs = [SiteRun(site) for site in sites]
        waiting = list(runs)

        def start_next() -> None:
            if waiting:
                self._start(waiting.pop(0), opts.spargs, start_next)

        # Each finished crawl starts the next one, so at most `concurrency` run at a time.
        for _ in range(min(concurrency, len(waiting))):
            start_next()
        self.crawler_process.start()

        # Logged like RunSummary's, so it lands in --logfile / the journal next to the crawl.
        logger.info("%s", format_run_summary(runs, database=redact_url(url)))
        statuses = {run.status() for run in runs}
        if EXIT_FAILED in statuses:
            return EXIT_FAILED
        return EXIT_WARNING if EXIT_WARNING in statuses else EXIT_OK

    def _start(self, run: SiteRun, spargs: dict[str, str], then: Any) -> None:
        """Start one site's crawl; ``then`` runs when it has ended, however it ended."""
        assert self.crawler_process is not None
        try:
            run.crawler = self.crawler_process.create_crawler(ConfiguredSiteSpider)
            running = self.crawler_process.crawl(run.crawler, site_rules=run.site, **spargs)
        except Exception as exc:  # one site's bad setup must not stop the others
            run.startup_errors.append(exc)
            then()
            return

        def record_failure(failure: Failure) -> None:
            run.startup_errors.append(failure.value or Exception(failure.getErrorMessage()))
            then()

        def record_task(finished: asyncio.Task[None]) -> None:
            if not finished.cancelled() and finished.exception() is not None:
                run.startup_errors.append(cast(BaseException, finished.exception()))
            then()

        # A Deferred with the Twisted crawler process, an asyncio Task with the asyncio one.
        if isinstance(running, Deferred):
            running.addCallbacks(lambda _: then(), record_failure)
        else:
            cast("asyncio.Task[None]", running).add_done_callback(record_task)
