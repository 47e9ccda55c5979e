"""``scrapy crawl`` with a database check first and an exit status cron can act on.

Exit status: 0 when the run finished and stored everything it extracted; 1 when it could not
start (unreachable database, bad arguments) or ended badly (storage failure, Redis gone,
shutdown); 3 when it finished but monitoring warned and ``MONITOR_FAIL_ON_WARNING`` is on.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import cast

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.commands import report_error
from crawler.extensions import EXIT_FAILED, exit_status
from crawler.scaleout import SharedFrontierUnavailable, check_shared_frontier
from crawler.spiders.portal import SpiderArgumentError
from storage.database import DatabaseUnavailable, open_database, resolve_database_url


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider name, e.g. scrapy crawl portal -a start_url=URL")
        assert self.settings is not None and self.crawler_process is not None
        try:
            open_database(resolve_database_url(self.settings.get("DATABASE_URL"))).dispose()
            check_shared_frontier(self.settings)
        except (DatabaseUnavailable, SharedFrontierUnavailable) as exc:
            report_error(str(exc))
            self.exitcode = EXIT_FAILED
            return
        crawler = self._create_crawler(args[0])
        startup_errors: list[BaseException] = []

        def record_failure(failure: Failure) -> None:
            startup_errors.append(failure.value or Exception(failure.getErrorMessage()))

        def record_task(finished: asyncio.Task[None]) -> None:
            if not finished.cancelled() and finished.exception() is not None:
                startup_errors.append(cast(BaseException, finished.exception()))

        # A Deferred with the Twisted crawler process, an asyncio Task with the asyncio one.
        running = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(running, Deferred):
            running.addErrback(record_failure)
        else:
            cast("asyncio.Task[None]", running).add_done_callback(record_task)
        self.crawler_process.start()
        if startup_errors:
            error = startup_errors[0]
            if isinstance(
                error, SpiderArgumentError | DatabaseUnavailable | SharedFrontierUnavailable
            ):
                report_error(str(error))
            else:
                report_error(f"the crawl could not start: {type(error).__name__}: {error}")
            self.exitcode = EXIT_FAILED
            return
        if crawler.stats is None:
            self.exitcode = EXIT_FAILED
            return
        self.exitcode = exit_status(
            crawler.stats.get_stats(),
            fail_on_warning=self.settings.getbool("MONITOR_FAIL_ON_WARNING"),
        )
