"""Project commands (``scrapy crawl`` with checks, ``crawlall``, ``search``, ``export``)."""

from __future__ import annotations

import sys


def report_error(message: str) -> None:
    """The one ``error: …`` line a command prints before exiting non-zero: cron mails it."""
    print(f"error: {message}", file=sys.stderr, flush=True)
