"""What does a re-crawl of an unchanged portal cost? Incremental crawling, measured.

    .venv/bin/python benchmarks/incremental_crawl.py              # 1,000 articles, 20 per listing page
    .venv/bin/python benchmarks/incremental_crawl.py --articles-per-section 100 --page-size 10

What it does:

1. builds the demo portal (``demo_portal.content.build_portal``) and serves it on 127.0.0.1
   from a thread of this process; the server answers conditional requests like nginx;
2. crawls it (``scrapy crawl portal -a site=demo``) into a fresh SQLite database;
3. crawls the unchanged portal again into the same database, and prints the pages the server
   answered for each crawl (robots.txt included), the 304s, and the fraction;
4. does the same against the server with validators switched off (no ETag/Last-Modified, never
   304), where the crawl stops at the first listing page whose articles are all stored;
5. publishes one new article on the first listing page (its entry was held back so far) and
   crawls again: the new article is fetched and stored, not much else.

The figures go to stdout; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import create_engine, func, select  # noqa: E402

from benchmarks._demo_crawl import demo_crawl_command  # noqa: E402
from demo_portal.content import Page, build_portal  # noqa: E402
from demo_portal.server import DemoPortalServer, start_server, stop_server  # noqa: E402
from storage.models import Article  # noqa: E402


@dataclass
class CrawlFigures:
    requests: int
    article_requests: int
    not_modified: int
    seconds: float
    rows: int


def crawl(
    server: DemoPortalServer, base_url: str, database: Path, article_paths: set[str]
) -> CrawlFigures:
    server.request_counts.clear()
    server.not_modified_counts.clear()
    command, environment = demo_crawl_command(base_url, database, log_level="WARNING")
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        raise SystemExit(f"crawl failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        rows = int(connection.execute(select(func.count()).select_from(Article)).scalar_one())
    engine.dispose()
    counts = server.request_counts
    return CrawlFigures(
        requests=sum(counts.values()),
        article_requests=sum(count for path, count in counts.items() if path in article_paths),
        not_modified=sum(server.not_modified_counts.values()),
        seconds=seconds,
        rows=rows,
    )


def without_listed_article(page: Page, article_path: str) -> Page:
    """The listing page before ``article_path`` was published on it."""
    html = page.body.decode("utf-8")
    entry = re.compile(
        r'<li class="news-item">(?:(?!</li>).)*?' + re.escape(article_path) + r".*?</li>\n?",
        re.DOTALL,
    )
    return Page(entry.sub("", html, count=1).encode("utf-8"), page.content_type_header)


def report(label: str, figures: CrawlFigures, first: CrawlFigures | None = None) -> None:
    line = (
        f"{label:<34} {figures.requests:>6} pages ({figures.article_requests} articles,"
        f" {figures.not_modified} answered 304), {figures.seconds:5.1f} s, {figures.rows} rows"
    )
    if first is not None:
        line += f"; {figures.requests / first.requests:.1%} of the first crawl"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles-per-section", type=int, default=500)
    parser.add_argument("--page-size", type=int, default=20)
    options = parser.parse_args()
    portal = build_portal(options.articles_per_section, options.page_size)
    article_paths = set(portal.article_paths)
    fintech = portal.section("fintech")
    front_page = fintech.listing_paths[0]
    held_back = fintech.listing_items[0][2]
    print(
        f"demo portal: {len(article_paths)} article URLs, {len(portal.listing_paths)} listing "
        f"pages ({options.page_size} per page); pages = requests the server answered, "
        "robots.txt included",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="incremental-bench-") as workdir:
        server, base_url = start_server(portal=portal)
        assert isinstance(server, DemoPortalServer)
        try:
            database = Path(workdir) / "articles.sqlite3"
            published = server.page_table[front_page]
            server.page_table[front_page] = server.page_table[fintech.root_path] = (
                without_listed_article(published, held_back)
            )
            first = crawl(server, base_url, database, article_paths)
            report("first crawl", first)
            second = crawl(server, base_url, database, article_paths)
            report("second crawl, portal unchanged", second, first)

            server.conditional_requests = False
            no_validators = crawl(server, base_url, database, article_paths)
            report("same, server sends no validators", no_validators, first)
            server.conditional_requests = True

            server.page_table[front_page] = server.page_table[fintech.root_path] = published
            after_news = crawl(server, base_url, database, article_paths)
            report("after one new article", after_news, first)
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
