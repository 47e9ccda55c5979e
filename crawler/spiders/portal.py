"""The ``portal`` spider: listing pages -> pagination -> article pages.

It only navigates. Which links are articles and which is the next page come from the site's
selectors or, with no configuration, from ``crawler.listing``; turning an article page into an
item is ``crawler.loaders.build_article``, a function of the response.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from crawler.incremental import (
    FROM_LISTING_META,
    HTTP_NOT_MODIFIED,
    LISTING_CHAIN_META,
    LISTING_META,
    IncrementalState,
)
from crawler.items import ArticleItem
from crawler.listing import find_article_links, find_next_page, select_links
from crawler.loaders import build_article
from crawler.middlewares import RefusedRequest
from crawler.offload import extraction_pool
from crawler.sites import Site, UnknownSite, get_site

logger = logging.getLogger(__name__)

# Articles are fetched before further listing pages, so the frontier stays small.
ARTICLE_PRIORITY = 10


class SpiderArgumentError(ValueError):
    """A ``-a`` argument is missing or wrong; the message says which and why."""


def validate_start_url(value: str) -> str:
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise SpiderArgumentError(
            f"start_url {value!r} is not an http(s) URL (scheme {parts.scheme or 'missing'!r})"
        )
    if not parts.hostname:
        raise SpiderArgumentError(f"start_url {value!r} has no host name")
    return url


def parse_max_pages(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        pages = int(value)
    except (TypeError, ValueError):
        raise SpiderArgumentError(f"max_pages {value!r} is not a whole number") from None
    if pages < 1:
        raise SpiderArgumentError(f"max_pages {value!r} must be 1 or more")
    return pages


class PortalSpider(scrapy.Spider):
    name = "portal"

    def __init__(
        self,
        start_url: str | None = None,
        site: str | None = None,
        max_pages: str | int | None = None,
        full: str | bool | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if bool(start_url) == bool(site):
            raise SpiderArgumentError("give exactly one of -a start_url=URL or -a site=NAME")
        self.site_rules: Site | None = None
        if site:
            try:
                self.site_rules = get_site(site)
            except UnknownSite as exc:
                raise SpiderArgumentError(str(exc)) from None
            self.site_name = site
            self.start_urls = list(self.site_rules.start_urls)
        else:
            url = validate_start_url(str(start_url))
            self.site_name = urlsplit(url).hostname or url
            self.start_urls = [url]
        self.max_pages = parse_max_pages(max_pages)
        if self.max_pages is None and self.site_rules is not None:
            self.max_pages = self.site_rules.max_pages
        # -a full=1: fetch every listing page and article as if nothing were stored yet
        self.full_crawl = _parse_flag("full", full)
        self.incremental: IncrementalState | None = None

    async def start(self) -> AsyncIterator[Request]:
        self.incremental = IncrementalState.for_spider(
            self.crawler, self.site_name, self.site_rules, full=self.full_crawl
        )
        for url in await self.incremental.open():  # stored articles inside the re-check window
            yield Request(
                url,
                callback=self.parse_article,
                errback=self.page_failed,
                priority=ARTICLE_PRIORITY,
            )
        for chain, url in enumerate(self.start_urls):
            yield Request(
                url,
                callback=self.parse_listing,
                errback=self.page_failed,
                cb_kwargs={"page_number": 1},
                meta={LISTING_META: True, LISTING_CHAIN_META: chain},
            )

    async def parse_listing(
        self, response: Response, page_number: int = 1
    ) -> AsyncIterator[Request]:
        stats = self.crawler.stats
        chain = int(response.meta.get(LISTING_CHAIN_META, 0))
        if response.status == HTTP_NOT_MODIFIED:
            # unchanged since the last complete run: its articles are stored, and so are
            # those of the pages after it
            stats.inc_value("pages/listing_not_modified")
            if self.incremental is not None:
                self.incremental.listing_not_modified(response.url, chain, page_number)
            logger.info("Listing %s not modified; pagination stops here", response.url)
            return
        if not isinstance(response, TextResponse):
            stats.inc_value("pages/skipped/not_html")
            logger.warning("Listing %s is not HTML (%s); skipped", response.url, _type(response))
            return
        stats.inc_value("pages/listing")
        page = response.selector
        rules = self.site_rules
        if rules is not None and rules.article_links:
            links = select_links(page, response.url, rules.article_links)
        else:
            links = find_article_links(page, response.url)
        stats.inc_value("listing/article_links", len(links))
        if not links:
            stats.inc_value("pages/listing_without_articles")
            logger.warning("No article links found on listing %s", response.url)
        to_fetch, stop_paging = await _triage_links(self, response, chain, page_number, links)
        for link in to_fetch:
            yield Request(
                link,
                callback=self.parse_article,
                errback=self.page_failed,
                priority=ARTICLE_PRIORITY,
                meta={FROM_LISTING_META: response.url},
            )
        if stop_paging:
            return
        if self.max_pages is not None and page_number >= self.max_pages:
            return
        if rules is not None and rules.next_page:
            candidates = select_links(page, response.url, rules.next_page)
            next_url = candidates[0] if candidates else None
        else:
            next_url = find_next_page(page, response.url)
        if next_url and next_url != response.url:
            yield Request(
                next_url,
                callback=self.parse_listing,
                errback=self.page_failed,
                cb_kwargs={"page_number": page_number + 1},
                meta={LISTING_META: True, LISTING_CHAIN_META: chain},
            )

    async def parse_article(self, response: Response) -> AsyncIterator[ArticleItem]:
        stats = self.crawler.stats
        if not isinstance(response, TextResponse) or "html" not in _type(response):
            stats.inc_value("pages/skipped/not_html")
            logger.info("Skipped %s: not an HTML page (%s)", response.url, _type(response))
            return
        if not response.body.strip():
            stats.inc_value("pages/skipped/empty")
            logger.info("Skipped %s: empty response body", response.url)
            return
        stats.inc_value("pages/article")
        try:
            pool = extraction_pool(self.crawler)
            if pool is None:
                item = build_article(response, self.site_rules, site_name=self.site_name)
            else:
                item = await pool.build_article(response, self.site_rules, self.site_name)
        except Exception as exc:  # a bad page must never stop the crawl
            stats.inc_value("pages/extraction_errors")
            logger.error(
                "Could not extract %s: %s: %s",
                response.url,
                type(exc).__name__,
                exc,
                exc_info=True,
            )
            return
        yield item

    def page_failed(self, failure: Failure) -> None:
        """Count and log a listing or article page that could not be fetched."""
        if isinstance(failure.value, RefusedRequest) or _forbidden_by_robots_txt(failure):
            return  # not a failure: counted as skipped by the SSRF guard or RobotsTxtMiddleware
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        self.crawler.stats.inc_value("pages/failed")
        logger.warning("Could not fetch %s: %s", url, failure.getErrorMessage())


def _forbidden_by_robots_txt(failure: Failure) -> bool:
    # RobotsTxtMiddleware raises a plain IgnoreRequest with this fixed message.
    return (
        isinstance(failure.value, IgnoreRequest) and str(failure.value) == "Forbidden by robots.txt"
    )


def _type(response: Response) -> str:
    content_type = response.headers.get(b"Content-Type") or b""
    declared = content_type.decode("latin-1").split(";")[0].strip().lower()
    if declared:
        return declared
    return "text/html" if isinstance(response, scrapy.http.HtmlResponse) else "unknown"


def _parse_flag(name: str, value: Any) -> bool:
    """A yes/no ``-a`` argument: 1/true/yes/on or 0/false/no/off (empty: no)."""
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise SpiderArgumentError(f"{name} {value!r} is not a yes/no value (use 1 or 0)")


async def _triage_links(
    spider: PortalSpider, response: Response, chain: int, page_number: int, links: list[str]
) -> tuple[list[str], bool]:
    """The article links worth fetching, and whether the pagination stops at this page."""
    if spider.incremental is None:
        return links, False
    verdict = await spider.incremental.triage(response, chain, page_number, links)
    stats = spider.crawler.stats
    if verdict.known:
        stats.inc_value("listing/known_links_skipped", len(links) - len(verdict.to_fetch))
    if verdict.stop_paging:
        stats.inc_value("pages/listing_stopped_known")
        logger.info("Pagination stops at %s: %s", response.url, verdict.reason)
    return verdict.to_fetch, verdict.stop_paging
