"""Drop repeats of a canonical URL within the running crawl.

Listing pages often link one article twice (the main list and a 'top story' slot, or two
overlapping pages). Copies of stored articles and same-body copies under other URLs are
resolved by the store, inside its transaction, where a concurrent crawl cannot race it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from scrapy.crawler import Crawler

from crawler.items import ArticleItem
from pipelines.validate import DroppedArticle


class DeduplicatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        # 16-byte digests keep memory flat on long crawls (a URL string is often 100+ bytes).
        self.seen: set[bytes] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeduplicatePipeline:
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> Any:
        assert item.canonical_url
        key = hashlib.blake2b(item.canonical_url.encode("utf-8"), digest_size=16).digest()
        if key in self.seen:
            # Counted with the duplicates, not the drops: the story itself is stored once.
            self.crawler.stats.inc_value("articles/duplicates")
            raise DroppedArticle("duplicate", item.url, f"same canonical URL {item.canonical_url}")
        self.seen.add(key)
        return item
