"""Tests for the bundled demo portal: it is the crawl target of the README demo and of the
end-to-end crawl tests, so its pages, ground truth and server behaviour must be exact.

Pages are fetched over real HTTP from a server on 127.0.0.1 (port 0), with proxies
disabled so an http_proxy in the environment cannot intercept loopback traffic.
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import html as lxml_html

from demo_portal.content import (
    SEED_CLOUD_PATH,
    SEED_FINTECH_PATH,
    DemoArticle,
    Portal,
    build_portal,
)
from demo_portal.server import DemoPortalServer, start_server, stop_server

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = REPO_ROOT / "demo_portal" / "seed"
NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: Message
    body: bytes


def fetch(url: str, method: str = "GET") -> Fetched:
    request = urllib.request.Request(url, method=method)
    try:
        with NO_PROXY_OPENER.open(request, timeout=10) as response:
            return Fetched(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Fetched(error.code, error.headers, error.read())


def parse(fetched: Fetched, encoding: str) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(fetched.body.decode(encoding))


def declared_charset(content_type: str) -> str | None:
    match = re.search(r"charset=([\w-]+)", content_type, re.IGNORECASE)
    return match.group(1).lower() if match else None


@pytest.fixture(scope="module")
def portal() -> Portal:
    return build_portal()


@pytest.fixture(scope="module")
def served(portal: Portal) -> Iterator[tuple[DemoPortalServer, str]]:
    server, base_url = start_server(portal=portal)
    assert isinstance(server, DemoPortalServer)
    yield server, base_url
    stop_server(server)


@pytest.fixture(scope="module")
def base_url(served: tuple[DemoPortalServer, str]) -> str:
    return served[1]


def next_listing_url(section_slug: str, page_url: str, tree: lxml_html.HtmlElement) -> str | None:
    """The crawler-facing contract for pagination: 下一页 in fintech, '>' in cloud."""
    if section_slug == "fintech":
        links = tree.xpath('//div[@class="pagination"]/a[normalize-space(.)="下一页"]/@href')
    else:
        links = tree.xpath('//div[@class="pages"]/a[normalize-space(.)=">"]/@href')
    assert len(links) <= 1
    return urljoin(page_url, links[0]) if links else None


def main_list_links(section_slug: str, tree: lxml_html.HtmlElement) -> list[str]:
    expression = (
        '//ul[@class="news-list"]//h3/a/@href'
        if section_slug == "fintech"
        else '//table[@class="newslist"]//td[@class="t"]/a/@href'
    )
    links: list[str] = tree.xpath(expression)
    return links


# ---------------------------------------------------------------------------
# Ground truth
# ---------------------------------------------------------------------------


def test_default_portal_has_enough_distinct_articles(portal: Portal) -> None:
    originals = [a for a in portal.articles if a.duplicate_of is None]
    assert len(originals) >= 31  # at least 30 generated plus the seed story
    assert len({a.title for a in originals}) == len(originals)
    assert len({a.body for a in originals}) == len(originals)
    assert len(set(portal.article_paths)) == len(portal.articles)
    for article in originals:
        assert article.published_at.utcoffset() == timedelta(hours=8)
        assert article.category and all(isinstance(name, str) for name in article.category)
        assert article.source
        assert len(set(article.paragraphs)) == len(article.paragraphs), article.url_path
    generated = [a for a in originals if a.url_path != SEED_FINTECH_PATH]
    for article in generated:
        paragraph_lines = len(article.paragraphs) - (article.image_caption is not None)
        assert 4 <= paragraph_lines <= 8 + 2, article.url_path  # up to 2 subheadings
    # Every presentation variant occurs at least once.
    assert any(a.author is None for a in generated)
    assert any(a.author is not None for a in generated)
    assert any(a.summary is None for a in generated)
    assert any(a.summary is not None for a in generated)
    assert any(a.image_caption for a in generated)


def generated_articles(portal: Portal) -> list[DemoArticle]:
    """The generated stories: every article except both copies of the seed."""
    return [a for a in portal.articles if a.url_path not in (SEED_FINTECH_PATH, SEED_CLOUD_PATH)]


def shingles(text: str, size: int = 5) -> set[str]:
    """Character shingles of a body with all whitespace removed."""
    compact = re.sub(r"\s+", "", text)
    return {compact[i : i + size] for i in range(len(compact) - size + 1)}


def max_pairwise_jaccard(articles: list[DemoArticle]) -> float:
    sets = [shingles(article.body) for article in articles]
    return max(
        len(first & second) / len(first | second)
        for first, second in itertools.combinations(sets, 2)
    )


@pytest.mark.parametrize("per_section", [None, 60])
def test_generated_articles_are_distinct_stories(per_section: int | None) -> None:
    """Different stories must not look like near-duplicates of each other.

    The crawler's near-duplicate detection (character-shingle MinHash) would flag demo
    articles assembled from a small pool of whole sentences as copies; real stories on
    the same topic share words and phrases, never whole sentences.
    """
    portal = build_portal() if per_section is None else build_portal(per_section)
    articles = generated_articles(portal)
    assert len(articles) == 2 * (per_section or 18)
    assert max_pairwise_jaccard(articles) < 0.15
    seen: dict[str, str] = {}
    for article in articles:
        for sentence in set(re.findall(r"[^。\n]+。", article.body)):
            assert seen.setdefault(sentence, article.url_path) == article.url_path, sentence


def test_seed_ground_truth_comes_from_expected_json(portal: Portal) -> None:
    expected = json.loads((SEED_DIR / "expected.json").read_text(encoding="utf-8"))
    original = portal.article(SEED_FINTECH_PATH)
    copy = portal.article(SEED_CLOUD_PATH)
    for article in (original, copy):
        assert article.title == expected["title"]
        assert article.source == expected["source"]
        assert article.author == expected["author"]
        assert article.summary == expected["summary"]
        assert article.category == expected["category"]
        assert article.body == expected["body"]
        assert article.published_at.isoformat() == expected["published_at"]
    assert original.duplicate_of is None
    assert copy.duplicate_of == SEED_FINTECH_PATH
    assert (original.encoding, copy.encoding) == ("utf-8", "gbk")


def test_build_is_deterministic_and_sized_by_parameters() -> None:
    first, second = build_portal(), build_portal()
    assert first.pages() == second.pages()
    assert first.articles == second.articles
    for per_section, page_size in [(1, 1), (3, 2), (18, 8), (40, 10)]:
        portal = build_portal(articles_per_section=per_section, page_size=page_size)
        assert len(portal.articles) == 2 * per_section + 2
        expected_pages = math.ceil((per_section + 1) / page_size)
        for section in portal.sections:
            assert len(section.listing_paths) == expected_pages
            listed = {path for page in section.listing_items for path in page}
            assert listed == {a.url_path for a in portal.articles if a.section == section.slug}
    with pytest.raises(ValueError):
        build_portal(articles_per_section=0)


def test_pages_are_identical_across_processes(portal: Portal) -> None:
    """Seeded RNGs must not depend on PYTHONHASHSEED, or golden comparisons would drift."""
    script = (
        "import hashlib\n"
        "from demo_portal.content import build_portal\n"
        "pages = build_portal().pages()\n"
        "digest = hashlib.sha256()\n"
        "for path in sorted(pages):\n"
        "    digest.update(path.encode() + pages[path].content_type_header.encode())\n"
        "    digest.update(pages[path].body)\n"
        "print(digest.hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1


def test_articles_are_hashable_by_url(portal: Portal) -> None:
    assert len(set(portal.articles)) == len(portal.articles)


def test_large_portal_pagination_window_stays_short() -> None:
    portal = build_portal(articles_per_section=250, page_size=10)
    pages = portal.pages()
    cloud = portal.section("cloud")
    assert len(cloud.listing_paths) == 26
    middle = lxml_html.fromstring(pages[cloud.listing_paths[12]].body.decode("gb18030"))
    numbers = middle.xpath(
        '//div[@class="pages"]/a[number(.) = number(.)] | //div[@class="pages"]/b'
    )
    assert len(numbers) == 10
    assert middle.xpath('//div[@class="pages"]/b/text()') == ["13"]


# ---------------------------------------------------------------------------
# Served site structure
# ---------------------------------------------------------------------------


def test_home_page_and_robots(base_url: str) -> None:
    home = fetch(f"{base_url}/")
    assert home.status == 200
    assert home.headers["Content-Type"] == "text/html; charset=utf-8"
    links = set(parse(home, "utf-8").xpath("//a/@href"))
    assert {"/fintech/", "/cloud/"} <= links
    robots = fetch(f"{base_url}/robots.txt")
    assert robots.status == 200
    assert robots.body.decode() == "User-agent: *\nAllow: /\n"


@pytest.mark.parametrize("section_slug", ["fintech", "cloud"])
def test_listings_paginate_to_the_end(portal: Portal, base_url: str, section_slug: str) -> None:
    section = portal.section(section_slug)
    encoding = "utf-8" if section_slug == "fintech" else "gb18030"
    visited = []
    url: str | None = f"{base_url}{section.root_path}"
    while url is not None:
        fetched = fetch(url)
        assert fetched.status == 200
        path = urlsplit(url).path
        visited.append(section.listing_paths[0] if path == section.root_path else path)
        url = next_listing_url(section_slug, url, parse(fetched, encoding))
        assert len(visited) <= len(section.listing_paths)
    assert visited == section.listing_paths
    last = parse(fetch(f"{base_url}{section.listing_paths[-1]}"), encoding)
    if section_slug == "fintech":
        assert last.xpath('//div[@class="pagination"]/span[@class="disabled"][.="下一页"]')
        assert "下一页" not in "".join(last.xpath('//div[@class="pagination"]/a/text()'))
    else:
        assert "下一页" not in fetch(f"{base_url}{section.listing_paths[0]}").body.decode("gbk")


def test_every_article_is_reachable_from_the_main_lists(portal: Portal, base_url: str) -> None:
    reachable: set[str] = set()
    for section in portal.sections:
        encoding = "utf-8" if section.slug == "fintech" else "gb18030"
        for listing_path, expected_items in zip(
            section.listing_paths, section.listing_items, strict=True
        ):
            tree = parse(fetch(f"{base_url}{listing_path}"), encoding)
            links = main_list_links(section.slug, tree)
            assert links == expected_items
            reachable.update(links)
            # The sidebar and footer link elsewhere too, so "all links" is not the list.
            all_links = set(tree.xpath("//a/@href"))
            assert "/about/index.html" in all_links
            assert portal.non_article_paths and "/topic/jinrongyun/index.html" in all_links
            assert all_links - set(links) - {"/", section.root_path}
    assert reachable == set(portal.article_paths)
    assert SEED_FINTECH_PATH in portal.section("fintech").listing_items[0]
    assert SEED_CLOUD_PATH in reachable


def test_one_article_is_listed_on_two_listing_pages(portal: Portal) -> None:
    assert portal.twice_listed_path is not None
    fintech = portal.section("fintech")
    pages_listing_it = [page for page in fintech.listing_items if portal.twice_listed_path in page]
    assert len(pages_listing_it) == 2


def test_non_article_pages_are_served_and_linked(portal: Portal, base_url: str) -> None:
    for path in portal.non_article_paths:
        fetched = fetch(f"{base_url}{path}")
        assert fetched.status == 200, path
        assert fetched.headers["Content-Type"].startswith("text/html")
    topic = parse(fetch(f"{base_url}/topic/jinrongyun/index.html"), "utf-8")
    topic_links = topic.xpath('//div[@class="topic-list"]//a/@href')
    assert topic_links and set(topic_links) <= set(portal.article_paths)


def test_pdf_attachment_is_linked_and_served_as_pdf(portal: Portal, base_url: str) -> None:
    article_page = parse(fetch(f"{base_url}{portal.attachment_linked_from}"), "utf-8")
    assert portal.attachment_path in article_page.xpath('//div[@class="attachment"]/a/@href')
    pdf = fetch(f"{base_url}{portal.attachment_path}")
    assert pdf.status == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.body.startswith(b"%PDF-1.4") and pdf.body.rstrip().endswith(b"%%EOF")


# ---------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------


def test_fintech_pages_are_utf8_with_a_truthful_header(portal: Portal, base_url: str) -> None:
    paths = portal.section("fintech").listing_paths + [
        a.url_path for a in portal.articles if a.section == "fintech"
    ]
    for path in paths:
        fetched = fetch(f"{base_url}{path}")
        assert fetched.headers["Content-Type"] == "text/html; charset=utf-8"
        fetched.body.decode("utf-8")  # strict: raises if not UTF-8


def test_cloud_pages_are_gbk_and_headers_lie_where_intended(portal: Portal, base_url: str) -> None:
    cloud = portal.section("cloud")
    for path in cloud.listing_paths:
        fetched = fetch(f"{base_url}{path}")
        assert fetched.headers["Content-Type"] == "text/html"
        text = fetched.body.decode("gb18030")
        assert 'charset=gb2312"' in text
        with pytest.raises(UnicodeDecodeError):
            fetched.body.decode("utf-8")
    cloud_articles = [a for a in portal.articles if a.section == "cloud"]
    assert SEED_CLOUD_PATH in portal.lying_header_paths
    assert 1 < len(portal.lying_header_paths) < len(cloud_articles)
    seen_headers = set()
    for article in cloud_articles:
        fetched = fetch(f"{base_url}{article.url_path}")
        header = fetched.headers["Content-Type"]
        seen_headers.add(header)
        text = fetched.body.decode("gb18030")
        assert re.search(
            r'<meta http-equiv="Content-Type" content="text/html; charset=gb(2312|k)"', text
        )
        with pytest.raises(UnicodeDecodeError):
            fetched.body.decode("utf-8")
        lies = declared_charset(header) == "utf-8"
        assert lies == (article.url_path in portal.lying_header_paths), article.url_path
    assert seen_headers == {"text/html; charset=utf-8", "text/html", "text/html; charset=GBK"}


def test_seed_pages_are_served_byte_for_byte(base_url: str) -> None:
    utf8 = fetch(f"{base_url}{SEED_FINTECH_PATH}")
    gbk = fetch(f"{base_url}{SEED_CLOUD_PATH}")
    assert utf8.body == (SEED_DIR / "article-utf8.html").read_bytes()
    assert gbk.body == (SEED_DIR / "article-gbk.html").read_bytes()
    # Same story, same markup; only the declared charset differs.
    gbk_text = gbk.body.decode("gb18030").replace("charset=gbk", "charset=utf-8", 1)
    assert gbk_text == utf8.body.decode("utf-8")


# ---------------------------------------------------------------------------
# Rendered articles agree with the ground truth
# ---------------------------------------------------------------------------


def rendered_body(tree: lxml_html.HtmlElement) -> str:
    """Body blocks of any of the three article layouts (fintech, cloud, seed copies)."""
    blocks = tree.xpath('//div[@class="article-content" or @class="content"]/*') or tree.xpath(
        '//td[@id="zoom"]/p'
    )
    texts = [block.text_content().strip() for block in blocks]
    return "\n".join(text for text in texts if text)


def test_article_pages_match_ground_truth(portal: Portal, base_url: str) -> None:
    for article in portal.articles:
        fetched = fetch(f"{base_url}{article.url_path}")
        assert fetched.status == 200
        encoding = "utf-8" if article.encoding == "utf-8" else "gb18030"
        tree = parse(fetched, encoding)
        page_text = fetched.body.decode(encoding)
        assert tree.xpath("normalize-space(//h1)") == article.title
        assert rendered_body(tree) == article.body, article.url_path
        assert article.source in page_text
        if article.author:
            assert article.author in page_text
        if article.url_path in (SEED_FINTECH_PATH, SEED_CLOUD_PATH):
            continue
        moment = article.published_at
        if article.section == "fintech":
            assert f"发布时间：{moment:%Y-%m-%d %H:%M}" in page_text
            assert "责任编辑：" in page_text and "首页</a> &gt; <a" in page_text
            summary_block = tree.xpath('//div[@class="article-summary"]')
            assert bool(summary_block) == (article.summary is not None)
            if article.summary:
                assert summary_block[0].text_content() == f"摘要：{article.summary}"
        else:
            short = f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"
            long = f"{moment:%Y年%m月%d日%H:%M:%S}"
            assert short in page_text or long in page_text
            if long not in page_text:
                assert moment.second == 0
            assert "稿源：" in page_text or "来源:" in page_text
            description = tree.xpath('//meta[@name="description"]/@content')
            assert description == ([article.summary] if article.summary else [])


# ---------------------------------------------------------------------------
# HTTP behaviour
# ---------------------------------------------------------------------------


def test_unknown_paths_are_404_with_content_length(base_url: str) -> None:
    for path in ["/nope.html", "/fintech/20190116/1.html", "/news/0.html", "/cloud/index_99.shtml"]:
        fetched = fetch(f"{base_url}{path}")
        assert fetched.status == 404, path
        assert int(fetched.headers["Content-Length"]) == len(fetched.body)
        assert "404" in fetched.body.decode("utf-8")


def test_content_length_head_query_strings_and_directory_redirects(
    portal: Portal, base_url: str
) -> None:
    pages = portal.pages()
    for path in ["/", "/fintech/index.html", SEED_CLOUD_PATH, "/robots.txt"]:
        fetched = fetch(f"{base_url}{path}")
        assert fetched.body == pages[path].body
        assert int(fetched.headers["Content-Length"]) == len(pages[path].body)
    head = fetch(f"{base_url}/fintech/index.html", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert int(head.headers["Content-Length"]) == len(pages["/fintech/index.html"].body)
    with_query = fetch(f"{base_url}/fintech/index.html?from=nav")
    assert with_query.body == pages["/fintech/index.html"].body
    connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=10)
    connection.request("GET", "/cloud")
    response = connection.getresponse()
    response.read()
    assert response.status == 301 and response.getheader("Location") == "/cloud/"
    connection.close()
    assert fetch(f"{base_url}/cloud/").body == pages["/cloud/index.shtml"].body


def test_server_is_quiet_counts_requests_and_is_fast(
    served: tuple[DemoPortalServer, str], capfd: pytest.CaptureFixture[str]
) -> None:
    server, base_url = served
    paths = sorted(server.page_table)
    before = server.request_counts["/robots.txt"]
    request_total = 600

    def worker(share: int) -> None:
        connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=10)
        for index in range(share):
            connection.request("GET", paths[index % len(paths)])
            response = connection.getresponse()
            response.read()
            assert response.status == 200
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(request_total // 4,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    # "Several hundred requests/s" with a wide margin for slow CI machines.
    assert request_total / elapsed > 150, f"{request_total / elapsed:.0f} requests/s"
    assert server.request_counts["/robots.txt"] > before
    captured = capfd.readouterr()
    assert captured.err == ""


def test_cli_prints_base_url_and_serves_until_terminated() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "demo_portal", "--port", "0", "--articles-per-section", "3"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", first_line), first_line
        home = fetch(f"{first_line}/")
        assert home.status == 200
        listing = fetch(f"{first_line}/fintech/index.html")
        assert SEED_FINTECH_PATH.encode() in listing.body
    finally:
        process.terminate()
        try:
            _, stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0
    assert stderr == ""
