"""Nothing lost when PostgreSQL goes away mid-crawl.

The database is reached through a TCP proxy on 127.0.0.1 that the test cuts (every connection
reset, new ones refused) while the crawl runs; the server itself keeps running, and the test
checks the stored rows directly, not through the proxy. Two outcomes: the proxy comes back and
the waiting articles are written; or it does not, the run ends ``storage_failed`` with the
unsaved articles in the spill file, and the next run writes them first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from crawler.dates import SHANGHAI
from demo_portal.content import Portal, build_portal
from demo_portal.server import start_server, stop_server
from pipelines.store import read_spill, spill_path_for, write_spill
from tests.conftest import rows, run_scrapy
from tests.fault_portal import TcpProxy, start_scrapy, wait_until

PASSWORD = "outage-Pw-7781"
# Slow enough that the cut lands mid-crawl: one request at a time, 40 ms apart.
SLOW_CRAWL = (
    "-s",
    "ALLOW_PRIVATE_NETWORKS=True",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=1",
    "-s",
    "DOWNLOAD_DELAY=0.04",
    "-s",
    "STORE_BATCH_SIZE=5",
    "-s",
    "STORE_FLUSH_INTERVAL=0.2",
    "-s",
    "LOG_LEVEL=INFO",
)


@pytest.fixture(scope="module")
def portal() -> Iterator[tuple[str, Portal]]:
    demo = build_portal(articles_per_section=40, page_size=10)
    server, base_url = start_server(portal=demo)
    yield base_url, demo
    stop_server(server)


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    url = make_url(postgres_url)
    tcp_proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    yield tcp_proxy
    tcp_proxy.close()


def through(proxy: TcpProxy, postgres_url: str) -> str:
    """The database URL via the proxy, with a password that must never be printed."""
    url = make_url(postgres_url).set(port=proxy.port, password=PASSWORD)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def reference(portal: tuple[str, Portal], tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """What an undisturbed crawl of the portal stores: the outage runs must match it exactly
    (this keeps the test about storage, whatever the extractor makes of single pages)."""
    base_url, demo = portal
    database_url = f"sqlite:///{tmp_path_factory.mktemp('reference') / 'articles.sqlite3'}"
    result = run_scrapy(
        "crawl",
        "portal",
        "-a",
        "site=demo",
        "-s",
        "ALLOW_PRIVATE_NETWORKS=True",
        database_url=database_url,
        env={"DEMO_PORTAL_URL": base_url},
    )
    assert result.returncode == 0, result.output[-3000:]
    paths = sorted(row["canonical_url"] for row in rows(database_url))
    assert len(paths) >= len(demo.articles) - 2
    return paths


def stored_paths(postgres_url: str) -> list[str]:
    return [urlsplit(row["url"]).path for row in rows(postgres_url)]


def count_rows(postgres_url: str) -> int:
    """Rows stored so far, read directly from the server (0 before the table exists)."""
    try:
        return len(rows(postgres_url, "SELECT id FROM articles"))
    except ProgrammingError:
        return 0


def test_articles_wait_for_the_database_and_are_written_when_it_returns(
    portal: tuple[str, Portal],
    proxy: TcpProxy,
    postgres_url: str,
    tmp_path: Path,
    reference: list[str],
) -> None:
    base_url, _ = portal
    log_path = tmp_path / "crawl.log"
    crawl = start_scrapy(
        "crawl",
        "portal",
        "-a",
        "site=demo",
        *SLOW_CRAWL,
        "-s",
        f"STORE_SPILL_PATH={tmp_path / 'spill.jsonl'}",
        database_url=through(proxy, postgres_url),
        log_path=log_path,
        env={"DEMO_PORTAL_URL": base_url},
    )
    try:
        assert wait_until(lambda: count_rows(postgres_url) >= 10, timeout=60)
        proxy.cut()
        rows_when_cut = count_rows(postgres_url)
        time.sleep(4)
        assert count_rows(postgres_url) == rows_when_cut, "nothing can be written while cut"
        assert crawl.poll() is None, "the crawl keeps going while the database is away"
        proxy.restore()
        assert crawl.wait(timeout=120) == 0, log_path.read_text("utf-8")[-4000:]
    finally:
        if crawl.poll() is None:
            crawl.kill()
    output = log_path.read_text("utf-8")
    assert "Could not write" in output
    assert "is back after" in output
    assert "result          ok" in output
    assert sorted(row["canonical_url"] for row in rows(postgres_url)) == reference
    assert not (tmp_path / "spill.jsonl").exists()
    assert PASSWORD not in output


def test_unsaved_articles_are_spilled_and_written_first_by_the_next_run(
    portal: tuple[str, Portal],
    proxy: TcpProxy,
    postgres_url: str,
    tmp_path: Path,
    reference: list[str],
) -> None:
    base_url, _ = portal
    spill = tmp_path / "spill.jsonl"
    log_path = tmp_path / "first.log"
    first = start_scrapy(
        "crawl",
        "portal",
        "-a",
        "site=demo",
        *SLOW_CRAWL,
        "-s",
        f"STORE_SPILL_PATH={spill}",
        "-s",
        "STORE_OUTAGE_TIMEOUT=2",
        "-s",
        "STORE_MAX_CONSECUTIVE_FAILURES=2",
        database_url=through(proxy, postgres_url),
        log_path=log_path,
        env={"DEMO_PORTAL_URL": base_url},
    )
    try:
        assert wait_until(lambda: count_rows(postgres_url) >= 10, timeout=60)
        proxy.cut()
        assert first.wait(timeout=120) == 1, log_path.read_text("utf-8")[-4000:]
    finally:
        if first.poll() is None:
            first.kill()
    output = log_path.read_text("utf-8")
    assert "Giving up on postgresql+psycopg://postgres:***@" in output
    assert "result          FAILED: finish reason storage_failed;" in output
    spilled = [json.loads(line) for line in spill.read_text("utf-8").splitlines()]
    assert spilled, "the articles waiting for the database were kept"
    assert f"{len(spilled)} articles not stored (kept in {spill})" in output
    stored_before = set(stored_paths(postgres_url))
    spilled_paths = {urlsplit(row["url"]).path for row in spilled}
    assert not stored_before & spilled_paths
    assert PASSWORD not in output

    proxy.restore()
    second = run_scrapy(
        "crawl",
        "portal",
        "-a",
        "site=demo",
        "-s",
        "ALLOW_PRIVATE_NETWORKS=True",
        "-s",
        f"STORE_SPILL_PATH={spill}",
        database_url=through(proxy, postgres_url),
        env={"DEMO_PORTAL_URL": base_url},
    )
    assert second.returncode == 0, second.output[-4000:]
    assert f"Writing {len(spilled)} articles an earlier run could not store" in second.output
    assert not spill.exists()
    final = rows(postgres_url)
    paths = [urlsplit(row["url"]).path for row in final]
    assert sorted(row["canonical_url"] for row in final) == reference, "each stored once"
    # the spilled articles were written before anything the second run crawled itself
    ids = {urlsplit(row["url"]).path: row["id"] for row in final}
    crawled_by_second = set(paths) - stored_before - spilled_paths
    assert crawled_by_second, "the first run stopped before the end of the portal"
    assert max(ids[path] for path in spilled_paths) < min(ids[p] for p in crawled_by_second)
    assert PASSWORD not in second.output


def test_spill_file_round_trip_survives_a_torn_last_line(tmp_path: Path) -> None:
    published = datetime(2019, 1, 16, 15, 18, tzinfo=SHANGHAI)
    spilled = [
        {"url": "http://a.cn/1.html", "title": "金融科技", "published_at": published},
        {"url": "http://a.cn/2.html", "title": "云计算", "published_at": None, "category": ["云"]},
    ]
    path = spill_path_for(str(tmp_path / "unsaved-{database}.jsonl"), "sqlite:///x.sqlite3")
    assert path != spill_path_for(str(tmp_path / "unsaved-{database}.jsonl"), "sqlite:///y")
    write_spill(path, spilled)
    with path.open("a", encoding="utf-8") as spill:
        spill.write('{"url": "http://a.cn/3.ht')  # a crash in the middle of a line
    assert read_spill(path) == spilled
    assert read_spill(tmp_path / "missing.jsonl") == []
