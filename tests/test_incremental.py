"""Incremental crawling: real `scrapy crawl` runs against the demo portal, twice.

The demo server counts every request per path and answers conditional requests like nginx,
so the tests see exactly what a re-crawl fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler.incremental import (
    FROM_LISTING_META,
    LISTING_CHAIN_META,
    LISTING_META,
    IncrementalConfig,
    IncrementalListingMiddleware,
    IncrementalSettingError,
    IncrementalState,
    _ListingVisit,
    _Validators,
    links_hash,
    recheck_window_hours,
)
from crawler.sites import Site
from demo_portal.content import SEED_CLOUD_PATH, Page, build_portal
from demo_portal.server import DemoPortalServer, start_server, stop_server
from tests.conftest import CrawlResult, crawl_portal, rows
from tests.test_crawl import by_path

DEMO = build_portal(articles_per_section=12, page_size=5)
FINTECH = DEMO.section("fintech")
CLOUD = DEMO.section("cloud")
ARTICLE_PATHS = set(DEMO.article_paths)
# The GBK seed copy is stored under the UTF-8 copy's canonical URL, as its duplicate.
STORED_PATHS = ARTICLE_PATHS - {SEED_CLOUD_PATH}


@pytest.fixture
def portal() -> Iterator[tuple[DemoPortalServer, str]]:
    """A server of its own per test: tests change its pages between runs."""
    server, base_url = start_server(portal=DEMO)
    assert isinstance(server, DemoPortalServer)
    yield server, base_url
    stop_server(server)


def demo_crawl(server: DemoPortalServer, base_url: str, database_url: str, *args: str) -> int:
    """Crawl the demo site; the number of requests it made (the counters start from zero)."""
    server.request_counts.clear()
    server.not_modified_counts.clear()
    result = crawl_portal(base_url, database_url, "-a", "site=demo", *args)
    assert result.returncode == 0, result.output[-3000:]
    return sum(server.request_counts.values())


def fetched_articles(server: DemoPortalServer) -> set[str]:
    return {path for path in server.request_counts if path in ARTICLE_PATHS}


def listing_rows(database_url: str) -> dict[str, dict[str, object]]:
    return {
        urlsplit(str(row["url"])).path: row
        for row in rows(database_url, "SELECT * FROM listing_pages")
    }


def without_listed_article(page: Page, article_path: str) -> Page:
    """The listing page with one article's entry taken out, as before it was published."""
    html = page.body.decode("utf-8")
    entry = re.compile(
        r'<li class="news-item">(?:(?!</li>).)*?' + re.escape(article_path) + r".*?</li>\n?",
        re.DOTALL,
    )
    shortened, removed = entry.subn("", html)
    assert removed == 1, f"{article_path} is not listed once on the page"
    return Page(shortened.encode("utf-8"), page.content_type_header)


def test_second_crawl_of_an_unchanged_portal_fetches_a_small_fraction(
    portal: tuple[DemoPortalServer, str], database_url: str
) -> None:
    server, base_url = portal
    first = demo_crawl(server, base_url, database_url)
    assert fetched_articles(server) == ARTICLE_PATHS
    stored = rows(database_url)
    assert set(by_path(stored)) == STORED_PATHS
    saved = listing_rows(database_url)
    assert set(saved) >= {*FINTECH.listing_paths, *CLOUD.listing_paths}
    assert all(row["etag"] and row["last_modified"] and row["links_hash"] for row in saved.values())

    second = demo_crawl(server, base_url, database_url)
    assert second <= first * 0.1, (first, second)
    assert not fetched_articles(server)
    # the two start pages, answered 304 and not parsed; nothing after them
    assert server.not_modified_counts == {
        FINTECH.listing_paths[0]: 1,
        CLOUD.listing_paths[0]: 1,
    }
    assert server.request_counts[FINTECH.listing_paths[1]] == 0
    assert [row["id"] for row in rows(database_url)] == [row["id"] for row in stored]


def test_not_modified_listing_is_counted_not_parsed_and_no_failure(
    portal: tuple[DemoPortalServer, str], sqlite_url: str
) -> None:
    server, base_url = portal
    demo_crawl(server, base_url, sqlite_url)
    server.request_counts.clear()
    second = crawl_portal(base_url, sqlite_url, "-a", "site=demo", "-s", "STATS_DUMP=True")
    assert second.returncode == 0, second.output[-3000:]
    assert "'pages/listing_not_modified': 2" in second.stderr
    assert "'pages/listing'" not in second.stderr  # no listing page was parsed
    assert "'pages/failed'" not in second.stderr
    assert "errors          0" in second.stderr
    assert "result          ok" in second.stderr
    assert "not modified; pagination stops here" in second.stderr


def test_new_article_is_fetched_and_stored_on_the_next_run(
    portal: tuple[DemoPortalServer, str], sqlite_url: str
) -> None:
    server, base_url = portal
    front_page = FINTECH.listing_paths[0]
    new_article = FINTECH.listing_items[0][2]
    published = server.page_table[front_page]
    before = without_listed_article(published, new_article)
    server.page_table[front_page] = server.page_table[FINTECH.root_path] = before
    demo_crawl(server, base_url, sqlite_url)
    assert new_article not in by_path(rows(sqlite_url))

    server.page_table[front_page] = server.page_table[FINTECH.root_path] = published
    second = demo_crawl(server, base_url, sqlite_url)
    assert fetched_articles(server) == {new_article}
    assert new_article in by_path(rows(sqlite_url))
    assert len(rows(sqlite_url)) == len(STORED_PATHS)
    # page 1 changed and held a new article, so page 2 was checked: unchanged, 304
    assert server.not_modified_counts[FINTECH.listing_paths[1]] == 1
    assert server.request_counts[FINTECH.listing_paths[2]] == 0
    assert second <= 6


def test_server_without_validators_stops_at_a_listing_of_stored_articles(
    portal: tuple[DemoPortalServer, str], sqlite_url: str
) -> None:
    server, base_url = portal
    server.conditional_requests = False
    demo_crawl(server, base_url, sqlite_url)
    assert all(not row["etag"] for row in listing_rows(sqlite_url).values())
    demo_crawl(server, base_url, sqlite_url)
    assert not fetched_articles(server)
    assert not server.not_modified_counts
    listings = {path for path in server.request_counts if path.startswith(("/fintech", "/cloud"))}
    assert listings == {FINTECH.listing_paths[0], CLOUD.listing_paths[0]}


def test_articles_that_failed_are_fetched_by_the_next_run(
    portal: tuple[DemoPortalServer, str], sqlite_url: str
) -> None:
    """An article of page 2 fails (500): neither page 2 nor page 1 of its pagination keeps
    validators, or the next run would stop at page 1 and never retry it."""
    server, base_url = portal
    on_page_one = set(FINTECH.listing_items[0])
    failing = next(path for path in FINTECH.listing_items[1] if path not in on_page_one)
    server.failing_paths.add(failing)
    demo_crawl(server, base_url, sqlite_url)
    assert server.request_counts[failing] == 3  # the first try and two retries
    assert failing not in by_path(rows(sqlite_url))
    saved = listing_rows(sqlite_url)
    assert FINTECH.listing_paths[0] not in saved
    assert FINTECH.listing_paths[1] not in saved
    assert {FINTECH.listing_paths[2], *CLOUD.listing_paths} <= set(saved)

    server.failing_paths.clear()
    demo_crawl(server, base_url, sqlite_url)
    assert fetched_articles(server) == {failing}
    assert set(by_path(rows(sqlite_url))) == STORED_PATHS


def test_a_run_that_did_not_finish_saves_no_validators(
    portal: tuple[DemoPortalServer, str], sqlite_url: str
) -> None:
    server, base_url = portal
    stopped = crawl_portal(base_url, sqlite_url, "-a", "site=demo", "-s", "CLOSESPIDER_ITEMCOUNT=3")
    assert "finish reason closespider_itemcount" in stopped.stderr, stopped.output[-3000:]
    assert "Listing validators not saved" in stopped.stderr
    partial = by_path(rows(sqlite_url))
    assert 3 <= len(partial) < len(STORED_PATHS)
    assert not listing_rows(sqlite_url)

    demo_crawl(server, base_url, sqlite_url)
    assert set(by_path(rows(sqlite_url))) == STORED_PATHS
    # the articles stored before the stop were not fetched again
    assert not fetched_articles(server) & set(partial)


def test_pagination_goes_on_past_articles_stored_by_a_run_that_did_not_finish(
    portal: tuple[DemoPortalServer, str], sqlite_url: str
) -> None:
    """Page 1 holds only stored articles, but two of them were stored after page 1's last
    complete check, by a run that never reached page 2: the next run must walk on to it."""
    server, base_url = portal
    front_page, page_two = FINTECH.listing_paths[:2]
    published = server.page_table[front_page]
    newer = FINTECH.listing_items[0][2:4]  # not [4]: page 2 lists it again
    before = without_listed_article(without_listed_article(published, newer[0]), newer[1])
    server.page_table[front_page] = server.page_table[FINTECH.root_path] = before
    demo_crawl(server, base_url, sqlite_url)  # complete: page 1 checked without the two
    assert not set(newer) & set(by_path(rows(sqlite_url)))

    server.page_table[front_page] = server.page_table[FINTECH.root_path] = published
    server.failing_paths.add(page_two)
    demo_crawl(server, base_url, sqlite_url)  # stores the two, cannot fetch page 2
    assert set(newer) <= set(by_path(rows(sqlite_url)))

    server.failing_paths.clear()
    demo_crawl(server, base_url, sqlite_url)
    assert server.request_counts[page_two] == 1, "page 2 must be checked again"
    assert not fetched_articles(server)


def test_recheck_window_fetches_recently_published_stored_articles(
    portal: tuple[DemoPortalServer, str], sqlite_url: str
) -> None:
    server, base_url = portal
    demo_crawl(server, base_url, sqlite_url)
    cutoff = datetime(2019, 2, 1, tzinfo=UTC)
    hours = (datetime.now(UTC) - cutoff) / timedelta(hours=1)
    demo_crawl(server, base_url, sqlite_url, "-s", f"RECHECK_WINDOW_HOURS={hours:.3f}")
    recent = {
        urlsplit(row["url"]).path for row in rows(sqlite_url) if row["published_at"] >= cutoff
    }
    assert recent and recent != STORED_PATHS
    assert fetched_articles(server) == recent
    assert len(rows(sqlite_url)) == len(STORED_PATHS)


def test_full_crawl_fetches_everything_again(
    portal: tuple[DemoPortalServer, str], sqlite_url: str
) -> None:
    server, base_url = portal
    first = demo_crawl(server, base_url, sqlite_url)
    again = demo_crawl(server, base_url, sqlite_url, "-a", "full=1")
    assert again == first
    assert fetched_articles(server) == ARTICLE_PATHS
    assert not server.not_modified_counts
    assert len(rows(sqlite_url)) == len(STORED_PATHS)


def test_stop_at_known_listing_off_keeps_paging_without_refetching_articles(
    portal: tuple[DemoPortalServer, str], sqlite_url: str
) -> None:
    server, base_url = portal
    demo_crawl(server, base_url, sqlite_url)
    demo_crawl(server, base_url, sqlite_url, "-s", "STOP_AT_KNOWN_LISTING=False")
    assert not server.not_modified_counts  # no conditional requests: the links are needed
    for path in (*FINTECH.listing_paths, *CLOUD.listing_paths):
        assert server.request_counts[path] == 1, path
    # only the GBK seed copy: stored as a duplicate under the other copy's URL, it is not
    # known by its own, so it is fetched whenever its listing page is parsed
    assert fetched_articles(server) == {SEED_CLOUD_PATH}


def test_incremental_crawling_switched_off_fetches_everything(
    portal: tuple[DemoPortalServer, str], sqlite_url: str
) -> None:
    server, base_url = portal
    demo_crawl(server, base_url, sqlite_url)
    demo_crawl(server, base_url, sqlite_url, "-s", "INCREMENTAL_ENABLED=False")
    assert fetched_articles(server) == ARTICLE_PATHS


def test_bad_arguments_and_settings_stop_the_run_with_one_line(
    portal: tuple[DemoPortalServer, str], sqlite_url: str
) -> None:
    _, base_url = portal
    results: list[CrawlResult] = [
        crawl_portal(base_url, sqlite_url, "-a", "site=demo", "-a", "full=maybe"),
        crawl_portal(base_url, sqlite_url, "-a", "site=demo", "-s", "RECHECK_WINDOW_HOURS=-1"),
    ]
    assert results[0].returncode == 1
    assert "error: full 'maybe' is not a yes/no value" in results[0].stderr
    assert results[1].returncode == 1
    assert "RECHECK_WINDOW_HOURS '-1' must be 0 or more" in results[1].stderr
    assert not rows(sqlite_url)


def test_site_values_override_the_settings() -> None:
    settings = get_crawler(
        settings_dict={
            "INCREMENTAL_ENABLED": True,
            "RECHECK_WINDOW_HOURS": 6,
            "STOP_AT_KNOWN_LISTING": True,
        }
    ).settings
    plain = Site(name="plain", start_urls=("https://www.example.com.cn/news/",))
    archive = Site(
        name="archive",
        start_urls=("https://www.example.com.cn/archive/",),
        stop_at_known_listing=False,
        recheck_window_hours=0,
    )
    assert IncrementalConfig.from_settings(settings, plain) == IncrementalConfig(
        True, True, timedelta(hours=6)
    )
    assert IncrementalConfig.from_settings(settings, archive) == IncrementalConfig(
        True, False, None
    )
    assert not IncrementalConfig.from_settings(settings, plain, full=True).enabled
    assert not IncrementalConfig(True, False, None).conditional_listings


@pytest.mark.parametrize("value", ["-2", "soon"])
def test_bad_recheck_window_is_refused(value: str) -> None:
    with pytest.raises(IncrementalSettingError, match="RECHECK_WINDOW_HOURS"):
        recheck_window_hours(get_crawler(settings_dict={"RECHECK_WINDOW_HOURS": value}).settings)
    with pytest.raises(ValueError, match="recheck_window_hours"):
        Site(name="x", start_urls=("https://www.example.com.cn/",), recheck_window_hours=-1)


@pytest.mark.parametrize(
    ("reason", "stats", "why"),
    [
        ("finished", {}, ""),
        ("shutdown", {}, "the run ended with 'shutdown'"),
        ("finished", {"storage/unsaved": 4}, "not every article was stored"),
        ("finished", {"storage/failed": True}, "not every article was stored"),
        ("finished", {"pages/extraction_errors": 1}, "pages failed to parse"),
        ("finished", {"spider_exceptions/KeyError": 1}, "pages failed to parse"),
    ],
)
def test_validators_are_saved_only_after_a_complete_run(
    reason: str, stats: dict[str, object], why: str
) -> None:
    crawler = get_crawler()
    assert crawler.stats is not None
    for key, value in stats.items():
        crawler.stats.set_value(key, value)
    state = IncrementalState(crawler, "demo", IncrementalConfig(True, True, None), str)
    assert state.unsafe_to_save(reason) == why


def test_failed_pages_keep_their_pagination_unsaved() -> None:
    state = IncrementalState(get_crawler(), "demo", IncrementalConfig(True, True, None), str)
    for chain, numbers in ((0, (1, 2, 3, 4)), (1, (1, 2))):
        for number in numbers:
            state.listing_not_modified(f"https://a.cn/{chain}/{number}", chain, number)
    assert not state.visits  # 304s nobody asked for are not recorded
    for chain, numbers in ((0, (1, 2, 3, 4)), (1, (1, 2))):
        for number in numbers:
            state.visits[f"https://a.cn/{chain}/{number}"] = _ListingVisit(
                chain, number, _Validators('"x"', None, None, None)
            )
    state.article_failed("https://a.cn/0/2")
    state.listing_failed(1, 2)  # a failed page 2 leaves page 1 unsaved too
    assert set(state.pages_to_save()) == {"https://a.cn/0/3", "https://a.cn/0/4"}


def test_links_hash_ignores_order_and_repeats() -> None:
    assert links_hash(["b", "a", "a"]) == links_hash(["a", "b"]) != links_hash(["a"])


def test_middleware_sends_validators_and_records_failures() -> None:
    crawler = get_crawler(Spider)
    state = IncrementalState(crawler, "demo", IncrementalConfig(True, True, None), str)
    state.stored_validators["https://a.cn/list_2.html"] = _Validators(
        '"v2"', "Tue, 24 Nov 2026 10:00:00 GMT", None, None
    )
    crawler.spider = Spider(name="portal")
    crawler.spider.incremental = state  # type: ignore[attr-defined]
    middleware = IncrementalListingMiddleware.from_crawler(crawler)

    def listing(url: str, page_number: int) -> Request:
        return Request(
            url,
            cb_kwargs={"page_number": page_number},
            meta={LISTING_META: True, LISTING_CHAIN_META: 0},
        )

    known = listing("https://a.cn/list_2.html", 2)
    middleware.process_request(known)
    assert known.headers[b"If-None-Match"] == b'"v2"'
    assert known.headers[b"If-Modified-Since"] == b"Tue, 24 Nov 2026 10:00:00 GMT"
    assert known.meta["handle_httpstatus_list"] == [304]
    # redirected from a known page to an unknown one: the old validators go
    redirected = known.replace(url="https://a.cn/list_9.html")
    middleware.process_request(redirected)
    assert b"If-None-Match" not in redirected.headers
    article = Request("https://a.cn/1.html", meta={FROM_LISTING_META: "https://a.cn/list_2.html"})
    middleware.process_request(article)
    assert b"If-None-Match" not in article.headers

    state.visits["https://a.cn/list_2.html"] = _ListingVisit(
        0, 2, _Validators(None, None, "h", None)
    )
    state.visits["https://a.cn/list_3.html"] = _ListingVisit(
        0, 3, _Validators(None, None, "h", None)
    )
    middleware.process_exception(article, IgnoreRequest("Forbidden by robots.txt"))
    middleware.process_response(article, Response(article.url, status=200))
    assert set(state.pages_to_save()) == {"https://a.cn/list_2.html", "https://a.cn/list_3.html"}
    middleware.process_response(article, Response(article.url, status=503))
    assert set(state.pages_to_save()) == {"https://a.cn/list_3.html"}
    middleware.process_exception(listing("https://a.cn/list_3.html", 3), TimeoutError("slow"))
    assert not state.pages_to_save()
