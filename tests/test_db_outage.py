"""Nothing lost when PostgreSQL goes away mid-crawl.

The database is reached through a TCP proxy on 127.0.0.1 that the test cuts (every connection
reset, new ones refused) while the crawl runs; the server itself keeps running, and the test
checks the stored rows directly, not through the proxy. Two outcomes: the proxy comes back and
the waiting articles are written; or it does not, the run ends ``storage_failed`` with the
unsaved articles in the spill file, and the next run writes them first.

The proxy can also go silent: connections stay open and every byte is accepted, but nothing is
forwarded (a hung server, a middlebox that lost the flow; TCP keepalives cannot see it). A write
must then fail within ``DATABASE_NETWORK_TIMEOUT`` instead of blocking the writer forever.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from crawler.dates import SHANGHAI
from demo_portal.content import Portal, build_portal
from demo_portal.server import start_server, stop_server
from pipelines.store import read_spill, spill_path_for, write_spill
from storage.database import DatabaseUnavailable, open_database, resolve_network_timeout
from storage.repository import ArticleRepository
from tests.conftest import CrawlResult, crawl_portal, rows
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


class SilentProxy(TcpProxy):
    """A TcpProxy that can also go silent: it keeps every connection open and reads what both
    sides send, but forwards nothing, so the client's packets are acknowledged and its
    statements are never answered."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.silent = threading.Event()
        super().__init__(target_host, target_port)

    def go_silent(self) -> None:
        self.silent.set()

    def restore(self) -> None:
        self.silent.clear()
        super().restore()

    def _relay(self, chunk: bytes, sink: socket.socket) -> None:
        if not self.silent.is_set():
            sink.sendall(chunk)


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[SilentProxy]:
    url = make_url(postgres_url)
    tcp_proxy = SilentProxy(url.host or "127.0.0.1", url.port or 5432)
    yield tcp_proxy
    tcp_proxy.close()


def through(proxy: TcpProxy, postgres_url: str) -> str:
    """The database URL via the proxy, with a password that must never be printed."""
    url = make_url(postgres_url).set(port=proxy.port, password=PASSWORD)
    return url.render_as_string(hide_password=False)


def recovery_crawl(base_url: str, proxy: TcpProxy, postgres_url: str, spill: Path) -> CrawlResult:
    """The next run once the database is back: it writes what ``spill`` kept, then crawls."""
    proxy.restore()
    return crawl_portal(
        base_url, through(proxy, postgres_url), "-a", "site=demo", "-s", f"STORE_SPILL_PATH={spill}"
    )


def start_outage_crawl(
    base_url: str,
    proxy: TcpProxy,
    postgres_url: str,
    spill: Path,
    log_path: Path,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """A slow crawl of the demo portal into PostgreSQL through ``proxy`` that gives up on the
    database quickly (2 s, 2 failed writes) and spills to ``spill``."""
    return start_scrapy(
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
        env={"DEMO_PORTAL_URL": base_url, **(env or {})},
    )


@pytest.fixture(scope="module")
def reference(portal: tuple[str, Portal], tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """What an undisturbed crawl of the portal stores: the outage runs must match it exactly
    (this keeps the test about storage, whatever the extractor makes of single pages)."""
    base_url, demo = portal
    database_url = f"sqlite:///{tmp_path_factory.mktemp('reference') / 'articles.sqlite3'}"
    result = crawl_portal(base_url, database_url, "-a", "site=demo")
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


def break_mid_crawl(
    crawl: subprocess.Popen[bytes], database_url: str, log_path: Path, break_it: Callable[[], None]
) -> str:
    """Once ``crawl`` has stored 10 rows, ``break_it()`` (cut a proxy, …); the crawl must then
    end by itself with exit status 1. Its log."""
    try:
        assert wait_until(lambda: count_rows(database_url) >= 10, timeout=60)
        break_it()
        assert crawl.wait(timeout=120) == 1, log_path.read_text("utf-8")[-4000:]
    finally:
        if crawl.poll() is None:
            crawl.kill()
    return log_path.read_text("utf-8")


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
    first = start_outage_crawl(base_url, proxy, postgres_url, spill, log_path)
    output = break_mid_crawl(first, postgres_url, log_path, proxy.cut)
    assert "Giving up on postgresql+psycopg://postgres:***@" in output
    assert "result          FAILED: finish reason storage_failed;" in output
    spilled = [json.loads(line) for line in spill.read_text("utf-8").splitlines()]
    assert spilled, "the articles waiting for the database were kept"
    assert f"{len(spilled)} articles not stored (kept in {spill})" in output
    stored_before = set(stored_paths(postgres_url))
    spilled_paths = {urlsplit(row["url"]).path for row in spilled}
    assert not stored_before & spilled_paths
    assert PASSWORD not in output

    second = recovery_crawl(base_url, proxy, postgres_url, spill)
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
    spilled: list[dict[str, Any]] = [
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


def _article(number: int) -> dict[str, object]:
    body = f"第{number}篇：金融科技与云计算的数据中心建设持续推进。" * 3
    return {
        "url": f"http://news.example.cn/silent/{number}.html",
        "canonical_url": f"http://news.example.cn/silent/{number}.html",
        "site": "example",
        "title": f"标题{number}",
        "source": None,
        "author": None,
        "published_at": None,
        "summary": None,
        "category": None,
        "body": body,
        "body_html": None,
        "content_hash": hashlib.sha256(body.encode()).hexdigest(),
    }


DEFAULT_PORTS = {"postgres": 5432, "mariadb": 3306}
# What each driver says when a statement gets no answer: our psycopg wait timeout, PyMySQL's
# socket read timeout ("Lost connection to MySQL server during query (timed out)").
STATEMENT_ERRORS = {
    "postgres": r"no answer from the database server for 1 s",
    "mariadb": r"Lost connection .*timed out",
}
# A batch may fail in the pool's ping, or in reconnecting (the connect timeout) after it.
BATCH_ERRORS = {
    "postgres": r"no answer from the database server for 1 s|connection timeout expired",
    "mariadb": r"timed out",
}


@pytest.mark.parametrize("backend", ["postgres", "mariadb"])
def test_a_silent_database_fails_the_write_within_the_network_timeout(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = make_url(str(request.getfixturevalue(f"{backend}_url")))
    silent = SilentProxy(url.host or "127.0.0.1", url.port or DEFAULT_PORTS[backend])
    via_proxy = url.set(port=silent.port).render_as_string(hide_password=False)
    repository = ArticleRepository(open_database(via_proxy, network_timeout=1.0))
    try:
        assert repository.save_batch([_article(1)]).stored == 1
        # in the middle of a transaction: the statement's answer never comes
        with repository.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            silent.go_silent()
            started = time.monotonic()
            with pytest.raises(OperationalError, match=STATEMENT_ERRORS[backend]):
                connection.execute(text("SELECT 1"))
        assert time.monotonic() - started < 5
        # a whole batch through the pool (ping, reconnect) fails as promptly
        started = time.monotonic()
        with pytest.raises(OperationalError, match=BATCH_ERRORS[backend]):
            repository.save_batch([_article(2)])
        assert time.monotonic() - started < 10
        # the dead connections were thrown away: once the server answers again, writes work
        silent.restore()
        assert repository.save_batch([_article(2)]).stored == 1
    finally:
        silent.go_silent()  # nothing may reach the server while the engine is closed
        silent.close()
        repository.engine.dispose()


def test_network_timeout_comes_from_the_environment_or_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_NETWORK_TIMEOUT", raising=False)
    assert resolve_network_timeout(None) == 120.0
    assert resolve_network_timeout("2.5") == 2.5
    assert resolve_network_timeout(0) is None
    monkeypatch.setenv("DATABASE_NETWORK_TIMEOUT", "7")
    assert resolve_network_timeout(30.0) == 7.0
    monkeypatch.setenv("DATABASE_NETWORK_TIMEOUT", "soon")
    with pytest.raises(DatabaseUnavailable, match="DATABASE_NETWORK_TIMEOUT must be a number"):
        resolve_network_timeout(30.0)


def test_a_database_gone_silent_mid_crawl_is_an_outage_not_a_hang(
    portal: tuple[str, Portal],
    proxy: SilentProxy,
    postgres_url: str,
    tmp_path: Path,
) -> None:
    """The silent database fails the writes like a lost connection: the articles wait, the run
    gives up after STORE_OUTAGE_TIMEOUT and keeps them in the spill file, and it ends."""
    base_url, _ = portal
    spill = tmp_path / "spill.jsonl"
    log_path = tmp_path / "silent.log"
    crawl = start_outage_crawl(
        base_url,
        proxy,
        postgres_url,
        spill,
        log_path,
        # the environment variable reaches every engine of the run (store and run records)
        env={"DATABASE_NETWORK_TIMEOUT": "1"},
    )
    output = break_mid_crawl(crawl, postgres_url, log_path, proxy.go_silent)
    assert re.search(r"Could not write .*: .*(" + BATCH_ERRORS["postgres"] + ")", output)
    assert "Giving up on postgresql+psycopg://postgres:***@" in output
    spilled = read_spill(spill)
    assert spilled, "the articles waiting for the database were kept"
    assert f"{len(spilled)} articles not stored (kept in {spill})" in output
    stored = {urlsplit(row["url"]).path for row in rows(postgres_url)}
    assert not stored & {urlsplit(row["url"]).path for row in spilled}
    assert PASSWORD not in output
