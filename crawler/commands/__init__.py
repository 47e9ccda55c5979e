"""Project commands (``scrapy crawl`` with checks, ``crawlall``, ``search``, ``export``), and
Scrapy's page-inspection commands (``fetch``, ``shell``, ``view``, ``parse``, ``bench``)
made to leave the database alone."""

from __future__ import annotations

import sys

from scrapy.settings import SETTINGS_PRIORITIES, Settings


def report_error(message: str) -> None:
    """The one ``error: …`` line a command prints before exiting non-zero: cron mails it."""
    print(f"error: {message}", file=sys.stderr, flush=True)


def leave_database_alone(settings: Settings, *, keep_pipelines: bool = False) -> None:
    """Settings for a command that only looks at pages: no ``crawl_runs`` record, and (unless
    ``keep_pipelines``: ``scrapy parse --pipelines`` asks for them) no item pipelines, whose
    store would open the database, apply migrations and replay spill files. Values the user
    gave on the command line (``-s``) win."""
    overrides: dict[str, object] = {"RUN_RECORDS_ENABLED": False}
    if not keep_pipelines:
        overrides["ITEM_PIPELINES"] = {}
    for name, value in overrides.items():
        priority = settings.getpriority(name)
        if priority is None or priority < SETTINGS_PRIORITIES["cmdline"]:
            settings.set(name, value, priority="cmdline")
