"""Drop what is not an article, with the reason counted in the run summary.

It is also the first stage every extracted article passes, so it counts which fields the
extraction filled (``fields/present/<name>`` out of ``articles/extracted``) before anything is
dropped: the run record's field coverage, which monitoring compares across runs to notice a
site whose layout change broke one field's extraction.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import ArticleItem
from crawler.sites import ARTICLE_FIELDS


class DroppedArticle(DropItem):
    """A DropItem that carries a short machine-readable reason for the summary."""

    def __init__(self, reason: str, url: str | None, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"{reason}: {url or '<no url>'}{f' ({detail})' if detail else ''}")


def count_drop(crawler: Crawler, reason: str) -> None:
    crawler.stats.inc_value(f"articles/dropped/{reason}")
    crawler.stats.inc_value("articles/dropped")


class ValidatePipeline:
    """Items need a URL, a title and a body long enough to be an article."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.min_body_chars = crawler.settings.getint("MIN_BODY_CHARS")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> Any:
        self.count_fields(item)
        reason, detail = self.problem(item)
        if reason:
            count_drop(self.crawler, reason)
            raise DroppedArticle(reason, item.url, detail)
        return item

    def count_fields(self, item: ArticleItem) -> None:
        """Count the article and each field it has (not None, not blank, not an empty list)."""
        stats = self.crawler.stats
        stats.inc_value("articles/extracted")
        for name in ARTICLE_FIELDS:
            if field_present(getattr(item, name, None)):
                stats.inc_value(f"fields/present/{name}")

    def problem(self, item: ArticleItem) -> tuple[str | None, str]:
        if not item.url:
            return "missing_url", ""
        if not item.title:
            return "missing_title", ""
        if not item.body:
            return "missing_body", "no main text found: probably not an article page"
        length = len("".join(item.body.split()))
        if length < self.min_body_chars:
            return "not_article", f"main text has {length} characters"
        return None, ""


def field_present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | dict):
        return bool(value)
    return True
