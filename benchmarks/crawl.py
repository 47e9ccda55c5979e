"""How close is the full pipeline to bare Scrapy? A crawl benchmark on a local portal.

    .venv/bin/python benchmarks/crawl.py            # 10,000 articles (5,000 per section)
    .venv/bin/python benchmarks/crawl.py --quick    # 1,000 articles, a fast check
    .venv/bin/python benchmarks/crawl.py --profile  # also profile the pipeline (cProfile)
    .venv/bin/python benchmarks/crawl.py --quick --repeat 3 --extraction-processes 1

What it does, in one run:

1. builds the demo portal (``demo_portal.content.build_portal``) with realistic Chinese article
   pages and paginated listings, and serves it on 127.0.0.1 from a thread of this process;
2. measures what the server can deliver alone (keep-alive clients in a separate process), so a
   slow server cannot pass for a slow crawler;
3. runs our full pipeline, ``scrapy crawl portal -a site=demo`` into a fresh SQLite database,
   sampling the crawler's RSS at 10% and 100% of the pages;
4. runs a bare Scrapy spider (no project settings, middlewares or pipelines, same concurrency)
   over exactly the URLs the pipeline fetched, and doing nothing with the responses;
5. times ``crawler.loaders.build_article`` (what the spider calls per article) per page;
6. with ``--profile``, runs the pipeline crawl again under cProfile and names the largest costs.

``--repeat N`` runs steps 3 and 4 N times, alternating, and prints the spread: other work on
the machine moves single figures by a third or more. ``--extraction-processes N`` runs the
pipeline with ``-s EXTRACTION_PROCESSES=N`` (article extraction in N worker processes); the
RSS figures then include the workers.

The figures go to stdout; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks._demo_crawl import demo_crawl_command  # noqa: E402
from demo_portal.content import Portal, build_portal  # noqa: E402
from demo_portal.server import DemoPortalServer, start_server, stop_server  # noqa: E402

# The same concurrency for both crawls: our defaults from settings/base.py.
CONCURRENCY = {"CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 8}


@dataclass
class CrawlFigures:
    pages: int
    seconds: float
    rss_10_mb: float | None = None
    rss_100_mb: float | None = None
    # CPU of the crawl subprocess and the processes it waited for (extraction workers), and
    # of this process (the portal server's threads, the RSS sampler) while it ran.
    crawler_cpu_seconds: float = 0.0
    server_cpu_seconds: float = 0.0

    def cpu_ms_per_page(self) -> tuple[float, float]:
        """(crawler, server) CPU milliseconds per page, start-up included."""
        pages = max(self.pages, 1)
        return self.crawler_cpu_seconds * 1000 / pages, self.server_cpu_seconds * 1000 / pages

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


class CpuMeter:
    """CPU seconds used by this process's waited-for children (a crawl subprocess and, through
    it, its extraction workers) and by this process itself, between start and stop."""

    def __init__(self) -> None:
        self.children = self.own = 0.0
        self._start = (0.0, 0.0)

    @staticmethod
    def _read() -> tuple[float, float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = resource.getrusage(resource.RUSAGE_SELF)
        return children.ru_utime + children.ru_stime, own.ru_utime + own.ru_stime

    def __enter__(self) -> CpuMeter:
        self._start = self._read()
        return self

    def __exit__(self, *_: object) -> None:
        children, own = self._read()
        self.children, self.own = children - self._start[0], own - self._start[1]


def rss_mb(pid: int) -> float | None:
    """Resident set size of a process and its descendants (extraction workers), in MB."""
    try:
        own = None
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                own = int(line.split()[1]) / 1024
        if own is None:
            return None
        return own + sum(rss_mb(child) or 0.0 for child in _children(pid))
    except OSError:
        return None


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with_children = task / "children"
        if with_children.exists():
            children += [int(child) for child in with_children.read_text().split()]
    return children


def served_pages(server: DemoPortalServer) -> int:
    return sum(server.request_counts.values())


# --- 2. the server alone -----------------------------------------------------------------------

LOAD_CLIENT = r"""
import http.client, sys, threading, time
host, port, seconds, workers = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
paths = sys.stdin.read().split()
done = [0] * workers
def work(index):
    connection = http.client.HTTPConnection(host, port)
    deadline = time.monotonic() + seconds
    position = index
    while time.monotonic() < deadline:
        connection.request("GET", paths[position % len(paths)])
        connection.getresponse().read()
        done[index] += 1
        position += workers
threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(sum(done) / seconds)
"""


def server_capacity(base_url: str, paths: list[str], seconds: float = 4.0) -> float:
    """Pages/s the server delivers to 8 keep-alive clients (the crawl's per-domain limit)."""
    host, port = base_url.removeprefix("http://").split(":")
    completed = subprocess.run(
        [sys.executable, "-c", LOAD_CLIENT, host, port, str(seconds), "8"],
        input="\n".join(paths),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    return float(completed.stdout.strip())


# --- 3. the full pipeline ----------------------------------------------------------------------


def run_pipeline(
    base_url: str,
    server: DemoPortalServer,
    expected_pages: int,
    workdir: Path,
    *,
    profile_to: Path | None = None,
    settings: tuple[str, ...] = (),
) -> CrawlFigures:
    database = workdir / ("profiled.sqlite3" if profile_to else "articles.sqlite3")
    command, environment = demo_crawl_command(
        base_url,
        database,
        *settings,
        log_level="INFO",
        python_options=("-m", "cProfile", "-o", str(profile_to)) if profile_to else (),
    )
    server.request_counts.clear()
    log_path = workdir / ("profiled.log" if profile_to else "pipeline.log")
    started = time.monotonic()
    with CpuMeter() as cpu, log_path.open("wb") as log:
        crawl = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        rss_10 = rss_100 = None
        while crawl.poll() is None:
            done = served_pages(server)
            sample = rss_mb(crawl.pid)
            if sample is not None:
                if rss_10 is None and done >= expected_pages * 0.1:
                    rss_10 = sample
                if done >= expected_pages * 0.99:
                    rss_100 = max(rss_100 or 0.0, sample)
            time.sleep(0.05)
    seconds = time.monotonic() - started
    if crawl.returncode != 0:
        raise SystemExit(f"pipeline crawl failed ({crawl.returncode}); see {log_path}")
    summary = log_path.read_text("utf-8")
    pages, crawl_seconds = _summary_pages(summary)
    return CrawlFigures(pages, crawl_seconds or seconds, rss_10, rss_100, cpu.children, cpu.own)


def _summary_pages(summary: str) -> tuple[int, float]:
    """Pages and seconds from the run summary ('Run summary: ..., 12.3 s' / 'pages fetched N')."""
    head = summary[summary.rindex("Run summary:") :].splitlines()
    seconds = float(head[0].rsplit(",", 1)[1].strip().removesuffix(" s"))
    pages = int(head[1].split()[2])
    return pages, seconds


# --- 4. bare Scrapy ----------------------------------------------------------------------------


def bare_worker(urls_file: str) -> None:
    """Runs in a subprocess: a spider that fetches the URLs and does nothing with them."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls = Path(urls_file).read_text().split()

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self) -> Any:
            for url in urls:
                yield scrapy.Request(url, callback=self.parse)

        def parse(self, response: Any) -> None:
            return None

    process = CrawlerProcess(
        settings={
            **CONCURRENCY,
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
            "ROBOTSTXT_OBEY": False,
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        }
    )
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(
        json.dumps(
            {
                "pages": stats.get("response_received_count", 0),
                "seconds": stats.get("elapsed_time_seconds", 0.0),
            }
        )
    )


def run_bare(urls: list[str], workdir: Path) -> CrawlFigures:
    urls_file = workdir / "urls.txt"
    urls_file.write_text("\n".join(urls))
    with CpuMeter() as cpu:
        completed = subprocess.run(
            [sys.executable, __file__, "--bare-worker", str(urls_file)],
            cwd=workdir,  # not the project root: no scrapy.cfg, no project settings
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
    if completed.returncode != 0:
        raise SystemExit(f"bare crawl failed:\n{completed.stderr[-3000:]}")
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    return CrawlFigures(
        int(figures["pages"]),
        float(figures["seconds"]),
        crawler_cpu_seconds=cpu.children,
        server_cpu_seconds=cpu.own,
    )


def print_cpu_budget(pipeline: CrawlFigures, bare: CrawlFigures) -> None:
    """What the machine's cores allow: a crawl cannot go faster than its CPU per page lets
    it, however well its work is spread over processes."""
    crawler_ms, server_ms = pipeline.cpu_ms_per_page()
    bare_ms, bare_server_ms = bare.cpu_ms_per_page()
    cores = len(os.sched_getaffinity(0))
    ceiling = cores * 1000 / (crawler_ms + server_ms)
    needed = cores * 1000 / (0.7 * bare.pages_per_second) - server_ms
    print(
        f"CPU per page (start-up included): pipeline {crawler_ms:.2f} ms in the crawler and "
        f"its workers + {server_ms:.2f} ms in the server; bare {bare_ms:.2f} + "
        f"{bare_server_ms:.2f} ms"
    )
    print(
        f"on {cores} cores, fully used, the pipeline's CPU allows at most {ceiling:.0f} pages/s "
        f"= {ceiling / bare.pages_per_second:.2f} of bare; 0.70 would need the crawler at "
        f"<= {needed:.2f} ms of CPU per page"
    )


# --- 5. extraction per page --------------------------------------------------------------------


def extraction_times(portal: Portal, base_url: str, sample: int) -> list[float]:
    from scrapy.http import HtmlResponse, Request

    from crawler.loaders import build_article

    pages = portal.pages()
    paths = portal.article_paths[:: max(1, len(portal.article_paths) // sample)][:sample]
    timings = []
    for path in paths:
        url = base_url + path
        page = pages[path]
        response = HtmlResponse(
            url,
            body=page.body,
            headers={"Content-Type": page.content_type_header},
            request=Request(url),
        )
        started = time.perf_counter()
        build_article(response, None, site_name="demo")
        timings.append((time.perf_counter() - started) * 1000)
    return timings


# --- 6. profile --------------------------------------------------------------------------------


def print_profile(profile: Path, top: int = 25) -> None:
    stats = pstats.Stats(str(profile))
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        short = filename.replace(str(PROJECT_ROOT) + "/", "").replace(
            str(Path(sys.prefix)) + "/", ""
        )
        rows.append((own, cumulative, calls, f"{short}:{line}({name})"))
    print(f"\nProfile of the pipeline crawl ({total:.1f} s of CPU in the crawler process)")
    print("  largest own time (where the CPU goes):")
    for own, cumulative, calls, where in sorted(rows, reverse=True)[:top]:
        print(
            f"    {own / total:6.1%}  own {own:7.2f} s  cum {cumulative:7.2f} s  {calls:>9}  {where}"
        )
    ours = [row for row in rows if row[3].startswith(("crawler/", "pipelines/", "storage/"))]
    print("  largest cumulative time in project code (what to fix):")
    for own, cumulative, _calls, where in sorted(ours, key=lambda row: -row[1])[:top]:
        print(f"    {cumulative / total:6.1%}  cum {cumulative:7.2f} s  own {own:7.2f} s  {where}")


def _spread(values: list[float], spec: str) -> str:
    """``median (min-max)`` of repeated figures."""
    return f"{statistics.median(values):{spec}} ({min(values):{spec}}-{max(values):{spec}})"


# --- main --------------------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="1,000 articles instead of 10,000")
    parser.add_argument("--articles-per-section", type=int, default=None)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="profile the pipeline crawl too")
    parser.add_argument("--extraction-sample", type=int, default=500)
    parser.add_argument(
        "--extraction-processes",
        type=int,
        default=None,
        help="EXTRACTION_PROCESSES for the pipeline crawl (default: the project setting)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="run the pipeline and bare crawls N times each"
    )
    parser.add_argument("--bare-worker", metavar="URLS_FILE", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.bare_worker:
        bare_worker(arguments.bare_worker)
        return 0
    per_section = arguments.articles_per_section or (500 if arguments.quick else 5000)
    started = time.monotonic()
    portal = build_portal(articles_per_section=per_section, page_size=arguments.page_size)
    print(
        f"portal: {len(portal.articles)} articles, {len(portal.listing_paths)} listing pages "
        f"(built in {time.monotonic() - started:.1f} s)"
    )
    server, base_url = start_server(portal=portal)
    assert isinstance(server, DemoPortalServer)
    try:
        with tempfile.TemporaryDirectory(prefix="crawl-bench-") as directory:
            workdir = Path(directory)
            capacity = server_capacity(base_url, portal.article_paths)
            print(f"server alone: {capacity:.0f} pages/s (8 keep-alive clients)")

            expected = len(portal.article_paths) + len(portal.listing_paths)
            settings: tuple[str, ...] = ()
            if arguments.extraction_processes is not None:
                settings = (f"EXTRACTION_PROCESSES={arguments.extraction_processes}",)
                print(f"pipeline setting: EXTRACTION_PROCESSES={arguments.extraction_processes}")
            ratios, pipeline_rates, bare_rates = [], [], []
            for repetition in range(max(1, arguments.repeat)):
                # a fresh database each time: into the same one, incremental crawling would
                # fetch almost nothing the second time
                run_directory = workdir / f"run-{repetition + 1}"
                run_directory.mkdir()
                pipeline = run_pipeline(
                    base_url, server, expected, run_directory, settings=settings
                )
                fetched = sorted(server.request_counts)
                print(
                    f"pipeline: {pipeline.pages} pages in {pipeline.seconds:.1f} s = "
                    f"{pipeline.pages_per_second:.0f} pages/s; RSS {pipeline.rss_10_mb:.0f} MB at "
                    f"10%, {pipeline.rss_100_mb:.0f} MB at 100% "
                    f"(growth {(pipeline.rss_100_mb or 0) - (pipeline.rss_10_mb or 0):.0f} MB)"
                )
                bare = run_bare(
                    [base_url + path for path in fetched if path != "/robots.txt"], run_directory
                )
                print(
                    f"bare Scrapy: {bare.pages} pages in {bare.seconds:.1f} s = "
                    f"{bare.pages_per_second:.0f} pages/s"
                )
                ratio = pipeline.pages_per_second / bare.pages_per_second
                print(f"ratio pipeline/bare: {ratio:.2f} (target >= 0.70)")
                print_cpu_budget(pipeline, bare)
                ratios.append(ratio)
                pipeline_rates.append(pipeline.pages_per_second)
                bare_rates.append(bare.pages_per_second)
            if len(ratios) > 1:
                print(
                    f"over {len(ratios)} runs: pipeline {_spread(pipeline_rates, '.0f')} pages/s, "
                    f"bare {_spread(bare_rates, '.0f')} pages/s, ratio {_spread(ratios, '.2f')}"
                )
            print(
                f"server headroom: {capacity / max(max(bare_rates), 1):.1f}x the bare "
                "crawl's rate"
                + (
                    ""
                    if capacity > 1.5 * max(bare_rates)
                    else "  <-- the server may be the bottleneck"
                )
            )
            timings = extraction_times(portal, base_url, arguments.extraction_sample)
            quantiles = statistics.quantiles(timings, n=20)
            print(
                f"extraction (build_article, {len(timings)} pages): median "
                f"{statistics.median(timings):.1f} ms, p95 {quantiles[18]:.1f} ms"
            )
            if arguments.profile:
                profile = workdir / "pipeline.prof"
                run_pipeline(
                    base_url, server, expected, workdir, profile_to=profile, settings=settings
                )
                print_profile(profile)
    finally:
        stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
