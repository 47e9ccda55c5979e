"""``scrapy crawlall``: real runs in a subprocess over two test sites (the demo portal's two
sections, from ``tests.crawlall_sites``), the per-site summary, ``--sites``, exit statuses, and
the lock that keeps overlapping cron runs apart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.exceptions import UsageError

from crawler.commands.crawlall import EXIT_LOCKED, LockHeld, exclusive_lock, select_sites
from crawler.sites import load_sites
from demo_portal.content import SEED_CLOUD_PATH, SEED_FINTECH_PATH, Portal, build_portal
from demo_portal.server import start_server, stop_server
from tests.conftest import PROJECT_ROOT, CrawlResult, rows, run_scrapy

TEST_SITES = "tests.crawlall_sites"


@pytest.fixture(scope="module")
def portal() -> Iterator[tuple[str, Portal]]:
    demo = build_portal(articles_per_section=12, page_size=5)
    server, base_url = start_server(portal=demo)
    yield base_url, demo
    stop_server(server)


def crawlall_args(lock_path: Path, *arguments: str) -> list[str]:
    return [
        "crawlall",
        *arguments,
        "-s",
        f"SITES_MODULE={TEST_SITES}",
        "-s",
        f"CRAWLALL_LOCK_PATH={lock_path}",
        "-s",
        "ALLOW_PRIVATE_NETWORKS=True",
    ]


def crawlall(base_url: str, database_url: str, lock_path: Path, *arguments: str) -> CrawlResult:
    return run_scrapy(
        *crawlall_args(lock_path, *arguments),
        database_url=database_url,
        env={"DEMO_PORTAL_URL": base_url},
    )


def section_of(path: str) -> str:
    return path.strip("/").split("/")[0]


def test_every_site_crawled_in_one_run_with_a_summary_per_site(
    portal: tuple[str, Portal], sqlite_url: str, tmp_path: Path
) -> None:
    base_url, demo = portal
    result = crawlall(base_url, sqlite_url, tmp_path / "crawlall.lock")
    assert result.returncode == 0, result.output[-3000:]
    # one process: Scrapy started once, both sites' summaries in its output
    assert result.stderr.count("Scrapy 2.") == 1, result.stderr[-3000:]
    assert "crawlall summary: 2 site(s), 0 failed" in result.stderr
    for site in ("demo-cloud", "demo-fintech"):
        assert f"Run summary: spider portal, site {site}" in result.stderr
    stored = {urlsplit(row["url"]).path: row for row in rows(sqlite_url)}
    # The two seed pages are one article (same canonical URL): whichever site ran first keeps it.
    seeds = {SEED_CLOUD_PATH, SEED_FINTECH_PATH}
    originals = [article for article in demo.articles if article.url_path not in seeds]
    missing = [article.url_path for article in originals if article.url_path not in stored]
    assert not missing, f"articles not stored: {missing}"
    assert len(seeds & set(stored)) == 1
    # each row belongs to the site whose section it came from
    for path, row in stored.items():
        assert row["site"] == f"demo-{section_of(path)}", path
    new_rows = {
        site: sum(1 for r in stored.values() if r["site"] == site)
        for site in ("demo-cloud", "demo-fintech")
    }
    for site, count in new_rows.items():
        assert f"  {site:<20} stored {count}," in result.stderr


def test_sites_option_restricts_the_run(
    portal: tuple[str, Portal], sqlite_url: str, tmp_path: Path
) -> None:
    base_url, _ = portal
    result = crawlall(base_url, sqlite_url, tmp_path / "crawlall.lock", "--sites", "demo-cloud")
    assert result.returncode == 0, result.output[-3000:]
    assert "crawlall summary: 1 site(s), 0 failed" in result.stderr
    assert {row["site"] for row in rows(sqlite_url)} == {"demo-cloud"}


def test_sites_crawled_concurrently(
    portal: tuple[str, Portal], sqlite_url: str, tmp_path: Path
) -> None:
    base_url, _ = portal
    result = crawlall(base_url, sqlite_url, tmp_path / "crawlall.lock", "--concurrency", "2")
    assert result.returncode == 0, result.output[-3000:]
    assert "crawlall summary: 2 site(s), 0 failed" in result.stderr
    assert {row["site"] for row in rows(sqlite_url)} == {"demo-cloud", "demo-fintech"}


def test_unknown_site_is_one_error_line(sqlite_url: str, tmp_path: Path) -> None:
    result = run_scrapy(
        *crawlall_args(tmp_path / "crawlall.lock", "--sites", "demo-cloud,nope"),
        database_url=sqlite_url,
    )
    assert result.returncode == 1
    assert "error: unknown site(s) nope; configured sites: demo-cloud, demo-fintech" in (
        result.stderr
    )
    assert "Traceback" not in result.output
    assert "Spider opened" not in result.output


def test_a_failed_site_makes_the_run_fail(
    portal: tuple[str, Portal], sqlite_url: str, tmp_path: Path
) -> None:
    base_url, _ = portal
    result = crawlall(base_url, sqlite_url, tmp_path / "crawlall.lock", "-a", "max_pages=zero")
    assert result.returncode == 1, result.output[-3000:]
    assert "crawlall summary: 2 site(s), 2 failed" in result.stderr
    assert "Traceback" not in result.output
    assert "FAILED: could not start: max_pages 'zero' is not a whole number" in result.stderr


def test_overlapping_run_exits_at_once_with_its_own_status(
    portal: tuple[str, Portal], sqlite_url: str, tmp_path: Path
) -> None:
    """The second of two concurrent invocations refuses to start; the first is unharmed."""
    base_url, _ = portal
    lock_path = tmp_path / "crawlall.lock"
    environment = {**os.environ, "DEMO_PORTAL_URL": base_url, "DATABASE_URL": sqlite_url}
    # a polite delay keeps the first run busy long enough for the second to overlap it
    first = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scrapy",
            *crawlall_args(lock_path, "-s", "DOWNLOAD_DELAY=0.25"),
        ],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (lock_path.exists() and lock_path.read_text().strip() == str(first.pid)):
            assert first.poll() is None, first.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the first run never took the lock"
            time.sleep(0.05)
        started = time.monotonic()
        second = crawlall(base_url, sqlite_url, lock_path)
        assert first.poll() is None, "the first run ended before the second one started"
        assert second.returncode == EXIT_LOCKED, second.output[-3000:]
        error_lines = [line for line in second.stderr.splitlines() if line.startswith("error:")]
        assert error_lines == [
            f"error: another crawlall run holds {lock_path} (pid {first.pid}); not starting"
        ]
        assert "Spider opened" not in second.output
        assert time.monotonic() - started < 30
        _, first_stderr = first.communicate(timeout=240)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, first_stderr[-3000:]
    assert "crawlall summary: 2 site(s), 0 failed" in first_stderr
    # the lock is released with the process: the next run starts normally
    third = crawlall(base_url, sqlite_url, lock_path, "--sites", "demo-fintech")
    assert third.returncode == 0, third.output[-3000:]


def test_lock_is_exclusive_and_released_on_exit(tmp_path: Path) -> None:
    lock_path = tmp_path / "nested" / "crawlall.lock"
    with exclusive_lock(lock_path):
        assert lock_path.read_text().strip() == str(os.getpid())
        with (
            pytest.raises(LockHeld, match=r"another crawlall run holds .* \(pid \d+\)"),
            exclusive_lock(lock_path),
        ):
            pass
    with exclusive_lock(lock_path):
        pass


def test_select_sites() -> None:
    configured = load_sites(TEST_SITES)
    assert [site.name for site in select_sites(configured, None)] == [
        "demo-cloud",
        "demo-fintech",
    ]
    assert [site.name for site in select_sites(configured, " demo-fintech,demo-fintech ")] == [
        "demo-fintech"
    ]
    with pytest.raises(UsageError, match="unknown site"):
        select_sites(configured, "demo")
