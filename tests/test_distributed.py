"""Scale-out mode (settings.distributed): two worker processes share one Redis frontier and
duplicate filter and one PostgreSQL database, crawl one demo portal between them, and stop by
themselves once the shared frontier is drained."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.scaleout import SharedFrontierScheduler
from demo_portal.content import SEED_CLOUD_PATH, SEED_FINTECH_PATH, Portal, build_portal
from demo_portal.server import DemoPortalServer, start_server, stop_server
from tests.conftest import PROJECT_ROOT, rows, unavailable

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of our own on the test Redis; every key under it is deleted afterwards."""
    try:
        import redis

        server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        server.ping()
    except Exception as exc:  # any client or connection error: not usable here
        unavailable(f"Redis at {REDIS_URL} unreachable: {type(exc).__name__}: {exc}")
    prefix = f"test-portal-crawler:{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in server.scan_iter(match=f"{prefix}:*", count=500):
        server.delete(key)
    server.close()


@pytest.fixture
def portal() -> Iterator[tuple[DemoPortalServer, str, Portal]]:
    demo = build_portal(articles_per_section=30, page_size=6)
    server, base_url = start_server(portal=demo)
    assert isinstance(server, DemoPortalServer)
    yield server, base_url, demo
    stop_server(server)


def start_worker(base_url: str, database_url: str, prefix: str) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "SCRAPY_SETTINGS_MODULE": "settings.distributed",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "DEMO_PORTAL_URL": base_url,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "portal",
            "-a",
            "site=demo",
            "-s",
            "ALLOW_PRIVATE_NETWORKS=True",
            "-s",
            f"SCALEOUT_KEY_PREFIX={prefix}",
            "-s",
            "SCALEOUT_IDLE_CLOSE_SECONDS=3",
            # A worker takes up to CONCURRENT_REQUESTS requests from the shared queue at once;
            # kept small (and slow) so the frontier holds a backlog both workers draw from.
            "-s",
            "CONCURRENT_REQUESTS=2",
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=2",
            "-s",
            "DOWNLOAD_DELAY=0.2",
        ],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def pages_fetched(log: str) -> int:
    line = next(line for line in log.splitlines() if line.strip().startswith("pages fetched"))
    return int(line.split()[2])


def test_two_workers_share_one_frontier_and_store_each_article_once(
    portal: tuple[DemoPortalServer, str, Portal], postgres_url: str, redis_prefix: str
) -> None:
    server, base_url, demo = portal
    started = time.monotonic()
    workers = [start_worker(base_url, postgres_url, redis_prefix) for _ in range(2)]
    logs = []
    try:
        for worker in workers:
            _, stderr = worker.communicate(timeout=180)
            logs.append(stderr)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    elapsed = time.monotonic() - started
    for worker, log in zip(workers, logs, strict=True):
        assert worker.returncode == 0, log[-3000:]
        assert "Shared frontier drained" in log, log[-3000:]
        assert "result          ok" in log
    # both took part: each fetched pages from the shared frontier
    assert all(pages_fetched(log) > 0 for log in logs), [pages_fetched(log) for log in logs]
    assert elapsed < 120

    # no page fetched twice (robots.txt is per worker, outside the frontier)
    fetched_twice = {
        path: count
        for path, count in server.request_counts.items()
        if count > 1 and path != "/robots.txt"
    }
    assert not fetched_twice
    article_paths = {article.url_path for article in demo.articles}
    assert article_paths <= set(server.request_counts)

    # every article stored exactly once (the two seed pages are one article, one canonical URL)
    stored = rows(postgres_url)
    canonical = [row["canonical_url"] for row in stored]
    assert len(canonical) == len(set(canonical))
    stored_paths = {urlsplit(row["url"]).path for row in stored}
    seeds = {SEED_CLOUD_PATH, SEED_FINTECH_PATH}
    assert article_paths - seeds <= stored_paths
    assert len(seeds & stored_paths) == 1
    assert stored_paths <= article_paths


def test_a_late_worker_of_a_finished_run_stops_without_fetching(
    portal: tuple[DemoPortalServer, str, Portal], sqlite_url: str, redis_prefix: str
) -> None:
    """Same CRAWL_RUN after the frontier is drained: everything is already seen, so the worker
    finds nothing to do and stops after the idle period (a restarted worker resumes instead of
    starting over)."""
    server, base_url, _ = portal
    first = start_worker(base_url, sqlite_url, redis_prefix)
    _, first_log = first.communicate(timeout=180)
    assert first.returncode == 0, first_log[-3000:]
    before = sum(server.request_counts.values())
    late = start_worker(base_url, sqlite_url, redis_prefix)
    _, late_log = late.communicate(timeout=120)
    assert late.returncode == 0, late_log[-3000:]
    assert "Shared frontier drained" in late_log
    assert sum(server.request_counts.values()) - before <= 1  # its own robots.txt at most


def test_scheduler_refuses_to_run_without_persist() -> None:
    crawler = get_crawler(
        settings_dict={"SCHEDULER_PERSIST": False, "REDIS_URL": REDIS_URL},
    )
    with pytest.raises(NotConfigured, match="SCHEDULER_PERSIST"):
        SharedFrontierScheduler.from_crawler(crawler)
