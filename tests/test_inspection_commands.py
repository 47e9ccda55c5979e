"""Scrapy's page-inspection commands work on the project and leave the database alone.

``scrapy fetch``, ``parse``, ``shell``, ``view`` and ``bench`` build a crawler with the
project's settings: without care, each would open the database (applying migrations and
replaying spill files through the store pipeline) and add a ``crawl_runs`` row for a look at
one page. Only ``scrapy parse --pipelines``, which asks for the item pipelines, stores.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo_portal.content import Portal, build_portal
from demo_portal.server import start_server, stop_server
from tests.conftest import CrawlResult, rows, run_scrapy

LOOK = ("-s", "ALLOW_PRIVATE_NETWORKS=True")


@pytest.fixture(scope="module")
def portal() -> Iterator[tuple[str, Portal]]:
    demo = build_portal(articles_per_section=3, page_size=2)
    server, base_url = start_server(portal=demo)
    yield base_url, demo
    stop_server(server)


def parse_page(
    base_url: str, path: str, callback: str, database_url: str, *options: str
) -> CrawlResult:
    """``scrapy parse`` of one page of the demo site with the portal spider's ``callback``."""
    return run_scrapy(
        "parse", "--spider", "portal", "-a", "site=demo", "-c", callback, *options, *LOOK,
        base_url + path,
        database_url=database_url, env={"DEMO_PORTAL_URL": base_url},
    )  # fmt: skip


def database_in(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "articles.sqlite3"
    return path, f"sqlite:///{path}"


def test_fetch_prints_the_page_and_writes_nothing(
    portal: tuple[str, Portal], tmp_path: Path
) -> None:
    base_url, demo = portal
    path, database_url = database_in(tmp_path)
    article = demo.articles[0]
    result = run_scrapy(
        "fetch", "--nolog", *LOOK, base_url + article.url_path, database_url=database_url
    )
    assert result.returncode == 0, result.output[-3000:]
    assert article.title in result.stdout
    assert not path.exists(), "fetch opened the database"


def test_view_writes_nothing(portal: tuple[str, Portal], tmp_path: Path) -> None:
    base_url, demo = portal
    path, database_url = database_in(tmp_path)
    opened = tmp_path / "opened.txt"
    # webbrowser runs $BROWSER with the page's file URL: record it instead of opening anything
    browser = f"sh -c 'echo \"$0\" > {opened}' %s"
    result = run_scrapy(
        "view", "--nolog", *LOOK, base_url + demo.articles[0].url_path,
        database_url=database_url, env={"BROWSER": browser},
    )  # fmt: skip
    assert result.returncode == 0, result.output[-3000:]
    assert opened.read_text().startswith("file://"), result.output[-3000:]
    assert not path.exists(), "view opened the database"


def test_shell_evaluates_on_the_page_and_writes_nothing(
    portal: tuple[str, Portal], tmp_path: Path
) -> None:
    base_url, demo = portal
    path, database_url = database_in(tmp_path)
    result = run_scrapy(
        "shell", "--nolog", *LOOK, "-c", "response.css('h1::text').get()",
        base_url + demo.articles[0].url_path, database_url=database_url,
    )  # fmt: skip
    assert result.returncode == 0, result.output[-3000:]
    assert demo.articles[0].title in result.stdout
    assert not path.exists(), "shell opened the database"


def test_parse_prints_the_article_and_writes_nothing(
    portal: tuple[str, Portal], tmp_path: Path
) -> None:
    base_url, demo = portal
    path, database_url = database_in(tmp_path)
    article = demo.articles[0]
    result = parse_page(base_url, article.url_path, "parse_article", database_url)
    assert result.returncode == 0, result.output[-3000:]
    assert f"'title': '{article.title}'" in result.stdout
    assert "Traceback" not in result.output
    assert not path.exists(), "parse opened the database"


def test_parse_of_a_listing_page_prints_its_article_requests(
    portal: tuple[str, Portal], tmp_path: Path
) -> None:
    base_url, demo = portal
    path, database_url = database_in(tmp_path)
    listing = demo.listing_paths[0]
    result = parse_page(base_url, listing, "parse_listing", database_url)
    assert result.returncode == 0, result.output[-3000:]
    assert "Traceback" not in result.output
    requested = set(re.findall(r"<GET (\S+)>", result.stdout))
    listed = {base_url + article.url_path for article in demo.articles}
    assert requested & listed, result.stdout[-3000:]
    assert not path.exists(), "parse opened the database"


def test_parse_with_pipelines_stores_the_article(
    portal: tuple[str, Portal], tmp_path: Path
) -> None:
    base_url, demo = portal
    _, database_url = database_in(tmp_path)
    article = demo.articles[0]
    result = parse_page(base_url, article.url_path, "parse_article", database_url, "--pipelines")
    assert result.returncode == 0, result.output[-3000:]
    assert [row["title"] for row in rows(database_url)] == [article.title]
    # still no run record: a look at one page is not a crawl run
    assert rows(database_url, "SELECT id FROM crawl_runs") == []


def test_a_setting_given_on_the_command_line_still_wins(
    portal: tuple[str, Portal], tmp_path: Path
) -> None:
    base_url, demo = portal
    path, database_url = database_in(tmp_path)
    result = run_scrapy(
        "fetch", "--nolog", *LOOK, "-s", "RUN_RECORDS_ENABLED=True",
        base_url + demo.articles[0].url_path, database_url=database_url,
    )  # fmt: skip
    assert result.returncode == 0, result.output[-3000:]
    assert [row["spider"] for row in rows(database_url, "SELECT spider FROM crawl_runs")] == [
        "default"
    ]
    assert path.exists()
