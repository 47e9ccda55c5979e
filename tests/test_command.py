"""``scrapy crawl`` refuses bad input at start: one readable line, exit status 1, nothing crawled."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_scrapy


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-a", "start_url=notaurl"], "start_url 'notaurl' is not an http(s) URL"),
        (
            ["-a", "start_url=ftp://example.cn/list"],
            "start_url 'ftp://example.cn/list' is not an http(s) URL (scheme 'ftp')",
        ),
        (["-a", "site=no-such-site"], "unknown site 'no-such-site'; configured sites: demo"),
        ([], "give exactly one of -a start_url=URL or -a site=NAME"),
        (["-a", "site=demo", "-a", "max_pages=zero"], "max_pages 'zero' is not a whole number"),
    ],
)
def test_bad_arguments(arguments: list[str], message: str, sqlite_url: str) -> None:
    result = run_scrapy("crawl", "portal", *arguments, database_url=sqlite_url)
    assert result.returncode == 1
    assert f"error: {message}" in result.stderr
    assert "Traceback" not in result.output
    assert "Crawled" not in result.output


def test_unreachable_database_stops_before_crawling(tmp_path: Path) -> None:
    result = run_scrapy(
        "crawl",
        "portal",
        "-a",
        "start_url=http://127.0.0.1:9/",
        database_url="postgresql+psycopg://crawler:s3cret@127.0.0.1:1/news",
    )
    assert result.returncode == 1
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1
    assert (
        "cannot open database postgresql+psycopg://crawler:***@127.0.0.1:1/news" in error_lines[0]
    )
    assert "s3cret" not in result.output
    assert "Traceback" not in result.output
    assert "Spider opened" not in result.output
