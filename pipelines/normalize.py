"""Canonical URL and content hash: the two identities deduplication works on."""

from __future__ import annotations

import hashlib
from typing import Any

from scrapy.crawler import Crawler

from crawler.items import ArticleItem
from crawler.sites import load_sites
from crawler.urls import InvalidURL, UrlAlias, canonicalize_url, compile_url_aliases
from pipelines.validate import DroppedArticle, count_drop
from storage.similarity import fold


def content_hash(body: str) -> str:
    """SHA-256 of the body with width, case, whitespace and punctuation folded away, so a copy
    re-wrapped with other spacing or full-width/half-width punctuation hashes the same. The
    folding is the one near-duplicate fingerprints use, so the two identities agree."""
    return hashlib.sha256(fold(body).encode("utf-8")).hexdigest()


class NormalizePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.tracking_parameters = tuple(settings.getlist("TRACKING_PARAMETERS"))
        # Mirror-URL rules: URL_ALIASES apply to every article (after the site's own rules),
        # a configured site's ``url_aliases`` only to its articles.
        self.global_aliases = compile_url_aliases(settings.getlist("URL_ALIASES"))
        self.site_aliases: dict[str, tuple[UrlAlias, ...]] = {
            name: compile_url_aliases(getattr(site, "url_aliases", ())) + self.global_aliases
            for name, site in load_sites(settings.get("SITES_MODULE", "crawler.sites")).items()
        }

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> Any:
        assert item.url and item.body  # ValidatePipeline guarantees both
        aliases = self.site_aliases.get(item.site or "", self.global_aliases)
        try:
            fetched = canonicalize_url(item.url, self.tracking_parameters, aliases)
        except InvalidURL as exc:
            count_drop(self.crawler, "invalid_url")
            raise DroppedArticle("invalid_url", item.url, str(exc)) from None
        declared = item.canonical_url
        try:
            item.canonical_url = (
                canonicalize_url(declared, self.tracking_parameters, aliases)
                if declared
                else fetched
            )
        except InvalidURL:
            item.canonical_url = fetched  # a broken rel=canonical must not lose the article
        item.content_hash = content_hash(item.body)
        return item
