"""A crawl killed at any moment loses nothing and writes nothing twice.

Real subprocesses against the demo portal into real SQLite and PostgreSQL: ``kill -9`` after
some rows are stored, then an ordinary second run; and a JOBDIR crawl paused with SIGINT and
resumed. The stored rows must equal those of an undisturbed crawl, once each, every row whole,
and the killed run's record must end up ``interrupted``, not ``running`` for ever.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from demo_portal.content import Portal, build_portal
from demo_portal.server import DemoPortalServer, start_server, stop_server
from pipelines.normalize import content_hash
from tests.conftest import CrawlResult, crawl_portal, rows
from tests.fault_portal import start_scrapy, wait_until

SLOW_CRAWL = (
    "-s",
    "ALLOW_PRIVATE_NETWORKS=True",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=2",
    "-s",
    "DOWNLOAD_DELAY=0.03",
    "-s",
    "STORE_BATCH_SIZE=5",
    "-s",
    "STORE_FLUSH_INTERVAL=0.2",
)


@pytest.fixture(scope="module")
def portal() -> Iterator[tuple[str, Portal, DemoPortalServer]]:
    demo = build_portal(articles_per_section=40, page_size=10)
    server, base_url = start_server(portal=demo)
    assert isinstance(server, DemoPortalServer)
    yield base_url, demo, server
    stop_server(server)


@pytest.fixture(scope="module")
def reference(
    portal: tuple[str, Portal, DemoPortalServer], tmp_path_factory: pytest.TempPathFactory
) -> list[str]:
    """The article paths an undisturbed crawl stores."""
    base_url, _, _ = portal
    database_url = f"sqlite:///{tmp_path_factory.mktemp('reference') / 'articles.sqlite3'}"
    result = crawl_to_end(base_url, database_url)
    assert result.returncode == 0, result.output[-3000:]
    return sorted(row["canonical_url"] for row in rows(database_url))


def crawl_to_end(base_url: str, database_url: str, *settings: str) -> CrawlResult:
    return crawl_portal(base_url, database_url, "-a", "site=demo", *settings)


def count_rows(database_url: str) -> int:
    try:
        return len(rows(database_url, "SELECT id FROM articles"))
    except DBAPIError:  # no table yet, or SQLite busy for a moment
        return 0


def assert_whole_rows(stored: list[dict[str, Any]]) -> None:
    """No half-written row: every stored article has all its identities and its text."""
    for row in stored:
        assert row["url"] and row["canonical_url"] and row["title"] and row["body"], row["url"]
        assert row["content_hash"] == content_hash(row["body"]), row["url"]
        assert row["first_seen_at"] is not None and row["last_seen_at"] is not None


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_kill_9_mid_crawl_then_rerun_stores_every_article_once(
    portal: tuple[str, Portal, DemoPortalServer],
    reference: list[str],
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    base_url, _, _ = portal
    database_url = str(request.getfixturevalue(f"{backend}_url"))
    log_path = tmp_path / "killed.log"
    killed = start_scrapy(
        "crawl",
        "portal",
        "-a",
        "site=demo",
        *SLOW_CRAWL,
        database_url=database_url,
        log_path=log_path,
        env={"DEMO_PORTAL_URL": base_url},
    )
    try:
        assert wait_until(lambda: count_rows(database_url) >= 10, timeout=60)
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL
    partial = rows(database_url)
    assert 10 <= len(partial) < len(reference), "killed in the middle"
    assert_whole_rows(partial)
    if backend == "sqlite":
        engine = create_engine(database_url)
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        engine.dispose()

    second = crawl_to_end(base_url, database_url)
    assert second.returncode == 0, second.output[-3000:]
    final = rows(database_url)
    assert sorted(row["canonical_url"] for row in final) == reference
    assert_whole_rows(final)
    # rows stored before the kill kept their ids: seen again, not stored again
    assert {row["id"] for row in partial} <= {row["id"] for row in final}
    # the killed run's record does not stay "running": the second run found its process gone
    records = rows(database_url, "SELECT pid, status, finish_reason FROM crawl_runs ORDER BY id")
    assert [(record["status"], record["finish_reason"]) for record in records] == [
        ("interrupted", "process_gone"),
        ("finished", "finished"),
    ]
    assert records[0]["pid"] == killed.pid
    assert "Marked 1 earlier run record(s) of this host interrupted" in second.output


def test_jobdir_pause_and_resume_fetches_each_article_once(
    portal: tuple[str, Portal, DemoPortalServer],
    reference: list[str],
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    base_url, demo, server = portal
    job = ("-s", f"JOBDIR={tmp_path / 'job'}")
    server.request_counts.clear()
    log_path = tmp_path / "paused.log"
    paused = start_scrapy(
        "crawl",
        "portal",
        "-a",
        "site=demo",
        *SLOW_CRAWL,
        *job,
        database_url=sqlite_url,
        log_path=log_path,
        env={"DEMO_PORTAL_URL": base_url},
    )
    try:
        assert wait_until(lambda: count_rows(sqlite_url) >= 10, timeout=60)
        paused.send_signal(signal.SIGINT)
        paused.wait(timeout=60)
    finally:
        if paused.poll() is None:
            paused.kill()
    first_output = log_path.read_text("utf-8")
    assert "finish reason shutdown" in first_output, first_output[-3000:]
    assert paused.returncode == 1
    first_rows = rows(sqlite_url)
    assert len(first_rows) < len(reference), "paused in the middle"

    resumed = crawl_to_end(base_url, sqlite_url, *SLOW_CRAWL[2:], *job)
    assert resumed.returncode == 0, resumed.output[-3000:]
    final = rows(sqlite_url)
    assert sorted(row["canonical_url"] for row in final) == reference
    assert_whole_rows(final)
    article_paths = {article.url_path for article in demo.articles}
    fetched_twice = {
        path: count
        for path, count in server.request_counts.items()
        if path in article_paths and count > 1
    }
    assert not fetched_twice, f"article URLs fetched twice across pause and resume: {fetched_twice}"
    assert "stored          0 new" not in resumed.output
