"""Real crawls: `scrapy crawl` in a subprocess against the demo portal on 127.0.0.1, into real
SQLite, PostgreSQL and MariaDB databases, asserting the stored rows against ground truth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from demo_portal.content import SEED_CLOUD_PATH, SEED_FINTECH_PATH, Portal, build_portal
from demo_portal.server import start_server, stop_server
from tests.conftest import crawl_portal, rows

SEED_EXPECTED = json.loads(
    (Path(__file__).resolve().parent.parent / "demo_portal" / "seed" / "expected.json").read_text(
        "utf-8"
    )
)


@pytest.fixture(scope="module")
def portal() -> Iterator[tuple[str, Portal]]:
    demo = build_portal(articles_per_section=12, page_size=5)
    server, base_url = start_server(portal=demo)
    yield base_url, demo
    stop_server(server)


def by_path(stored: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rows keyed by the path they were fetched from."""
    return {urlsplit(row["url"]).path: row for row in stored}


def assert_matches_truth(row: dict[str, Any], truth: Any) -> None:
    assert row["title"] == truth.title
    assert row["source"] == truth.source
    assert row["author"] == truth.author
    assert row["published_at"] == truth.published_at
    assert row["summary"] == truth.summary
    assert row["category"] == truth.category
    assert row["body"] == truth.body


def test_demo_site_crawl_stores_every_article(
    portal: tuple[str, Portal], database_url: str
) -> None:
    base_url, demo = portal
    result = crawl_portal(base_url, database_url, "-a", "site=demo")
    assert result.returncode == 0, result.output[-3000:]
    assert "Run summary: spider portal, site demo" in result.stderr
    stored = by_path(rows(database_url))
    originals = [article for article in demo.articles if article.url_path != SEED_CLOUD_PATH]
    missing = [article.url_path for article in originals if article.url_path not in stored]
    assert not missing, f"articles not stored: {missing}"
    for article in originals:
        assert_matches_truth(stored[article.url_path], article)
    # nothing but articles: no listing, topic, about or attachment pages
    assert set(stored) <= {article.url_path for article in demo.articles}
    for row in stored.values():
        assert row["published_at"].tzinfo is not None
        assert row["body_html"] and "<script" not in row["body_html"]


def test_feed_exports_work_beside_the_database(
    portal: tuple[str, Portal], sqlite_url: str, tmp_path: Path
) -> None:
    """Scrapy's ``-o``/``FEEDS`` still work: every item the pipelines pass is also written
    to the feed, with the same identity and content as its row."""
    base_url, _ = portal
    feed = tmp_path / "articles.jsonl"
    result = crawl_portal(base_url, sqlite_url, "-a", "site=demo", "-o", str(feed))
    assert result.returncode == 0, result.output[-3000:]
    exported = [json.loads(line) for line in feed.read_text("utf-8").splitlines()]
    stored = {row["canonical_url"]: row for row in rows(sqlite_url)}
    assert sorted(item["canonical_url"] for item in exported) == sorted(stored)
    for item in exported:
        row = stored[item["canonical_url"]]
        assert (item["title"], item["body"], item["content_hash"]) == (
            row["title"],
            row["body"],
            row["content_hash"],
        )
        assert datetime.fromisoformat(item["published_at"]) == row["published_at"]


def test_second_crawl_adds_zero_rows(portal: tuple[str, Portal], sqlite_url: str) -> None:
    base_url, _ = portal
    first = crawl_portal(base_url, sqlite_url, "-a", "site=demo")
    assert first.returncode == 0, first.output[-3000:]
    before = rows(sqlite_url)
    second = crawl_portal(base_url, sqlite_url, "-a", "site=demo")
    assert second.returncode == 0, second.output[-3000:]
    after = rows(sqlite_url)
    assert len(after) == len(before)
    assert "stored          0 new" in second.stderr
    assert [row["id"] for row in after] == [row["id"] for row in before]
    assert all(b["last_seen_at"] >= a["last_seen_at"] for a, b in zip(before, after, strict=True))


@pytest.mark.parametrize("seed_path", [SEED_FINTECH_PATH, SEED_CLOUD_PATH])
def test_seed_article_stored_exactly(
    portal: tuple[str, Portal], sqlite_url: str, seed_path: str
) -> None:
    """From the UTF-8 page and from the GBK page behind a lying charset header alike."""
    base_url, _ = portal
    section = "/fintech/index.html" if seed_path == SEED_FINTECH_PATH else "/cloud/index.shtml"
    result = crawl_portal(base_url, sqlite_url, "-a", f"start_url={base_url}{section}")
    assert result.returncode == 0, result.output[-3000:]
    row = by_path(rows(sqlite_url))[seed_path]
    for name in ("title", "source", "author", "summary", "category", "body"):
        assert row[name] == SEED_EXPECTED[name], name
    assert row["published_at"] == datetime.fromisoformat(SEED_EXPECTED["published_at"])
    assert row["canonical_url"] == SEED_EXPECTED["url"]
    for boilerplate in SEED_EXPECTED["body_must_not_contain"]:
        assert boilerplate not in row["body"]


def test_start_url_crawl_follows_pagination_and_max_pages(
    portal: tuple[str, Portal], sqlite_url: str
) -> None:
    base_url, demo = portal
    section = demo.section("cloud")
    result = crawl_portal(
        base_url,
        sqlite_url,
        "-a",
        f"start_url={base_url}{section.listing_paths[0]}",
        "-a",
        "max_pages=2",
    )
    assert result.returncode == 0, result.output[-3000:]
    stored = by_path(rows(sqlite_url))
    first_two_pages = {path for page in section.listing_items[:2] for path in page}
    assert set(stored) == first_two_pages
    assert {row["site"] for row in stored.values()} == {"127.0.0.1"}
