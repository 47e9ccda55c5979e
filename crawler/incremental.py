"""Incremental crawling: a re-crawl fetches what is new, not the whole portal again.

Three savings, each safe against losing articles:

* Stored article URLs are not fetched again (one indexed ``canonical_url IN (...)`` query per
  listing page, canonicalized exactly as ``pipelines.normalize`` stores them), except those a
  re-check window asks for, which are scheduled at the start straight from the database.
* Listing pages are fetched with ``If-None-Match`` / ``If-Modified-Since``; a ``304 Not
  Modified`` costs no parsing and ends that pagination: nothing on it changed.
* The pagination stops at a listing page whose links are all stored articles that were
  already stored when a previous, complete run last checked that page (or whose list of links
  is unchanged, for servers that send no validators).

Why "complete": a run that dies, or whose article requests fail, must not make the next run
skip what it never stored. Validators are therefore saved only at the end of a run that
finished with everything stored and no extraction errors, and never for a listing page from
which an article (or a later listing page of the same pagination) could not be fetched: the
next run finds such a page changed and walks past it again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from twisted.internet.threads import deferToThread

from crawler.sites import Site
from crawler.urls import InvalidURL, canonicalize_url
from pipelines.normalize import NormalizePipeline
from storage.database import (
    DatabaseUnavailable,
    first_line,
    open_database,
    redact_url,
    resolve_database_url,
)
from storage.models import Article, ListingPage

logger = logging.getLogger(__name__)

# request.meta keys. The spider marks listing requests (LISTING_META, and which start URL's
# pagination they belong to) and article requests (the listing page that linked them).
LISTING_META = "listing"
LISTING_CHAIN_META = "listing_chain"
FROM_LISTING_META = "from_listing"
HTTP_NOT_MODIFIED = 304
CONDITIONAL_HEADERS = ("If-None-Match", "If-Modified-Since")
# Query parameters per IN (...) query: far below every backend's limit.
QUERY_CHUNK = 500


class IncrementalSettingError(ValueError):
    """An incremental-crawling setting has a wrong value; the message names it."""


@dataclass(frozen=True)
class IncrementalConfig:
    """What a run does incrementally: the settings, overridden by the site, and ``-a full``."""

    enabled: bool
    stop_at_known_listing: bool
    recheck_window: timedelta | None

    @property
    def conditional_listings(self) -> bool:
        """A 304 has no body and so no next-page link: only ask for one when the pagination
        would stop at an unchanged page anyway."""
        return self.enabled and self.stop_at_known_listing

    @classmethod
    def from_settings(
        cls, settings: BaseSettings, site: Site | None, *, full: bool = False
    ) -> IncrementalConfig:
        hours = recheck_window_hours(settings)
        stop = settings.getbool("STOP_AT_KNOWN_LISTING")
        if site is not None:
            if site.recheck_window_hours is not None:
                hours = site.recheck_window_hours
            if site.stop_at_known_listing is not None:
                stop = site.stop_at_known_listing
        return cls(
            enabled=settings.getbool("INCREMENTAL_ENABLED") and not full,
            stop_at_known_listing=stop,
            recheck_window=timedelta(hours=hours) if hours else None,
        )


def recheck_window_hours(settings: BaseSettings) -> float:
    value = settings.get("RECHECK_WINDOW_HOURS")
    try:
        hours = float(value or 0)
    except (TypeError, ValueError):
        raise IncrementalSettingError(
            f"setting RECHECK_WINDOW_HOURS {value!r} is not a number of hours"
        ) from None
    if not hours >= 0:
        raise IncrementalSettingError(f"setting RECHECK_WINDOW_HOURS {value!r} must be 0 or more")
    return hours


def links_hash(links: Iterable[str]) -> str:
    """SHA-256 of the sorted article links: an unchanged list of links for servers that send
    neither ETag nor Last-Modified."""
    return hashlib.sha256("\n".join(sorted(set(links))).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ListingVerdict:
    """What to do with one listing page's article links."""

    to_fetch: list[str]
    stop_paging: bool
    known: int = 0
    reason: str = ""


@dataclass
class _Validators:
    etag: str | None
    last_modified: str | None
    links_hash: str | None
    checked_at: datetime | None


@dataclass
class _ListingVisit:
    """A listing page fetched in this run, saved at the end when that is safe."""

    chain: int
    page_number: int
    validators: _Validators


@dataclass
class IncrementalState:
    """One crawl's incremental bookkeeping; the spider owns it, the middleware reads it.

    Every database call runs in a thread (``deferToThread``); the reactor only awaits it.
    """

    crawler: Crawler
    site_name: str
    config: IncrementalConfig
    canonicalize: Callable[[str], str | None]
    engine: Engine | None = None
    stored_validators: dict[str, _Validators] = field(default_factory=dict)
    visits: dict[str, _ListingVisit] = field(default_factory=dict)
    # per pagination chain: the highest page number from which something failed this run
    broken_through: dict[int, int] = field(default_factory=dict)

    @classmethod
    def for_spider(
        cls, crawler: Crawler, site_name: str, site: Site | None, *, full: bool
    ) -> IncrementalState:
        config = IncrementalConfig.from_settings(crawler.settings, site, full=full)
        return cls(crawler, site_name, config, article_canonicalizer(crawler, site_name))

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    async def open(self) -> list[str]:
        """Load this site's listing validators; the stored article URLs to re-check.

        A database that cannot be opened turns the run into a full crawl (the store pipeline
        reports the database itself); it never stops the crawl from here.
        """
        self.crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)
        url = resolve_database_url(self.crawler.settings.get("DATABASE_URL"))
        try:
            self.engine = await maybe_deferred_to_future(deferToThread(open_database, url))
            validators, recheck = await maybe_deferred_to_future(deferToThread(self._load))
        except (DatabaseUnavailable, SQLAlchemyError) as exc:
            if self.engine is not None:
                self.engine.dispose()
                self.engine = None  # nothing to save at the end either
            logger.warning(
                "Incremental crawling off for this run: cannot read %s: %s",
                redact_url(url),
                exc,
            )
            self.config = IncrementalConfig(False, False, None)
            return []
        self.stored_validators = validators
        if recheck:
            self.stats.set_value("articles/recheck_scheduled", len(recheck))
            logger.info(
                "Re-checking %d stored articles of %s inside the %s re-check window",
                len(recheck),
                self.site_name,
                self.config.recheck_window,
            )
        return recheck

    def _load(self) -> tuple[dict[str, _Validators], list[str]]:
        assert self.engine is not None
        with Session(self.engine) as session:
            validators = {
                page.url: _Validators(
                    page.etag, page.last_modified, page.links_hash, page.checked_at
                )
                for page in session.scalars(
                    select(ListingPage).where(ListingPage.site == self.site_name)
                )
            }
            recheck: list[str] = []
            if self.config.enabled and self.config.recheck_window:
                cutoff = datetime.now(UTC) - self.config.recheck_window
                recheck = list(
                    session.scalars(
                        select(Article.url).where(
                            Article.site == self.site_name,
                            or_(
                                Article.published_at >= cutoff,
                                and_(
                                    Article.published_at.is_(None),
                                    Article.first_seen_at >= cutoff,
                                ),
                            ),
                        )
                    )
                )
        return validators, recheck

    # --- listing pages ------------------------------------------------------------------------

    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since from the last complete check of ``url``."""
        if not self.config.conditional_listings:
            return {}
        validators = self.stored_validators.get(url)
        headers: dict[str, str] = {}
        if validators is not None and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators is not None and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        return headers

    def listing_not_modified(self, url: str, chain: int, page_number: int) -> None:
        """A 304: the page is as it was at its last complete check."""
        previous = self.stored_validators.get(url)
        if previous is None:  # a 304 we did not ask for: treat as changed, save nothing
            return
        kept = _Validators(previous.etag, previous.last_modified, previous.links_hash, None)
        self.visits[url] = _ListingVisit(chain, page_number, kept)

    async def triage(
        self,
        response: Response,
        chain: int,
        page_number: int,
        links: Sequence[str],
    ) -> ListingVerdict:
        """Which of a listing page's article links to fetch, and whether to page on."""
        url = response.url
        page_links_hash = links_hash(links)
        self.visits[url] = _ListingVisit(
            chain,
            page_number,
            _Validators(
                _header(response, b"ETag"),
                _header(response, b"Last-Modified"),
                page_links_hash,
                None,
            ),
        )
        if not self.config.enabled or not links:
            return ListingVerdict(list(links), stop_paging=False)
        previous = self.stored_validators.get(url)
        if (
            self.config.stop_at_known_listing
            and previous is not None
            and previous.links_hash == page_links_hash
        ):
            # the same links as at the last complete check: all handled back then (stored,
            # or dropped for a reason re-fetching would not change)
            return ListingVerdict([], True, len(links), "its article links are unchanged")
        try:
            first_seen = await maybe_deferred_to_future(deferToThread(self._first_seen, links))
        except SQLAlchemyError as exc:
            # the database is away (the store waits for it): fetch everything, lose nothing
            self.stats.inc_value("listing/lookup_failed")
            logger.warning(
                "Could not look up the stored articles of listing %s (fetching all of its %d "
                "links): %s",
                url,
                len(links),
                first_line(exc),
            )
            return ListingVerdict(list(links), stop_paging=False)
        to_fetch = [link for link in links if link not in first_seen]
        known = len(links) - len(to_fetch)
        stop = (
            self.config.stop_at_known_listing
            and not to_fetch
            and previous is not None
            and previous.checked_at is not None
            # stored before that check: a run that died after storing them did not get to
            # walk the pages after this one, so those must be walked now
            and max(first_seen.values()) <= previous.checked_at
        )
        reason = "all its articles were stored before its last complete check" if stop else ""
        return ListingVerdict(to_fetch, stop, known, reason)

    def _first_seen(self, links: Sequence[str]) -> dict[str, datetime]:
        """first_seen_at of the stored articles among ``links``, by link.

        By canonical URL (unique index), canonicalized as the store does; the links left are
        then looked up by the URL they were fetched from, within this site: an article whose
        ``<link rel=canonical>`` names another URL (another host, https) is stored under that
        one, and would otherwise be fetched again on every run.
        """
        assert self.engine is not None
        canonical = {link: self.canonicalize(link) for link in links}
        by_canonical: dict[str, datetime] = {}
        by_url: dict[str, datetime] = {}
        with self.engine.connect() as connection:
            for chunk in _chunks(sorted({c for c in canonical.values() if c})):
                statement = select(Article.canonical_url, Article.first_seen_at).where(
                    Article.canonical_url.in_(chunk)
                )
                by_canonical.update((url, seen) for url, seen in connection.execute(statement))
            unresolved = sorted({link for link in links if canonical[link] not in by_canonical})
            for chunk in _chunks(unresolved):
                statement = select(Article.url, Article.first_seen_at).where(
                    Article.site == self.site_name, Article.url.in_(chunk)
                )
                by_url.update((url, seen) for url, seen in connection.execute(statement))
        found: dict[str, datetime] = {}
        for link in links:
            seen = by_canonical.get(canonical[link] or "") or by_url.get(link)
            if seen is not None:
                found[link] = seen
        return found

    # --- failures -----------------------------------------------------------------------------

    def listing_failed(self, chain: int, page_number: int) -> None:
        """This listing page could not be fetched: the pages before it must not be saved,
        or the next run would stop before reaching it."""
        self.broken_through[chain] = max(self.broken_through.get(chain, 0), page_number)

    def article_failed(self, listing_url: str) -> None:
        visit = self.visits.get(listing_url)
        if visit is not None:
            self.listing_failed(visit.chain, visit.page_number)

    # --- saving -------------------------------------------------------------------------------

    async def _spider_closed(self, spider: Spider, reason: str) -> None:
        """Save validators at the end of a complete run (Scrapy waits for this)."""
        if self.engine is None:
            return
        try:
            unsafe = self.unsafe_to_save(reason)
            if unsafe:
                logger.info("Listing validators not saved: %s", unsafe)
                self.stats.set_value("listing/validators_not_saved", unsafe)
                return
            pages = self.pages_to_save()
            await maybe_deferred_to_future(deferToThread(self._save, pages))
            self.stats.set_value("listing/validators_saved", len(pages))
        except SQLAlchemyError as exc:
            # costs the next run some pages, loses nothing: it just finds no validators
            logger.warning("Could not save listing validators: %s", exc)
        finally:
            self.engine.dispose()

    def unsafe_to_save(self, reason: str) -> str:
        """Why this run's validators must not be saved (empty when they may)."""
        stats = self.stats.get_stats()
        if reason != "finished":
            return f"the run ended with {reason!r}"
        if stats.get("storage/unsaved") or stats.get("storage/failed"):
            return "not every article was stored"
        if stats.get("pages/extraction_errors") or any(
            key.startswith("spider_exceptions/") for key in stats
        ):
            return "pages failed to parse"
        if shared_frontier(self.crawler.settings):
            return "a shared frontier spreads a listing's articles over other workers"
        return ""

    def pages_to_save(self) -> dict[str, _Validators]:
        return {
            url: visit.validators
            for url, visit in self.visits.items()
            if visit.page_number > self.broken_through.get(visit.chain, 0)
        }

    def _save(self, pages: Mapping[str, _Validators]) -> None:
        assert self.engine is not None
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            for url, validators in pages.items():
                session.merge(
                    ListingPage(
                        url=url,
                        site=self.site_name,
                        etag=_clip(validators.etag, 512),
                        last_modified=_clip(validators.last_modified, 64),
                        links_hash=validators.links_hash,
                        checked_at=now,
                    )
                )


def article_canonicalizer(crawler: Crawler, site_name: str) -> Callable[[str], str | None]:
    """``url -> canonical URL`` exactly as ``NormalizePipeline`` stores ``canonical_url``
    (its tracking parameters and alias rules), or None for a URL it would drop."""
    normalizer = NormalizePipeline(crawler)
    aliases = normalizer.site_aliases.get(site_name, normalizer.global_aliases)
    tracking = normalizer.tracking_parameters

    def canonical(url: str) -> str | None:
        try:
            return canonicalize_url(url, tracking, aliases)
        except InvalidURL:
            return None

    return canonical


def shared_frontier(settings: BaseSettings) -> bool:
    """Scale-out workers share one frontier: a listing's articles may fail on another
    worker, which this one would never hear of."""
    scheduler = settings.get("SCHEDULER")
    if not scheduler or scheduler == "scrapy.core.scheduler.Scheduler":
        return False
    from crawler.scaleout import SharedFrontierScheduler

    try:
        return issubclass(load_object(scheduler), SharedFrontierScheduler)
    except (ImportError, TypeError, ValueError, NameError):
        return False


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), QUERY_CHUNK):
        yield values[start : start + QUERY_CHUNK]


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    if not value:
        return None
    return value.decode("latin-1").strip() or None


def _clip(value: str | None, length: int) -> str | None:
    # An over-long validator is useless rather than an error: drop it, keep the row.
    return value if value is None or len(value) <= length else None


class IncrementalListingMiddleware:
    """Conditional listing requests, and the failures that make a listing unsafe to save.

    At 540, before RetryMiddleware (550) on the way out and after it on the way back, so it
    sees a request's final outcome, not the attempts a retry recovered from.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        recheck_window_hours(crawler.settings)  # a wrong value stops the run at start

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalListingMiddleware:
        return cls(crawler)

    def _state(self) -> IncrementalState | None:
        state = getattr(self.crawler.spider, "incremental", None)
        return state if isinstance(state, IncrementalState) else None

    def process_request(self, request: Request) -> None:
        state = self._state()
        if state is None or not request.meta.get(LISTING_META):
            return
        # a redirected request carries the validators of the URL it was redirected from
        for name in CONDITIONAL_HEADERS:
            request.headers.pop(name, None)
        headers = state.conditional_headers(request.url)
        if not headers:
            return
        for name, value in headers.items():
            request.headers[name] = value
        # let the 304 through HttpErrorMiddleware to the spider, which stops there
        allowed = list(request.meta.get("handle_httpstatus_list", ()))
        if HTTP_NOT_MODIFIED not in allowed:
            request.meta["handle_httpstatus_list"] = [*allowed, HTTP_NOT_MODIFIED]

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status >= 400:
            self._failed(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        # IgnoreRequest covers what is skipped on purpose: robots.txt, the SSRF guard
        if not isinstance(exception, IgnoreRequest):
            self._failed(request)

    def _failed(self, request: Request) -> None:
        state = self._state()
        if state is None:
            return
        if request.meta.get(LISTING_META):
            state.listing_failed(
                int(request.meta.get(LISTING_CHAIN_META, 0)),
                int(request.cb_kwargs.get("page_number", 1)),
            )
        elif request.meta.get(FROM_LISTING_META):
            state.article_failed(str(request.meta[FROM_LISTING_META]))
