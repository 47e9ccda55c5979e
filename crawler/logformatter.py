"""Dropped items are expected (listing-like pages, repeats): one INFO line, not the item dump."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


class QuietDropLogFormatter(LogFormatter):
    def dropped(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> LogFormatterResult:
        return {"level": logging.INFO, "msg": "Dropped %(reason)s", "args": {"reason": exception}}
