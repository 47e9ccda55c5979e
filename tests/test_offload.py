"""Extraction in worker processes (EXTRACTION_PROCESSES > 0) gives the same articles."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.loaders import build_article
from crawler.offload import (
    ArticlePage,
    ExtractionPool,
    GarbageCollectorTuning,
    extract_in_worker,
    extraction_pool,
)
from crawler.sites import Site
from demo_portal.content import SEED_CLOUD_PATH, Portal, build_portal
from demo_portal.server import start_server, stop_server
from tests.conftest import crawl_portal, rows

SEED_DIR = Path(__file__).resolve().parent.parent / "demo_portal" / "seed"
URL = "http://127.0.0.1:8765/cloud/2019-01/16/content_152488.shtml"


def _gbk_seed_response() -> HtmlResponse:
    # GBK bytes behind a header without charset: the worker must decode them the same way
    body = (SEED_DIR / "article-gbk.html").read_bytes()
    return HtmlResponse(URL, body=body, headers={"Content-Type": "text/html"}, request=Request(URL))


def test_article_page_rebuilds_the_response_it_was_taken_from() -> None:
    response = _gbk_seed_response()

    rebuilt = ArticlePage.of(response).response()

    assert rebuilt.url == response.url
    assert rebuilt.body == response.body
    assert rebuilt.encoding == response.encoding
    assert rebuilt.text == response.text
    assert rebuilt.headers.get(b"Content-Type") == b"text/html"


def test_worker_function_returns_the_in_process_item_as_fields() -> None:
    response = _gbk_seed_response()

    fields = extract_in_worker(ArticlePage.of(response), "demo", None, "crawler.sites")

    assert fields == dataclasses.asdict(build_article(response, None, site_name="demo"))
    assert fields["title"] and fields["body"]


def test_pool_builds_the_same_item_in_another_process() -> None:
    response = _gbk_seed_response()
    pool = ExtractionPool(1, "crawler.sites")
    try:
        item = asyncio.run(pool.build_article(response, None, "demo"))
    finally:
        pool.close()

    assert item == build_article(response, None, site_name="demo")


def test_pool_passes_site_rules_by_name() -> None:
    response = _gbk_seed_response()
    demo = Site(name="demo", start_urls=("http://127.0.0.1:8765/",))
    pool = ExtractionPool(1, "crawler.sites")
    try:
        item = asyncio.run(pool.build_article(response, demo, "demo"))
    finally:
        pool.close()

    assert item.site == "demo"
    assert item == build_article(response, demo, site_name="demo")


def test_no_pool_when_extraction_processes_is_zero() -> None:
    crawler = get_crawler(settings_dict={"EXTRACTION_PROCESSES": 0})

    assert extraction_pool(crawler) is None


def test_a_pool_needs_at_least_one_process() -> None:
    with pytest.raises(ValueError, match="EXTRACTION_PROCESSES 0"):
        ExtractionPool(0, "crawler.sites")


@pytest.fixture(scope="module")
def portal() -> Iterator[tuple[str, Portal]]:
    demo = build_portal(articles_per_section=12, page_size=5)
    server, base_url = start_server(portal=demo)
    yield base_url, demo
    stop_server(server)


def test_crawl_with_an_extraction_pool_stores_every_article(
    portal: tuple[str, Portal], sqlite_url: str
) -> None:
    base_url, demo = portal
    result = crawl_portal(base_url, sqlite_url, "-a", "site=demo", "-s", "EXTRACTION_PROCESSES=2")

    assert result.returncode == 0, result.output[-3000:]
    assert "Extracting articles in 2 worker processes" in result.stderr
    stored = {urlsplit(row["url"]).path: row for row in rows(sqlite_url)}
    for article in demo.articles:
        if article.url_path == SEED_CLOUD_PATH:
            continue  # the GBK copy of the seed is stored as a duplicate of the UTF-8 one
        row = stored[article.url_path]
        assert (row["title"], row["author"], row["published_at"], row["body"]) == (
            article.title,
            article.author,
            article.published_at,
            article.body,
        )


@pytest.fixture
def restore_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_collector_tuning_freezes_start_up_objects_and_raises_the_young_threshold(
    restore_collector: None,
) -> None:
    crawler = get_crawler(settings_dict={"GC_FREEZE_AT_START": True, "GC_YOUNG_THRESHOLD": 12345})
    tuning = GarbageCollectorTuning.from_crawler(crawler)
    _, middle, old = gc.get_threshold()

    tuning.spider_opened()

    assert gc.get_threshold() == (12345, middle, old)
    assert gc.get_freeze_count() > 0


def test_collector_tuning_can_be_switched_off(restore_collector: None) -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    crawler = get_crawler(settings_dict={"GC_FREEZE_AT_START": False, "GC_YOUNG_THRESHOLD": 0})

    GarbageCollectorTuning.from_crawler(crawler).spider_opened()

    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_collector_tuning_refuses_a_negative_threshold() -> None:
    crawler = get_crawler(settings_dict={"GC_YOUNG_THRESHOLD": -1})

    with pytest.raises(ValueError, match="GC_YOUNG_THRESHOLD -1"):
        GarbageCollectorTuning.from_crawler(crawler)
