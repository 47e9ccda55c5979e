"""Tests for crawler.listing: article links and next page on listing pages never seen before.

Two kinds of test: hand-written listing pages in the styles Chinese portals use
(``tests/fixtures/listings/*.html`` with their answers in ``expected.json``: the exact article
list, links that must be absent and the next page), and small inline pages, one per heuristic,
so that a regression names the rule it broke.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from parsel import Selector

from crawler.listing import find_article_links, find_next_page, same_site, select_links

FIXTURES = Path(__file__).parent / "fixtures" / "listings"
EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (FIXTURES / "expected.json").read_text(encoding="utf-8")
)


def load_fixture(name: str) -> Selector:
    return Selector(text=(FIXTURES / name).read_text(encoding="utf-8"))


def page(body: str, head: str = "") -> Selector:
    return Selector(text=f"<html><head>{head}</head><body>{body}</body></html>")


def headline_list(*hrefs: str, dated: bool = True) -> str:
    """A main list of plausible headlines, so next-page tests have a realistic page around them."""
    items = "".join(
        f'<li><a href="{href}">第{number}条行业新闻的标题写得足够长</a>'
        + ("<span>2024-03-15</span>" if dated else "")
        + "</li>"
        for number, href in enumerate(hrefs, start=1)
    )
    return f'<ul class="news-list">{items}</ul>'


# =============================================================================================
# Fixture pages


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(path.name for path in FIXTURES.glob("*.html")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_article_links(name: str) -> None:
    expected = EXPECTED[name]
    links = find_article_links(load_fixture(name), expected["url"])
    assert links == expected["articles"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_links_that_must_be_absent(name: str) -> None:
    expected = EXPECTED[name]
    links = set(find_article_links(load_fixture(name), expected["url"]))
    assert links.isdisjoint(expected["absent"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_next_page(name: str) -> None:
    expected = EXPECTED[name]
    assert find_next_page(load_fixture(name), expected["url"]) == expected["next"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_results_are_stable_across_calls(name: str) -> None:
    """Memoised per-page state must not leak between calls on the same selector."""
    expected = EXPECTED[name]
    selector = load_fixture(name)
    first = (
        find_article_links(selector, expected["url"]),
        find_next_page(selector, expected["url"]),
    )
    second = (
        find_article_links(selector, expected["url"]),
        find_next_page(selector, expected["url"]),
    )
    assert first == second


def test_a_large_listing_page_is_analysed_in_milliseconds() -> None:
    """A portal page with a mega menu, a long list and sidebars: ~900 links."""
    menu = "".join(f'<li><a href="/channel{i}/">频道{i}</a></li>' for i in range(300))
    main = "".join(
        f'<li><a href="/news/2024/03/{i:02d}/{100000 + i}.html">第{i}条新闻标题写得足够长的样子</a>'
        f"<span>2024-03-{i % 28 + 1:02d}</span></li>"
        for i in range(300)
    )
    side = "".join(
        f'<li><a href="/hot/{200000 + i}.html">热点新闻{i}标题写得足够长</a></li>'
        for i in range(300)
    )
    pager = "".join(f'<a href="/news/list_{i}.html">{i}</a>' for i in range(2, 12))
    selector = page(
        f'<div class="nav"><ul>{menu}</ul></div><div class="main"><ul>{main}</ul>'
        f'<div class="page"><span>1</span>{pager}<a href="/news/list_2.html">下一页</a></div></div>'
        f'<div class="hot"><ul>{side}</ul></div>'
    )
    url = "http://www.example.cn/news/list_1.html"
    assert len(find_article_links(selector, url)) == 300
    assert find_next_page(selector, url) == "http://www.example.cn/news/list_2.html"
    rounds = 5
    started = time.perf_counter()
    for _ in range(rounds):
        find_article_links(selector, url)
        find_next_page(selector, url)
    per_page = (time.perf_counter() - started) / rounds
    # ~60 ms on a loaded 2-core box; the bound only catches blow-ups (something quadratic
    # in the number of links would take seconds here).
    assert per_page < 0.5


# =============================================================================================
# Article links: inline pages, one heuristic each

BASE = "http://www.example.com.cn/news/index.html"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("", [], id="empty page"),
        pytest.param(
            '<div class="nav"><a href="/a/">首页</a><a href="/b/">国内</a><a href="/c/">国际</a></div>',
            [],
            id="navigation only: nothing rather than a guess",
        ),
        pytest.param(
            headline_list("/news/2024/1.html", "/news/2024/1.html#comments", "/news/2024/2.html"),
            [
                "http://www.example.com.cn/news/2024/1.html",
                "http://www.example.com.cn/news/2024/2.html",
            ],
            id="deduplicated without fragments, in page order",
        ),
        pytest.param(
            headline_list(
                "/news/2024/1.html",
                "javascript:void(0)",
                "mailto:editor@example.com.cn",
                "#top",
                "/files/2024/report.pdf",
                "/files/2024/photo.JPG",
                "/files/2024/data.zip",
                "http://www.other-site.org/news/2024/9.html",
                "/news/2024/2.html",
            ),
            [
                "http://www.example.com.cn/news/2024/1.html",
                "http://www.example.com.cn/news/2024/2.html",
            ],
            id="non-page, binary and off-site links dropped",
        ),
        pytest.param(
            headline_list("http://news.example.com.cn/2024/1.html", "/news/2024/2.html"),
            [
                "http://news.example.com.cn/2024/1.html",
                "http://www.example.com.cn/news/2024/2.html",
            ],
            id="other subdomain of the same site kept",
        ),
        pytest.param(
            headline_list("/news/2024/1.html", "index.html", "index_2.html", "/news/2024/2.html"),
            [
                "http://www.example.com.cn/news/2024/1.html",
                "http://www.example.com.cn/news/2024/2.html",
            ],
            id="the page itself and its sibling listing pages are not articles",
        ),
    ],
)
def test_article_link_filters(body: str, expected: list[str]) -> None:
    assert find_article_links(page(body), BASE) == expected


def test_article_ids_beside_a_numbered_listing_are_not_its_pages() -> None:
    selector = page(headline_list("/news/81234.html", "/news/81230.html", "/news/6.html"))
    assert find_article_links(selector, "http://www.example.com.cn/news/5.html") == [
        "http://www.example.com.cn/news/81234.html",
        "http://www.example.com.cn/news/81230.html",
    ]


SIDEBAR_ITEMS = "".join(
    f'<li><a href="/news/2024/0{i}/hot{i}.html">热点新闻第{i}条标题也写得足够长</a></li>'
    for i in range(1, 10)
)
MAIN_LIST = headline_list("/news/2024/m1.html", "/news/2024/m2.html", "/news/2024/m3.html")
MAIN_LINKS = [
    "http://www.example.com.cn/news/2024/m1.html",
    "http://www.example.com.cn/news/2024/m2.html",
    "http://www.example.com.cn/news/2024/m3.html",
]


@pytest.mark.parametrize(
    "sidebar",
    [
        pytest.param(f"<aside><ul>{SIDEBAR_ITEMS}</ul></aside>", id="aside tag"),
        pytest.param(f"<nav><ul>{SIDEBAR_ITEMS}</ul></nav>", id="nav tag"),
        pytest.param(f'<div class="sidebar"><ul>{SIDEBAR_ITEMS}</ul></div>', id="class sidebar"),
        pytest.param(f'<div class="side_r"><ul>{SIDEBAR_ITEMS}</ul></div>', id="class side_r"),
        pytest.param(f'<div id="hotNews"><ul>{SIDEBAR_ITEMS}</ul></div>', id="id hotNews"),
        pytest.param(f'<div class="rank-list"><ul>{SIDEBAR_ITEMS}</ul></div>', id="class rank"),
        pytest.param(f'<ul class="recommendList">{SIDEBAR_ITEMS}</ul>', id="class recommend"),
        pytest.param(f'<div class="friendlink"><ul>{SIDEBAR_ITEMS}</ul></div>', id="friend links"),
        pytest.param(
            f'<div class="box"><h3>热点排行</h3><ul>{SIDEBAR_ITEMS}</ul></div>', id="热点排行"
        ),
        pytest.param(
            f'<div class="box"><div class="t">推荐阅读</div><ul>{SIDEBAR_ITEMS}</ul></div>',
            id="推荐阅读",
        ),
        pytest.param(
            f'<div class="box"><h4>相关新闻</h4><ul>{SIDEBAR_ITEMS}</ul></div>', id="相关新闻"
        ),
        pytest.param(f'<div class="footer"><ul>{SIDEBAR_ITEMS}</ul></div>', id="page footer"),
        pytest.param(f"<footer><ul>{SIDEBAR_ITEMS}</ul></footer>", id="footer tag"),
    ],
)
def test_longer_sidebar_lists_lose_to_the_main_list(sidebar: str) -> None:
    body = f'<div class="w"><div class="l">{MAIN_LIST}</div>{sidebar}</div>'
    assert find_article_links(page(body), BASE) == MAIN_LINKS


@pytest.mark.parametrize(
    "class_name", ["photo-list", "table-news", "stage", "inside-list", "headline-list"]
)
def test_class_words_that_only_contain_a_chrome_hint_are_not_chrome(class_name: str) -> None:
    """Tokens match whole words: photo is not hot, table is not tag, headline is not header."""
    body = f'<div class="{class_name}">{MAIN_LIST}</div>'
    assert find_article_links(page(body), BASE) == MAIN_LINKS


def test_list_split_over_sibling_blocks_is_one_list() -> None:
    first = headline_list("/news/2024/a1.html", "/news/2024/a2.html")
    second = headline_list("/news/2024/a3.html", "/news/2024/a4.html")
    body = f'<div class="list">{first}<div class="line"></div>{second}</div>'
    assert find_article_links(page(body), BASE) == [
        f"http://www.example.com.cn/news/2024/a{i}.html" for i in range(1, 5)
    ]


def test_list_split_over_sibling_boxes_is_one_list() -> None:
    box = '<div class="box">{}</div>'
    body = (
        '<div class="main">'
        + box.format(headline_list("/news/2024/a1.html", "/news/2024/a2.html"))
        + box.format(headline_list("/news/2024/a3.html", "/news/2024/a4.html"))
        + "</div>"
    )
    assert find_article_links(page(body), BASE) == [
        f"http://www.example.com.cn/news/2024/a{i}.html" for i in range(1, 5)
    ]


def test_card_title_link_wins_over_image_and_more_links() -> None:
    cards = "".join(
        f'<div class="item"><a class="img" href="/news/2024/c{i}.html"><img src="/p{i}.jpg"></a>'
        f'<h2><a href="/news/2024/c{i}.html">卡片式列表第{i}条新闻的标题</a></h2>'
        f"<p>摘要摘要摘要摘要摘要摘要摘要摘要。</p><span>2024-03-1{i}</span>"
        f'<a class="more" href="/news/2024/c{i}.html">[详细]</a></div>'
        for i in range(1, 4)
    )
    assert find_article_links(page(f'<div class="list">{cards}</div>'), BASE) == [
        f"http://www.example.com.cn/news/2024/c{i}.html" for i in range(1, 4)
    ]


def test_category_labels_beside_titles_are_left_out() -> None:
    items = "".join(
        f'<li>[<a href="/news/gn/">国内</a>] <a href="/news/2024/0315/{i}.html">'
        f"带栏目标签的列表第{i}条新闻标题</a> <span>03-15</span></li>"
        for i in range(1, 4)
    )
    assert find_article_links(page(f"<ul>{items}</ul>"), BASE) == [
        f"http://www.example.com.cn/news/2024/0315/{i}.html" for i in range(1, 4)
    ]


def test_channel_named_like_a_sidebar_still_yields_its_list() -> None:
    """A 热点 title only lowers a list's score: on a 热点关注 channel it is the only list."""
    body = f'<div class="box"><h2>热点关注</h2>{MAIN_LIST}</div>'
    assert find_article_links(page(body), BASE) == MAIN_LINKS


def test_page_level_body_class_is_not_chrome() -> None:
    """WordPress tag archives say <body class="archive tag tag-fintech">."""
    selector = Selector(
        text=f'<html><body class="archive tag tag-fintech"><div>{MAIN_LIST}</div></body></html>'
    )
    assert find_article_links(selector, BASE) == MAIN_LINKS


def test_comment_count_links_beside_titles_are_left_out() -> None:
    items = "".join(
        f'<li><a href="/news/2024/0315/{i}.html">带评论数的列表第{i}条新闻标题</a>'
        f'<a href="/comment/8123{i}.html">评论(3)</a><span>03-15</span></li>'
        for i in range(1, 4)
    )
    assert find_article_links(page(f"<ul>{items}</ul>"), BASE) == [
        f"http://www.example.com.cn/news/2024/0315/{i}.html" for i in range(1, 4)
    ]


@pytest.mark.parametrize(
    "items",
    [
        '<li><a href="/news/2024/0315/1.html">两会观察</a><span>03-15</span></li>'
        '<li><a href="/news/2024/0315/2.html">全国政协十四届二次会议闭幕</a><span>03-15</span></li>',
        '<li><a href="/news/2024/0315/1.html">两会观察</a> (03-15)<br>'
        '<a href="/news/2024/0315/2.html">全国政协十四届二次会议闭幕</a> (03-15)<br>'
        '<a href="/news/2024/0315/3.html">全国人大十四届二次会议闭幕</a> (03-15)</li>',
    ],
    ids=["own item", "among br-separated headlines"],
)
def test_short_headlines_are_kept(items: str) -> None:
    links = find_article_links(page(f"<ul>{items}</ul>"), BASE)
    assert links[:2] == [
        "http://www.example.com.cn/news/2024/0315/1.html",
        "http://www.example.com.cn/news/2024/0315/2.html",
    ]


def test_image_only_cards_keep_their_links() -> None:
    """A photo wall: no headline text anywhere, the URLs carry the list."""
    items = "".join(
        f'<li><a href="/photo/2024/0315/{i}8123.html"><img src="/p{i}.jpg" alt="图{i}"></a></li>'
        for i in range(1, 4)
    )
    assert find_article_links(page(f'<ul class="pics">{items}</ul>'), BASE) == [
        f"http://www.example.com.cn/photo/2024/0315/{i}8123.html" for i in range(1, 4)
    ]


def test_base_href_is_honoured() -> None:
    selector = page(
        headline_list("2024/1.html", "2024/2.html"),
        head='<base href="http://www.example.com.cn/archive/">',
    )
    assert find_article_links(selector, BASE) == [
        "http://www.example.com.cn/archive/2024/1.html",
        "http://www.example.com.cn/archive/2024/2.html",
    ]


def test_localhost_portal_with_port() -> None:
    """The demo portal runs on 127.0.0.1 with a port; links to another port are another site."""
    selector = page(
        headline_list(
            "/news/2024/1.html", "http://127.0.0.1:9999/news/2024/2.html", "/news/2024/3.html"
        )
    )
    assert find_article_links(selector, "http://127.0.0.1:8000/news/") == [
        "http://127.0.0.1:8000/news/2024/1.html",
        "http://127.0.0.1:8000/news/2024/3.html",
    ]


# =============================================================================================
# Next page: inline pages

LIST_URL = "http://www.example.com.cn/news/list_2.html"
NEXT_URL = "http://www.example.com.cn/news/list_3.html"
LIST_BODY = headline_list("/news/2024/a1.html", "/news/2024/a2.html")


@pytest.mark.parametrize(
    "control",
    [
        '<a href="list_3.html">下一页</a>',
        '<a href="list_3.html">下页</a>',
        '<a href="list_3.html">下一頁</a>',
        '<a href="list_3.html">后页</a>',
        '<a href="list_3.html"> 下一页 &gt;&gt; </a>',
        '<a href="list_3.html">[下一页]</a>',
        '<a href="list_3.html"><span>下一页</span></a>',
        '<a href="list_3.html">next</a>',
        '<a href="list_3.html">Next ›</a>',
        '<a href="list_3.html">Next Page</a>',
        '<a href="list_3.html" title="下一页"><img src="/img/next.gif"></a>',
        '<a href="list_3.html"><img src="/img/next.gif" alt="下一页"></a>',
        '<a href="list_3.html" class="next"></a>',
        '<a href="list_3.html" id="nextPage">→</a>',
        '<li class="next"><a href="list_3.html">&nbsp;</a></li>',
        '<a href="list_3.html" class="page-next">下一页</a>',
        '<a href="/news/list_3.html#top">下一页</a>',
        '<a href="http://www.example.com.cn/news/list_3.html">下一页</a>',
    ],
)
def test_next_control_texts_and_classes(control: str) -> None:
    pager = (
        f'<div class="pages"><a href="list_1.html">上一页</a><a href="list_1.html">1</a>'
        f'<span class="current">2</span><a href="list_4.html">4</a>{control}'
        f'<a href="list_9.html">尾页</a></div>'
    )
    assert find_next_page(page(LIST_BODY + pager), LIST_URL) == NEXT_URL


@pytest.mark.parametrize(
    ("pager", "expected"),
    [
        pytest.param(
            '<div class="pg"><a href="list_1.html">1</a><b>2</b>'
            '<a href="list_3.html">3</a><a href="list_3.html">&gt;</a></div>',
            NEXT_URL,
            id="> in a pager",
        ),
        pytest.param(
            '<div class="pg"><a href="list_1.html">1</a><b>2</b><a href="list_3.html">3</a>'
            '<a href="list_3.html">›</a><a href="list_40.html">»</a></div>',
            NEXT_URL,
            id="› next, » last",
        ),
        pytest.param(
            '<div class="pg"><a href="list_1.html">1</a><b>2</b><a href="list_3.html">3</a>'
            '<a href="list_40.html">&gt;&gt;</a><a href="list_3.html">&gt;</a></div>',
            NEXT_URL,
            id=">> last before > next",
        ),
        pytest.param(
            '<div class="pg"><a href="list_1.html">1</a><b>2</b>'
            '<a href="list_3.html">3</a><a href="list_3.html">»</a></div>',
            NEXT_URL,
            id="» alone in a pager",
        ),
        pytest.param(
            '<div class="box-title">要闻<a href="/news/yaowen/">&gt;&gt;</a></div>',
            None,
            id=">> outside a pager means more",
        ),
        pytest.param(
            '<div class="pg"><a href="list_1.html">1</a><b>2</b>'
            '<a href="list_9.html">末页</a><a href="list_9.html">尾页</a>'
            '<a href="list_9.html">last</a></div>',
            None,
            id="last-page links are not next",
        ),
        pytest.param(
            '<div class="pg"><a href="list_1.html">上一页</a><span class="disabled">下一页</span></div>',
            None,
            id="disabled span",
        ),
        pytest.param(
            '<div class="pg"><a href="list_1.html">上一页</a><a href="javascript:;">下一页</a></div>',
            None,
            id="javascript href",
        ),
        pytest.param(
            '<div class="pg"><a href="list_1.html">上一页</a><a href="#">下一页</a></div>',
            None,
            id="hash href",
        ),
        pytest.param(
            '<div class="pg"><a href="list_1.html">上一页</a><a>下一页</a></div>',
            None,
            id="no href",
        ),
        pytest.param(
            '<ul class="pagination"><li class="next disabled"><span>›</span></li></ul>',
            None,
            id="bootstrap disabled li",
        ),
        pytest.param(
            '<div class="pg"><a href="list_2.html" class="disabled">下一页</a></div>',
            None,
            id="link to the current page",
        ),
        pytest.param(
            '<div class="pg"><a href="list_1.html">上一页</a>'
            '<a href="http://www.other-site.com/news/list_3.html">下一页</a></div>',
            None,
            id="off-site",
        ),
        pytest.param(
            '<div class="focus"><a class="next" href="javascript:void(0)">&gt;</a></div>'
            '<div class="pg"><a href="list_1.html">1</a><span>2</span>'
            '<a href="list_3.html">3</a></div>',
            NEXT_URL,
            id="carousel next button does not end the listing",
        ),
        pytest.param(
            '<div class="pg"><a href="/news/2024/a0.html">上一篇</a>'
            '<a href="/news/2024/a3.html">下一篇</a></div>',
            None,
            id="下一篇 is next article not next page",
        ),
    ],
)
def test_next_arrows_and_disabled_controls(pager: str, expected: str | None) -> None:
    assert find_next_page(page(LIST_BODY + pager), LIST_URL) == expected


@pytest.mark.parametrize(
    "head",
    [
        '<link rel="next" href="/news/list_3.html">',
        '<link rel="prev" href="/news/list_1.html"><link rel="next" href="list_3.html">',
    ],
)
def test_rel_next_link(head: str) -> None:
    assert find_next_page(page(LIST_BODY, head=head), LIST_URL) == NEXT_URL


def test_first_of_disagreeing_next_controls_wins() -> None:
    body = (
        '<div class="pg"><a href="list_1.html">上一页</a><a href="list_3.html">下一页</a></div>'
        + LIST_BODY
        + '<div class="pg"><a href="list_1.html">上一页</a><a href="list_9.html">下一页</a></div>'
    )
    assert find_next_page(page(body), LIST_URL) == NEXT_URL


def test_rel_next_anchor_wins_over_other_controls() -> None:
    body = LIST_BODY + '<a rel="next" href="list_3.html">›</a><a href="list_7.html">下一页</a>'
    assert find_next_page(page(body), LIST_URL) == NEXT_URL


@pytest.mark.parametrize(
    ("page_url", "pager", "expected"),
    [
        pytest.param(
            LIST_URL,
            '<div><a href="list_1.html">1</a><span>2</span><a href="list_3.html">3</a></div>',
            NEXT_URL,
            id="current is a non-link span",
        ),
        pytest.param(
            LIST_URL,
            '<div><a href="list_1.html">1</a><strong>2</strong><a href="list_3.html">3</a></div>',
            NEXT_URL,
            id="current is strong",
        ),
        pytest.param(
            LIST_URL,
            '<ul><li><a href="list_1.html">1</a></li><li class="active"><a href="list_2.html">2</a>'
            '</li><li><a href="list_3.html">3</a></li></ul>',
            NEXT_URL,
            id="current li.active with a link to itself",
        ),
        pytest.param(
            LIST_URL,
            '<div><a href="list_1.html">[1]</a> [2] <a href="list_3.html">[3]</a></div>',
            NEXT_URL,
            id="bracketed numbers",
        ),
        pytest.param(
            LIST_URL,
            '<div><span>共<b>36</b>页</span><a href="list_1.html">1</a><span>2</span>'
            '<a href="list_3.html">3</a></div>',
            NEXT_URL,
            id="page count before the current page is not the current page",
        ),
        pytest.param(
            "http://www.example.com.cn/news/list.php?cat=3",
            '<div><a href="list.php?cat=3&amp;pn=1">1</a><span class="cur">2</span>'
            '<a href="list.php?cat=3&amp;pn=3">3</a></div>',
            "http://www.example.com.cn/news/list.php?cat=3&pn=3",
            id="marker wins over the URL",
        ),
        pytest.param(
            "http://www.example.com.cn/news/?page=4",
            '<div><a href="?page=3">3</a><a href="?page=4">4</a><a href="?page=5">5</a></div>',
            "http://www.example.com.cn/news/?page=5",
            id="no marker: current page read from the URL",
        ),
        pytest.param(
            "http://www.example.com.cn/news/",
            '<div class="fenye"><a href="/news/">1</a><a href="/news/more.php?cp=2">2</a>'
            '<a href="/news/more.php?cp=3">3</a></div>',
            "http://www.example.com.cn/news/more.php?cp=2",
            id="no marker and no number in the URL: page one",
        ),
        pytest.param(
            "http://www.example.com.cn/news/",
            '<p>共3页 <a href="/news/">1</a> <a href="/news/more.php?cp=2">2</a>'
            ' <a href="/news/more.php?cp=3">3</a></p>',
            "http://www.example.com.cn/news/more.php?cp=2",
            id="pager told by its words",
        ),
        pytest.param(
            "http://www.example.com.cn/wiki/Seoul",
            '<ol class="references"><li><a href="/wiki/Busan">1</a></li>'
            '<li><a href="/wiki/K-pop_Star_2">2</a></li><li><a href="/wiki/Jeju">3</a></li></ol>',
            None,
            id="numbered footnotes are not a pager",
        ),
    ],
)
def test_numbered_page_links(page_url: str, pager: str, expected: str | None) -> None:
    assert find_next_page(page(LIST_BODY + pager), page_url) == expected


def image_links(*hrefs: str) -> str:
    """Links without text, so only the URL pattern can tell the next page."""
    return "".join(f'<a href="{href}"><img src="/img/btn.gif"></a>' for href in hrefs)


@pytest.mark.parametrize(
    ("page_url", "hrefs", "expected"),
    [
        ("http://a.com.cn/news/list_2.html", ["list_1.html", "list_3.html"], "/news/list_3.html"),
        (
            "http://a.com.cn/news/list_19.html",
            ["list_18.html", "list_20.html"],
            "/news/list_20.html",
        ),
        ("http://a.com.cn/news/list-2.html", ["list-1.html", "list-3.html"], "/news/list-3.html"),
        (
            "http://a.com.cn/roll/index.shtml",
            ["index_2.shtml", "index_5.shtml"],
            "/roll/index_2.shtml",
        ),
        (
            "http://a.com.cn/roll/index_2.shtml",
            ["index.shtml", "index_3.shtml"],
            "/roll/index_3.shtml",
        ),
        ("http://a.com.cn/gov/index.html", ["index_1.html", "index_2.html"], "/gov/index_1.html"),
        ("http://a.com.cn/gov/index_1.html", ["index.html", "index_2.html"], "/gov/index_2.html"),
        ("http://a.com.cn/gov/", ["index_1.html", "index_2.html"], "/gov/index_1.html"),
        ("http://a.com.cn/roll/", ["index.shtml", "index_2.shtml"], "/roll/index_2.shtml"),
        ("http://a.com.cn/n/node_123.htm", ["node_123_2.htm"], "/n/node_123_2.htm"),
        (
            "http://a.com.cn/n/node_123_2.htm",
            ["node_123.htm", "node_123_3.htm"],
            "/n/node_123_3.htm",
        ),
        ("http://a.com.cn/blog/page/2/", ["/blog/", "/blog/page/3/"], "/blog/page/3/"),
        ("http://a.com.cn/blog/", ["/blog/page/2/", "/blog/page/9/"], "/blog/page/2/"),
        ("http://a.com.cn/l?page=2", ["?page=1", "?page=3"], "/l?page=3"),
        ("http://a.com.cn/l?p=2", ["?p=1", "?p=3"], "/l?p=3"),
        ("http://a.com.cn/l", ["?page=2", "?page=3"], "/l?page=2"),
        ("http://a.com.cn/l?cid=5&pageNo=2", ["l?cid=5&pageNo=3"], "/l?cid=5&pageNo=3"),
        ("http://a.com.cn/l?pageNo=2&cid=5", ["l?cid=5&pageNo=3"], "/l?cid=5&pageNo=3"),
        ("http://a.com.cn/news/list_2.html", ["list_1.html"], None),
        ("http://a.com.cn/news/list_2.html", ["list_1.html", "list_5.html"], None),
        ("http://a.com.cn/news/list_2.html", ["/news/2024/03/123.html"], None),
        ("http://a.com.cn/l?cid=5&page=2", ["l?cid=6&page=3"], None),
        ("http://a.com.cn/l?id=2", ["l?id=3"], None),
    ],
)
def test_next_by_url_pattern_only_when_linked(
    page_url: str, hrefs: list[str], expected: str | None
) -> None:
    selector = page(LIST_BODY + f"<div>{image_links(*hrefs)}</div>")
    assert find_next_page(selector, page_url) == (
        f"http://a.com.cn{expected}" if expected else None
    )


def test_no_pagination_at_all() -> None:
    assert find_next_page(page(LIST_BODY), LIST_URL) is None


def test_next_page_ignores_links_inside_scripts_and_selects() -> None:
    body = (
        LIST_BODY + '<select><option value="list_3.html">下一页</option></select>'
        "<script>document.write('<a href=\"list_3.html\">下一页</a>')</script>"
    )
    assert find_next_page(page(body), LIST_URL) is None


# =============================================================================================
# same_site


@pytest.mark.parametrize(
    ("url", "other", "expected"),
    [
        ("http://news.example.com.cn/a.html", "http://www.example.com.cn/", True),
        ("http://example.com.cn/", "https://finance.example.com.cn/x", True),
        ("http://www.example.com/", "http://www.example.org/", False),
        ("http://example.com.cn/", "http://example.com/", False),
        ("http://a.example.gov.cn/", "http://b.example.gov.cn/", True),
        ("http://www.beijing.gov.cn/", "http://www.shanghai.gov.cn/", False),
        ("http://WWW.Example.COM/", "http://news.example.com./", True),
        ("http://www.example.com:8080/", "http://www.example.com/", True),
        ("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/b", True),
        ("http://127.0.0.1:8000/a", "http://127.0.0.1:8001/a", False),
        ("http://127.0.0.1/a", "http://127.0.0.1:80/b", True),
        ("http://127.0.0.1/a", "https://127.0.0.1/b", False),
        ("http://127.0.0.1:8000/", "http://localhost:8000/", False),
        ("http://localhost:8000/", "http://localhost:8000/x", True),
        ("http://[::1]:8000/", "http://[::1]:8000/x", True),
        ("http://10.0.0.1/", "http://10.0.0.2/", False),
        ("/relative/path", "http://www.example.com/", False),
        ("javascript:void(0)", "http://www.example.com/", False),
        ("http://exa mple.com:port/", "http://www.example.com/", False),
    ],
)
def test_same_site(url: str, other: str, expected: bool) -> None:
    assert same_site(url, other) is expected
    assert same_site(other, url) is expected


# =============================================================================================
# select_links

SELECT_PAGE = page(
    '<ul class="list">'
    '<li><a href="/a/1.html">一</a></li>'
    '<li><a href="a/2.html">二</a></li>'
    '<li><a href="/a/1.html#c">一again</a></li>'
    '<li><a href="javascript:;">js</a></li>'
    '<li><a href="http://other.org/x.html">外站</a></li>'
    "</ul>"
    '<div class="urls"><span>/b/3.html</span></div>'
    '<div class="more"><a href="/a/more.html">更多</a></div>'
)
SELECT_URL = "http://www.example.com/list/index.html"
LIST_LINKS = [
    "http://www.example.com/a/1.html",
    "http://www.example.com/list/a/2.html",
    "http://other.org/x.html",
]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        pytest.param("ul.list a", LIST_LINKS, id="css elements"),
        pytest.param("ul.list a::attr(href)", LIST_LINKS, id="css attribute"),
        pytest.param("ul.list", LIST_LINKS, id="css container"),
        pytest.param("//ul[@class='list']//a", LIST_LINKS, id="xpath elements"),
        pytest.param("//ul[@class='list']//a/@href", LIST_LINKS, id="xpath attribute"),
        pytest.param("(//ul[@class='list']//a)[2]", [LIST_LINKS[1]], id="xpath in parentheses"),
        pytest.param(
            "//div[@class='urls']/span/text()", ["http://www.example.com/b/3.html"], id="xpath text"
        ),
        pytest.param("div.urls span::text", ["http://www.example.com/b/3.html"], id="css text"),
        pytest.param("div.nothing a", [], id="nothing selected"),
        pytest.param(
            "ul.list a, div.more a",
            [*LIST_LINKS, "http://www.example.com/a/more.html"],
            id="css group",
        ),
    ],
)
def test_select_links(selector: str, expected: list[str]) -> None:
    assert select_links(SELECT_PAGE, SELECT_URL, selector) == expected


def test_select_links_honours_base_href() -> None:
    selector = page('<a href="x.html">x</a>', head='<base href="http://cdn.example.com/dir/">')
    assert select_links(selector, SELECT_URL, "a") == ["http://cdn.example.com/dir/x.html"]
