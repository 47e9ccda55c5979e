"""Canonical URL and content hash: the two identities deduplication works on."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from scrapy.crawler import Crawler

from crawler.items import ArticleItem
from crawler.urls import InvalidURL, canonicalize_url
from pipelines.validate import DroppedArticle, count_drop

_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


def content_hash(body: str) -> str:
    """SHA-256 of the body with width, case, whitespace and punctuation folded away, so a copy
    re-wrapped with other spacing or full-width/half-width punctuation hashes the same."""
    folded = unicodedata.normalize("NFKC", body).casefold()
    return hashlib.sha256(_NOT_TEXT.sub("", folded).encode("utf-8")).hexdigest()


class NormalizePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.tracking_parameters = tuple(crawler.settings.getlist("TRACKING_PARAMETERS"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> Any:
        assert item.url and item.body  # ValidatePipeline guarantees both
        try:
            fetched = canonicalize_url(item.url, self.tracking_parameters)
        except InvalidURL as exc:
            count_drop(self.crawler, "invalid_url")
            raise DroppedArticle("invalid_url", item.url, str(exc)) from None
        declared = item.canonical_url
        try:
            item.canonical_url = (
                canonicalize_url(declared, self.tracking_parameters) if declared else fetched
            )
        except InvalidURL:
            item.canonical_url = fetched  # a broken rel=canonical must not lose the article
        item.content_hash = content_hash(item.body)
        return item
