"""Drop what is not an article, with the reason counted in the run summary."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import ArticleItem


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
        reason, detail = self.problem(item)
        if reason:
            count_drop(self.crawler, reason)
            raise DroppedArticle(reason, item.url, detail)
        return item

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
