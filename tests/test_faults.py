"""One real crawl of a portal whose every article link hits a fault, and the exact outcome of
each: stored, dropped with a reason, skipped with a reason, or counted as failed — never a
crash, and the run still ends ``ok`` with exit status 0 (it finished and stored everything it
extracted; the failed pages are reported as errors in the summary).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import CrawlResult, crawl_portal, rows
from tests.fault_portal import FaultPortal, article_paragraphs, crawl_stats

# Short enough that the stalled page fails fast, long enough for the 10 MB page on a slow box.
DOWNLOAD_TIMEOUT = 2


@dataclass
class FaultRun:
    portal: FaultPortal
    result: CrawlResult
    stats: dict[str, int]
    stored: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def fault_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultRun]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('faults') / 'articles.sqlite3'}"
    portal = FaultPortal.with_faults().start()
    try:
        result = crawl_portal(
            portal.base_url,
            database_url,
            "-a",
            f"start_url={portal.base_url}/list.html",
            "-s",
            f"DOWNLOAD_TIMEOUT={DOWNLOAD_TIMEOUT}",
            "-s",
            "STATS_DUMP=True",
        )
        portal.wait_idle()
        stored = {urlsplit(row["url"]).path: row for row in rows(database_url)}
        yield FaultRun(portal, result, crawl_stats(result.output), stored)
    finally:
        portal.stop()


def test_run_finishes_ok_with_every_fault_counted(fault_run: FaultRun) -> None:
    output = fault_run.result.output
    assert fault_run.result.returncode == 0, output[-4000:]
    assert "Traceback" not in output
    assert "stored          5 new" in output
    assert "dropped         1 (missing_body: 1)" in output
    assert "skipped pages   5 (empty: 1, not_html: 2, redirect_loop: 2)" in output
    assert "errors          5" in output
    assert "result          ok" in output
    assert fault_run.stats["pages/failed"] == 5


def test_exactly_the_intact_articles_are_stored(fault_run: FaultRun) -> None:
    assert set(fault_run.stored) == {
        "/a/ok.html",
        "/a/flaky-503.html",
        "/a/truncated-article.html",
        "/a/huge.html",
        "/a/lying-charset.html",
    }
    assert all(row["duplicate_of"] is None for row in fault_run.stored.values())


def test_server_error_then_success_is_retried_and_stored(fault_run: FaultRun) -> None:
    assert fault_run.portal.request_counts["/a/flaky-503.html"] == 2
    row = fault_run.stored["/a/flaky-503.html"]
    assert row["title"] == "第一次返回503然后成功的文章"
    assert fault_run.stats["retry/reason_count/503 Service Unavailable"] == 1


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/a/always-500.html", "Ignoring non-200 response"),
        ("/a/timeout.html", f"took longer than {float(DOWNLOAD_TIMEOUT)} seconds"),
        ("/a/reset.html", "Connection to the other side was lost"),
        ("/a/data-loss.html", ""),
        ("/a/oversize.html", "larger than download max size"),
    ],
)
def test_unfetchable_pages_are_counted_as_failed(
    fault_run: FaultRun, path: str, message: str
) -> None:
    output = fault_run.result.output
    line = next(
        (
            line
            for line in output.splitlines()
            if f"Could not fetch {fault_run.portal.base_url}{path}" in line
        ),
        None,
    )
    assert line is not None, f"no failure line for {path}"
    assert message in line
    assert path not in fault_run.stored


def test_transient_network_faults_are_retried(fault_run: FaultRun) -> None:
    stats = fault_run.stats
    assert stats["retry/max_reached"] == 4  # 500, timeout, reset, data loss; not the oversize
    assert fault_run.portal.request_counts["/a/oversize.html"] == 1


def test_truncated_html_keeps_the_article_it_still_holds(fault_run: FaultRun) -> None:
    row = fault_run.stored["/a/truncated-article.html"]
    paragraphs = article_paragraphs("截断页面仍含完整正文的文章")
    lines = row["body"].split("\n")
    assert lines[:4] == paragraphs[:4]
    assert paragraphs[4].startswith(lines[4])  # the last paragraph is cut, not lost


def test_html_cut_before_the_article_is_dropped_with_reason(fault_run: FaultRun) -> None:
    assert "/a/truncated-head.html" not in fault_run.stored
    assert fault_run.stats["articles/dropped/missing_body"] == 1
    assert f"Dropped missing_body: {fault_run.portal.base_url}/a/truncated-head.html" in (
        fault_run.result.output
    )


def test_ten_megabyte_page_is_handled_within_maxsize(fault_run: FaultRun) -> None:
    row = fault_run.stored["/a/huge.html"]
    assert row["title"] == "评论区超大的十兆字节页面"
    assert row["body"].split("\n") == article_paragraphs("评论区超大的十兆字节页面")
    assert "网友" not in row["body"]


def test_redirect_loops_are_counted_not_followed_forever(fault_run: FaultRun) -> None:
    counts = fault_run.portal.request_counts
    assert fault_run.stats["pages/skipped/redirect_loop"] == 2
    assert counts["/a/loop-1.html"] == 1 and counts["/a/loop-2.html"] == 1
    assert counts["/a/self-redirect.html"] == 1
    assert "Redirect loop:" in fault_run.result.output


def test_lying_charset_header_is_decoded_correctly(fault_run: FaultRun) -> None:
    row = fault_run.stored["/a/lying-charset.html"]
    assert row["title"] == "国产数据库在银行核心系统落地应用"
    assert row["source"] == "新华社"
    assert row["body"].split("\n") == article_paragraphs("国产数据库在银行核心系统落地应用")


def test_binary_content_behind_html_urls_is_skipped(fault_run: FaultRun) -> None:
    assert fault_run.stats["pages/skipped/not_html"] == 2
    assert fault_run.stats["pages/binary_as_text"] == 2
    assert "/a/binary.html" not in fault_run.stored
    assert "/a/octet-stream.html" not in fault_run.stored


def test_empty_200_is_skipped(fault_run: FaultRun) -> None:
    assert fault_run.stats["pages/skipped/empty"] == 1
    assert f"Skipped {fault_run.portal.base_url}/a/empty.html: empty response body" in (
        fault_run.result.output
    )
