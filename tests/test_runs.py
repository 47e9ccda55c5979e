"""Run records (crawl_runs, crawler/runs.py): written for every run, failed ones included, with
the counts, the coverage and the monitoring warnings; articles point at the run that first
stored them; runs that lose the database or Redis say so, and the next run picks up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import insert, select

from crawler.runs import (
    INTERRUPTED_REASON,
    STATUS_INTERRUPTED,
    close_abandoned_runs,
    process_is_gone,
    read_spilled_records,
    run_spill_path,
    spider_arguments,
    spill_record,
    write_spilled_records,
)
from crawler.sites import ARTICLE_FIELDS
from crawler.spiders.portal import PortalSpider
from demo_portal.content import Portal, build_portal
from demo_portal.server import DemoPortalServer, start_server, stop_server
from storage.database import open_database
from storage.models import CrawlRun
from tests.conftest import PROJECT_ROOT, crawl_portal, rows, run_scrapy
from tests.fault_portal import FaultPortal, Route, TcpProxy, article_html, start_scrapy
from tests.test_db_outage import (
    PASSWORD,
    SLOW_CRAWL,
    SilentProxy,
    break_mid_crawl,
    proxy,  # noqa: F401 (fixture)
    recovery_crawl,
    start_outage_crawl,
    through,
)
from tests.test_db_outage import portal as outage_portal  # noqa: F401 (fixture)
from tests.test_distributed import REDIS_URL, redis_prefix  # noqa: F401 (fixture)


def serve(html: str) -> Route:
    return lambda handler, attempt: handler.send_page(html)


def crawl_runs(url: str) -> list[dict[str, Any]]:
    engine = open_database(url)
    try:
        with engine.connect() as connection:
            result = connection.execute(select(CrawlRun.__table__).order_by(CrawlRun.id))
            return [dict(row._mapping) for row in result]
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def small_portal() -> Iterator[tuple[str, Portal]]:
    demo = build_portal(articles_per_section=6, page_size=4)
    server, base_url = start_server(portal=demo)
    yield base_url, demo
    stop_server(server)


def crawl_demo(base_url: str, database_url: str, *extra: str) -> str:
    result = crawl_portal(base_url, database_url, "-a", "site=demo", *extra)
    assert result.returncode == 0, result.output[-3000:]
    return result.output


def test_every_run_is_recorded_and_articles_keep_the_run_that_first_stored_them(
    small_portal: tuple[str, Portal], database_url: str
) -> None:
    base_url, demo = small_portal
    crawl_demo(base_url, database_url)
    [first] = crawl_runs(database_url)
    stored = rows(database_url)
    assert first["spider"] == "portal" and first["site"] == "demo"
    assert isinstance(first["arguments"], dict) and first["arguments"]["site"] == "demo"
    assert first["host"]
    assert first["status"] == "finished" and first["finish_reason"] == "finished"
    assert first["error_message"] is None
    assert isinstance(first["started_at"], datetime) and first["started_at"].tzinfo is not None
    assert first["finished_at"] >= first["started_at"]
    assert first["articles_new"] == len(stored) > 0
    dropped = first["dropped"]
    assert isinstance(dropped, dict) and first["articles_dropped"] == sum(dropped.values())
    # every extracted article is stored, a duplicate (the seed page is served twice), or dropped
    assert first["articles_extracted"] == (
        len(stored) + first["articles_duplicate"] + first["articles_dropped"]
    )
    assert first["articles_duplicate"] in (0, 1)
    assert first["errors"] == 0
    assert first["pages_fetched"] >= len(demo.articles)  # listings and robots.txt too
    coverage = first["coverage"]
    assert isinstance(coverage, dict) and set(coverage) == set(ARTICLE_FIELDS)
    assert coverage["title"] == 1.0 and coverage["published_at"] == 1.0
    without_body = dropped.get("missing_body", 0)
    assert coverage["body"] == round(1 - without_body / first["articles_extracted"], 4)
    assert 0.0 < coverage["source"] <= 1.0
    assert first["warnings"] == []
    assert {row["first_run_id"] for row in stored} == {first["id"]}

    # a full re-crawl (incremental crawling would skip every page already stored)
    crawl_demo(base_url, database_url, "-s", "INCREMENTAL_ENABLED=False")
    first_again, second = crawl_runs(database_url)
    assert first_again == first, "a later run never rewrites an earlier record"
    assert second["status"] == "finished" and second["id"] != first["id"]
    assert second["articles_new"] == 0
    assert second["articles_unchanged"] + second["articles_updated"] == len(stored)
    assert second["warnings"] == []
    assert {row["first_run_id"] for row in rows(database_url)} == {first["id"]}


def test_run_records_can_be_switched_off(small_portal: tuple[str, Portal], sqlite_url: str) -> None:
    base_url, _ = small_portal
    crawl_demo(base_url, sqlite_url, "-s", "RUN_RECORDS_ENABLED=False")
    assert crawl_runs(sqlite_url) == []
    assert {row["first_run_id"] for row in rows(sqlite_url)} == {None}


def test_spilled_run_records_complete_their_row_or_become_new_ones(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = open_database(sqlite_url)
    started = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    with engine.begin() as connection:
        result = connection.execute(
            insert(CrawlRun).values(spider="portal", site="a", started_at=started, status="running")
        )
        assert result.inserted_primary_key is not None
        opened = result.inserted_primary_key[0]
    spill = run_spill_path(str(tmp_path / "unsaved-{database}.jsonl"), sqlite_url)
    assert spill.name.endswith(".runs.jsonl") and spill.parent == tmp_path
    finished = {"finished_at": started, "status": "failed", "finish_reason": "storage_failed"}
    spill_record(spill, {"id": opened, "spider": "portal", "site": "a", **finished})
    spill_record(spill, {"id": None, "spider": "portal", "site": "b", "started_at": started,
                         **finished})  # fmt: skip
    with spill.open("a", encoding="utf-8") as torn:
        torn.write('{"id": 9, "spid')
    assert len(read_spilled_records(spill)) == 2
    assert write_spilled_records(engine, spill) == 2
    assert not spill.exists()
    engine.dispose()
    records = crawl_runs(sqlite_url)
    assert [(r["site"], r["status"], r["finish_reason"]) for r in records] == [
        ("a", "failed", "storage_failed"),
        ("b", "failed", "storage_failed"),
    ]
    assert records[0]["id"] == opened and records[1]["started_at"] == started


def _reaped_pid() -> int:
    """The id of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_process_is_gone_tells_ended_and_reused_process_ids_from_live_ones() -> None:
    now = datetime.now(UTC)
    assert process_is_gone(_reaped_pid(), now - timedelta(minutes=1))
    # this process is alive and was started before a record opened now
    assert not process_is_gone(os.getpid(), now)
    # a record opened a day ago by "this pid": this process started later, so the id was
    # reused and the record's own process is gone
    assert process_is_gone(os.getpid(), now - timedelta(days=1))


def test_the_next_run_marks_this_hosts_records_of_ended_processes_interrupted(
    database_url: str,
) -> None:
    host = socket.gethostname()
    now = datetime.now(UTC)
    dead = _reaped_pid()
    opened = [
        ("killed here", host, dead, now - timedelta(minutes=5)),
        ("still running here", host, os.getpid(), now),
        ("pid reused here", host, os.getpid(), now - timedelta(days=2)),
        ("other machine", "another-host", dead, now - timedelta(minutes=5)),
        ("before pids were kept", host, None, now - timedelta(days=30)),
    ]
    engine = open_database(database_url)
    try:
        with engine.begin() as connection:
            for site, run_host, pid, started in opened:
                connection.execute(
                    insert(CrawlRun).values(
                        spider="portal", site=site, host=run_host, pid=pid, started_at=started,
                        status="running",
                    )
                )  # fmt: skip
            connection.execute(
                insert(CrawlRun).values(
                    spider="portal", site="finished here", host=host, pid=dead,
                    started_at=now - timedelta(hours=1), status="finished",
                    finish_reason="finished",
                )
            )  # fmt: skip
        with engine.begin() as connection:
            marked = close_abandoned_runs(connection, host)
        with engine.begin() as connection:
            assert close_abandoned_runs(connection, host) == []  # nothing left to mark
    finally:
        engine.dispose()
    records = {record["site"]: record for record in crawl_runs(database_url)}
    assert sorted(marked) == sorted(
        records[site]["id"] for site in ("killed here", "pid reused here")
    )
    assert {site: record["status"] for site, record in records.items()} == {
        "killed here": STATUS_INTERRUPTED,
        "still running here": "running",
        "pid reused here": STATUS_INTERRUPTED,
        "other machine": "running",
        "before pids were kept": "running",
        "finished here": "finished",
    }
    killed = records["killed here"]
    assert killed["finish_reason"] == INTERRUPTED_REASON
    assert "ended without completing this record" in killed["error_message"]
    assert killed["finished_at"] is None  # when it died is not known


# Drives RunRecorder's two signal handlers in a reactor of its own (a process can run only
# one), pausing between them until the test creates the file named by argv[3].
RECORDER_SCRIPT = """
import asyncio, sys
from pathlib import Path
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from scrapy.utils.test import get_crawler
from crawler.runs import RunRecorder
from crawler.spiders.portal import PortalSpider

database_url, spill, go_on = sys.argv[1], sys.argv[2], Path(sys.argv[3])

async def one_run():
    crawler = get_crawler(PortalSpider, {"DATABASE_URL": database_url, "STORE_SPILL_PATH": spill})
    spider = PortalSpider.from_crawler(crawler, site="demo")
    recorder = RunRecorder(crawler)
    await recorder.spider_opened(spider)
    print("opened, run id", recorder.run_id, flush=True)
    while not go_on.exists():
        await asyncio.sleep(0.05)
    crawler.stats.set_value("response_received_count", 7)
    crawler.stats.set_value("articles/stored", 5)
    await recorder.spider_closed(spider, "finished")
    print("closed, run id", recorder.run_id, flush=True)

def start():
    done = Deferred.fromFuture(asyncio.ensure_future(one_run()))
    done.addErrback(lambda failure: print(failure.getTraceback(), flush=True))
    done.addBoth(lambda _: reactor.stop())

reactor.callWhenRunning(start)
reactor.run()
"""


def test_a_run_record_that_cannot_be_opened_at_start_is_written_at_the_end(
    proxy: SilentProxy,  # noqa: F811 (fixture)
    postgres_url: str,
    tmp_path: Path,
) -> None:
    """Under Scrapyd or crawlall (no preflight of their own), a database away at spider open
    does not stop the crawl: it goes on without a run id and the whole record is inserted
    when the spider closes."""
    go_on = tmp_path / "go-on"
    proxy.cut()
    recorder = subprocess.Popen(
        [sys.executable, "-c", RECORDER_SCRIPT, through(proxy, postgres_url),
         str(tmp_path / "unsaved-{database}.jsonl"), str(go_on)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert recorder.stdout is not None
        lines: list[str] = []
        while not any(line.startswith("opened") for line in lines):
            line = recorder.stdout.readline()
            assert line, "".join(lines)[-3000:]
            lines.append(line)
        assert "opened, run id None\n" in lines
        proxy.restore()
        go_on.touch()
        rest, _ = recorder.communicate(timeout=60)
    finally:
        if recorder.poll() is None:
            recorder.kill()
    output = "".join(lines) + rest
    assert recorder.returncode == 0, output[-3000:]
    assert "Could not open this run's record in postgresql+psycopg://" in output
    assert "crawling without a run id" in output
    assert PASSWORD not in output
    records = crawl_runs(postgres_url)
    assert [(r["site"], r["status"], r["pages_fetched"], r["articles_new"]) for r in records] == [
        ("demo", "finished", 7, 5)
    ]
    assert f"closed, run id {records[0]['id']}" in output
    assert records[0]["pid"] == recorder.pid and records[0]["started_at"] is not None


def test_arguments_are_the_spiders_and_mask_credentials() -> None:
    spider = PortalSpider.from_crawler(
        get_crawler(PortalSpider),
        start_url="https://news.example.cn/list/",
        max_pages="3",
        mirror="postgresql+psycopg://crawler:s3cret@db/news",
    )
    arguments = spider_arguments(spider)
    assert arguments["start_url"] == "https://news.example.cn/list/"
    assert arguments["max_pages"] == 3
    assert arguments["mirror"] == "postgresql+psycopg://crawler:***@db/news"
    assert "s3cret" not in str(arguments)


# --- monitoring end to end ------------------------------------------------------------------


def test_a_site_whose_date_extraction_breaks_gets_a_warning_and_exit_status_3(
    sqlite_url: str,
) -> None:
    portal = FaultPortal()

    def publish(batch: str, published: str) -> None:
        """A new batch of articles on the listing; ``published`` is the date line."""
        links = [(f"/news/{batch}{n}.html", f"{batch}批第{n}篇科技资讯报道标题") for n in range(8)]
        portal.add_listing(links)
        for path, title in links:
            portal.routes[path] = serve(article_html(title, published=published))

    publish("a", "2019年1月16日 15:18")
    portal.start()
    try:
        arguments = (
            "-a",
            f"start_url={portal.base_url}/list.html",
            "-s",
            "MONITOR_FAIL_ON_WARNING=True",
        )
        first = crawl_portal(portal.base_url, sqlite_url, *arguments)
        assert first.returncode == 0, first.output[-3000:]
        publish("b", "")  # the portal's new layout: our date extraction finds nothing
        second = crawl_portal(portal.base_url, sqlite_url, *arguments)
        portal.add_listing([])  # the listing's markup changed: no article list we recognise
        third = crawl_portal(portal.base_url, sqlite_url, *arguments)
    finally:
        portal.stop()
    assert second.returncode == 3, second.output[-3000:]
    assert "result          ok" in second.stderr
    assert (
        "  warnings        1\n    - site 127.0.0.1: date coverage fell to 0% of 8" in second.stderr
    )
    earlier, latest, linkless = crawl_runs(sqlite_url)
    assert earlier["coverage"]["published_at"] == 1.0 and earlier["warnings"] == []
    assert latest["coverage"]["published_at"] == 0.0
    assert latest["status"] == "finished"
    assert latest["warnings"] and "date coverage fell to 0%" in latest["warnings"][0]

    assert third.returncode == 3, third.output[-3000:]
    assert "    - site 127.0.0.1: no article links found on its listing pages" in third.stderr
    assert linkless["articles_extracted"] == 0 and len(linkless["warnings"]) == 1


# --- the database or Redis going away -------------------------------------------------------


def test_a_run_stopped_by_a_database_outage_is_recorded_by_the_next_run(
    outage_portal: tuple[str, Portal],  # noqa: F811
    proxy: TcpProxy,  # noqa: F811
    postgres_url: str,
    tmp_path: Path,
) -> None:
    base_url, _ = outage_portal
    spill = tmp_path / "spill.jsonl"
    log_path = tmp_path / "first.log"
    first = start_outage_crawl(base_url, proxy, postgres_url, spill, log_path)
    before_the_cut: list[dict[str, Any]] = []

    def record_then_cut() -> None:
        before_the_cut.extend(crawl_runs(postgres_url))
        proxy.cut()

    output = break_mid_crawl(first, postgres_url, log_path, record_then_cut)
    [running] = before_the_cut
    assert running["status"] == "running" and running["finished_at"] is None
    runs_spill = tmp_path / "spill.runs.jsonl"
    assert "Could not store this run's record in postgresql+psycopg://postgres:***@" in output
    assert f"kept in {runs_spill}" in output
    assert f"Run record {running['id']} completed" not in output
    assert runs_spill.exists()
    [still_running] = crawl_runs(postgres_url)
    assert still_running["status"] == "running", "nothing could reach the database"

    second = recovery_crawl(base_url, proxy, postgres_url, spill)
    assert second.returncode == 0, second.output[-4000:]
    assert "Wrote 1 run records an earlier run could not store" in second.output
    assert not runs_spill.exists()
    failed, recovered = crawl_runs(postgres_url)
    assert failed["id"] == running["id"]
    # storage_failed whether the store gave up mid-crawl or while the spider was closing
    assert failed["status"] == "failed" and failed["finish_reason"] == "storage_failed"
    assert failed["finished_at"] is not None
    assert f"articles not stored (kept in {spill})" in str(failed["error_message"])
    assert failed["errors"] >= 2
    assert recovered["status"] == "finished"
    # the unsaved articles written by the second run count as its own
    first_runs = {row["first_run_id"] for row in rows(postgres_url)}
    assert first_runs <= {failed["id"], recovered["id"], None}
    assert failed["id"] in first_runs


def start_worker(base_url: str, database_url: str, redis_url: str, prefix: str, spill: Path,
                 log_path: Path) -> subprocess.Popen[bytes]:  # fmt: skip
    return start_scrapy(
        "crawl",
        "portal",
        "-a",
        "site=demo",
        *SLOW_CRAWL,
        "-s",
        f"SCALEOUT_KEY_PREFIX={prefix}",
        "-s",
        "SCALEOUT_IDLE_CLOSE_SECONDS=2",
        "-s",
        f"SCALEOUT_SPILL_PATH={spill}",
        # the worker that lost Redis could not clear its busy mark: it expires after this
        "-s",
        "SCALEOUT_BUSY_TTL=4",
        "-s",
        f"STORE_SPILL_PATH={spill.with_name('unsaved.jsonl')}",
        database_url=database_url,
        log_path=log_path,
        env={
            "DEMO_PORTAL_URL": base_url,
            "SCRAPY_SETTINGS_MODULE": "settings.distributed",
            "REDIS_URL": redis_url,
        },
    )


def test_losing_redis_ends_the_run_with_its_reason_and_the_next_run_finishes_the_crawl(
    redis_prefix: str,  # noqa: F811
    postgres_url: str,
    tmp_path: Path,
) -> None:
    demo = build_portal(articles_per_section=40, page_size=10)
    server, base_url = start_server(portal=demo)
    assert isinstance(server, DemoPortalServer)
    redis_target = urlsplit(REDIS_URL)
    redis_proxy = TcpProxy(redis_target.hostname or "127.0.0.1", redis_target.port or 6379)
    via_proxy = f"redis://127.0.0.1:{redis_proxy.port}{redis_target.path or '/0'}"
    spill = tmp_path / "unqueued.jsonl"
    try:
        log_path = tmp_path / "first.log"
        first = start_worker(base_url, postgres_url, via_proxy, redis_prefix, spill, log_path)
        output = break_mid_crawl(first, postgres_url, log_path, redis_proxy.cut)
        assert f"Redis {via_proxy} unavailable while" in output
        assert "result          FAILED: finish reason redis_unavailable; Redis " in output
        [record] = crawl_runs(postgres_url)
        assert record["status"] == "failed" and record["finish_reason"] == "redis_unavailable"
        assert f"Redis {via_proxy} unavailable while" in str(record["error_message"])
        stored_before = len(rows(postgres_url))

        redis_proxy.restore()
        log_path = tmp_path / "second.log"
        second = start_worker(base_url, postgres_url, via_proxy, redis_prefix, spill, log_path)
        try:
            assert second.wait(timeout=180) == 0, log_path.read_text("utf-8")[-4000:]
        finally:
            if second.poll() is None:
                second.kill()
    finally:
        redis_proxy.close()
        stop_server(server)
    assert not spill.exists()
    assert len(rows(postgres_url)) > stored_before
    # Between them the two runs fetched every page of the portal, and none twice: what was
    # queued stayed in Redis, what could not be queued was kept and queued by the next run.
    article_paths = {article.url_path for article in demo.articles}
    assert article_paths <= set(server.request_counts), sorted(
        article_paths - set(server.request_counts)
    )
    fetched_twice = {
        path: count
        for path, count in server.request_counts.items()
        if count > 1 and path != "/robots.txt"
    }
    assert not fetched_twice
    assert [r["status"] for r in crawl_runs(postgres_url)] == ["failed", "finished"]


def test_an_unreachable_redis_stops_the_crawl_before_it_starts(sqlite_url: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # a port nobody listens on
        port = listener.getsockname()[1]
    result = run_scrapy(
        "crawl",
        "portal",
        "-a",
        "start_url=http://127.0.0.1:9/list.html",
        database_url=sqlite_url,
        env={
            "SCRAPY_SETTINGS_MODULE": "settings.distributed",
            "REDIS_URL": f"redis://:s3cret@127.0.0.1:{port}/0",
        },
    )
    assert result.returncode == 1, result.output[-3000:]
    assert (
        f"error: cannot reach the shared frontier at Redis redis://:***@127.0.0.1:{port}/0:"
        in result.stderr
    )
    assert "s3cret" not in result.output
    assert crawl_runs(sqlite_url) == []
