"""Find the article links and the next page on a listing page nobody configured.

A portal listing page carries one list that matters (the channel's articles) among many that do
not: navigation menus, 热点/排行/推荐 sidebars, breadcrumbs, friend links, footers. Site rules can
name the list with a selector (:func:`select_links`); everything else here is the zero-configuration
fallback the ``portal`` spider uses for ``-a start_url=URL``.

The module works on a parsel ``Selector`` and returns plain strings, so it can be tested and
reused without Scrapy. It walks the lxml tree under the selector directly: a listing page is
analysed in a few milliseconds, which matters when a crawl pages through thousands of listings.

Article links (:func:`find_article_links`)
    1. Every ``<a href>`` is resolved against the page (and ``<base href>``); links that cannot be
       articles are dropped: ``javascript:``/``mailto:``/``#`` links, other schemes, off-site links,
       images/PDFs/archives/office files, the page itself and its sibling listing pages
       (``list_3.html``, ``?page=3``).
    2. Links inside layout chrome are dropped: ``<nav>``/``<aside>``, ``<script>``/``<select>``,
       page-level headers and footers (tag or class, near ``<body>`` and outside any
       ``<article>``: a card's ``entry-header`` is content), elements whose class/id words hint
       at navigation, menus, sidebars, hot/rank/recommend/related lists, friend links,
       breadcrumbs, tags, copyright, ads or pagination, and ``rel="tag"``-like links.
    3. Each remaining link is placed in a group: its *item* is the nearest ancestor-or-self that
       repeats among its siblings (same tag and class: ``li`` in ``ul``, ``tr`` in ``table``, card
       ``div`` in a list ``div``, or the ``<a>`` itself in a ``<td>`` of ``<br>``-separated links;
       table cells never count, the row does); its *container* is the item's parent. Groups are
       keyed by the container's grandparent, the signatures of the container and its parent, and
       the tag path from item to link. That merges one list split into sibling blocks (five
       ``ul`` of five ``li``, or each ``ul`` in its own alike box) while keeping the title link
       of a card apart from its image link and "[详细]" link.
    4. Each link scores ``0.55 * text + 0.45 * url``, plus 0.35 when its item shows a date:
       text is best for 8-40 CJK characters (headline length; a truncated text borrows the
       ``title`` attribute) and zero for 首页/更多/>>/page numbers; url rewards dates
       (``20190116``, ``2019-03/05``), digit runs, ``.html``/``.shtml``/``.htm`` endings,
       ``content_``/``detail``/``show``/``id=`` words and paths deeper than the listing, and
       punishes bare channel directories. A group scores the sum over its distinct URLs, times
       1.25 when an ancestor's class/id hints at the main content (main/content/list/news), times
       0.3 when its box is titled like a sidebar (热点/排行/推荐/相关/友情链接: a penalty rather
       than an exclusion, because a channel may be called 热点关注). The best group wins if it
       scores at least ``_MIN_GROUP_SCORE``; within it, links that look like neither a headline
       nor an article URL (a [国内] category label beside each title) are left out.

Next page (:func:`find_next_page`), first answer wins
    1. ``<link rel="next">`` / ``<a rel="next">``.
    2. A control reading 下一页/下页/下一頁/后页/next (text, ``title`` or image ``alt``), then one
       whose class/id says ``next``, then a bare arrow (``>``, ``›``, ``»``, ``>>``) but only inside
       a pagination block, since ``>>`` alone often means "more". A disabled control (a ``<span>``,
       ``href="#"``/``javascript:``, class ``disabled``) means this is the last page: ``None``.
    3. Numbered links: the current page is the non-link number (or the one marked
       current/active/on/cur) in a block of page-number links, else it is read from the URL; the
       link reading current+1 is next.
    4. URL pattern: a link on the page whose URL differs from this page's only by the page number
       (``list_2``->``list_3``, ``index``->``index_1``/``index_2``, ``?page=``, ``/page/N/``,
       ``node_123_2``) and is the following number. Only linked URLs are returned, never invented.
    The current page, ``javascript:`` links and off-site links are never returned.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import parsel
import tldextract
from w3lib.url import canonicalize_url

from crawler.extraction.dom import element_text, normalize_space

__all__ = ["find_article_links", "find_next_page", "same_site", "select_links"]

# Resolves an href on the page being analysed to a URL worth following, or None.
_LinkResolver = Callable[[str | None], str | None]

# tldextract would download the public suffix list on first use; a crawler must not make
# surprise requests (or fail offline), so it only ever reads the snapshot bundled with the package.
_DOMAIN_SPLITTER = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_DIGIT = re.compile(r"\d")
_CJK_CHARACTER = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff]")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
_NETLOC_END = re.compile(r"[/?#\\]")
_NON_PAGE_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "sms:")
_BINARY_EXTENSIONS = frozenset(
    {
        "jpg", "jpeg", "png", "gif", "bmp", "webp", "svg", "ico", "tif", "tiff", "pdf", "zip",
        "rar", "7z", "gz", "tgz", "bz2", "tar", "xz", "doc", "docx", "xls", "xlsx", "ppt",
        "pptx", "wps", "et", "txt", "csv", "apk", "exe", "dmg", "msi", "iso", "mp3", "mp4",
        "avi", "flv", "wmv", "mov", "swf", "wav",
    }
)  # fmt: skip
_CAMEL_CASE_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-zA-Z0-9]+")
# Whitespace portals put inside links: ASCII, NBSP, ideographic space, zero-width space.
_WHITESPACE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")

# ---------------------------------------------------------------------------------------------
# Layout hints. Class/id values are split into tokens ("hot_news" -> hot, news; "mainNav" ->
# main, nav) and a token is matched whole, by prefix or by suffix, so "photo" is not "hot" and
# "table" is not "tag".

_CHROME_TOKENS = frozenset(
    {
        "links", "yqlj", "position", "location", "weizhi", "dqwz", "curpos",
        "copy", "ad", "ads", "advert", "guanggao", "pagination", "pager", "paging",
        "pages", "pagelist", "pagenav", "pagebar", "fenye", "login", "related",
        "relate", "xiangguan", "tuijian",
    }
)  # fmt: skip
_CHROME_PREFIXES = (
    "nav", "menu", "sidebar", "side", "hot", "rank", "recommend", "friend", "flink",
    "breadcrumb", "crumb", "copyright", "tag", "share", "comment", "topbar", "toolbar",
)  # fmt: skip
_CHROME_SUFFIXES = ("nav", "menu", "navbar", "crumb", "crumbs", "links", "hot", "rank")
# Headers and footers are chrome at page level only: cards have an "entry-header" and a
# "card-footer" too. Page level means outside any <article> and close to <body>.
_PAGE_LEVEL_WORDS = ("header", "footer", "foot", "bottom")
_PAGE_LEVEL_MAX_DEPTH = 4
_CHROME_TAGS = frozenset({"nav", "aside", "menu"})
_PAGE_LEVEL_TAGS = frozenset({"header", "footer"})
# Markup whose links are never shown as a list of articles.
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "select", "option"})

_MAIN_TOKENS = frozenset(
    {
        "main", "content", "contents", "list", "lists", "news", "article", "articles",
        "artlist", "newslist", "liebiao", "lb", "con", "cont", "wenzhang",
    }
)  # fmt: skip

# Titles of sidebar boxes; a list under one is probably not the channel's article list.
_SIDEBAR_TITLE = re.compile(
    r"热点|热门|热读|热评|热榜|最热|排行|点击榜|推荐|相关|友情链接|猜你喜欢|你可能|大家都在看"
)
_BOX_TITLE_MAX_CHARS = 16
_BOX_TAGS = frozenset({"ul", "ol", "dl", "div", "table", "tbody", "section", "p"})

# Class/id words of pagers: page, pages, pager, paging, pagination, pagebox, pagelist, ...
_PAGINATION_PREFIX = "pag"
_PAGINATION_TOKENS = frozenset({"fenye", "fy", "pg", "pn", "pnav"})

# ---------------------------------------------------------------------------------------------
# Text of links that are never articles, and of pagination controls.

_NOT_ARTICLE_TEXTS = frozenset(
    {
        "首页", "主页", "更多", "更多>>", "更多>", "更多»", "查看更多", "详细", "详情",
        "详细>>", "全文", "阅读全文", "查看全文", "点击查看", "返回", "返回顶部", "返回首页",
        "上一页", "下一页", "上页", "下页", "末页", "尾页", "首", "尾", "上一篇", "下一篇",
        "登录", "注册", "退出", "网站地图", "联系我们", "关于我们", "设为首页", "加入收藏",
        "收藏", "打印", "关闭", "关闭窗口",
        "more", "more>>", "rss", "top", "home", "next", "prev", "previous", "last", "first",
    }
)  # fmt: skip
# rel values that say what a link is, and it is not an article: rel="tag" in a card footer.
_NOT_ARTICLE_RELS = frozenset({"tag", "category", "author", "home", "prev", "next"})
_ARROWS_ONLY = re.compile(r"^[>›»→〉≫＞]+$")
_NEXT_WORDS = frozenset({"下一页", "下页", "下一頁", "後頁", "后页", "后一页", "next", "nextpage"})
_NOT_NEXT_WORDS = frozenset({"末页", "尾页", "最后一页", "末頁", "尾頁", "last", "lastpage"})
_PREVIOUS_WORDS = frozenset({"上一页", "上页", "前页", "prev", "previous", "首页", "first"})
_SINGLE_ARROWS = frozenset({">", "›", "→", "〉", "＞"})
_DOUBLE_ARROWS = frozenset({">>", "»", "»»", "≫", "＞＞"})
_CONTROL_TAGS = ("a", "span", "li", "em", "b", "strong", "font", "i", "button", "div")
_CONTROL_MAX_CHARS = 12  # "下一页 >>", "Next Page ›"; a longer text is not a control
# A next control has a short text holding 下/后/next or an arrow, or a class/id saying next, or
# shows only an image or a title. One cheap pass finds such elements so that the costlier
# _next_strength runs on a few dozen elements instead of every element of the page.
_NEXT_HINT = re.compile(r"[下后後>›»→〉≫＞]|next", re.IGNORECASE)
_NEXT_HINT_MAX_CHARS = 40
_TEXT_CONTROL_LEVELS = 3  # <a><span><font>下一页</font></span></a>
_PAGER_WORDS = re.compile(
    r"上一?页|下一?页|首页|尾页|末页|前页|后页|页次|共\s*\d+\s*页|第\s*\d+\s*页|\d+\s*/\s*\d+\s*页"
    r"|prev|next|first|last|page",
    re.IGNORECASE,
)
_PAGER_TEXT_MAX_CHARS = 200
_SHORT_LINKS = ".//a[string-length(normalize-space(.)) <= 10]"
# Next-page control strengths, surest first.
_READS_NEXT, _NAMED_NEXT, _SINGLE_ARROW, _DOUBLE_ARROW = range(4)
_DECORATION = re.compile(
    r"^[\s<>«»‹›→←〈〉\[\]【】()（）|≫≪＞＜·]+|[\s<>«»‹›→←〈〉\[\]【】()（）|≫≪＞＜·]+$"
)
_CURRENT_MARKERS = frozenset(
    {
        "current", "cur", "on", "active", "selected", "select", "thisclass", "now", "curr",
        "currentpage", "cpb",
    }
)  # fmt: skip
_DISABLED_MARKERS = frozenset({"disabled", "disable", "gray", "grey", "unclick", "nolink"})
_PAGE_NUMBER_TEXT = re.compile(r"^\[?(\d{1,4})\]?$")

# ---------------------------------------------------------------------------------------------
# URL and item shape.

_DATE_IN_URL = re.compile(
    r"(?<!\d)(?:19|20)\d{2}(?:[-/_]?(?:0[1-9]|1[0-2])(?:[-/_]?(?:0[1-9]|[12]\d|3[01]))?)(?!\d)"
    r"|(?<!\d)(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d*"
)
_LONG_DIGITS = re.compile(r"\d{4,}")
_ARTICLE_PAGE_ENDING = re.compile(r"\.(?:s?html?|php|aspx?|jsp|cgi)$", re.IGNORECASE)
_ARTICLE_WORDS = re.compile(
    r"content|detail|article|show|view|info|story|post|doc|a/\d|(?:^|[?&])(?:id|aid|docid|"
    r"articleid|newsid|contentid)=",
    re.IGNORECASE,
)
_DATE_IN_TEXT = re.compile(
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}(?:\s*[-/.月]\s*\d{1,2})?"
    r"|(?<!\d)\d{1,2}\s*月\s*\d{1,2}\s*日|(?<![\d.])\d{2}-\d{2}(?![\d-])|\d{1,2}:\d{2}"
    r"|\d+\s*(?:分钟|小时|天)前|昨天|前天"
)
_PAGE_QUERY_KEY = re.compile(
    r"^(?:p|pg|pn|pi|pno|paged|page|pages|pageno|pagenum|pagenumber|pageindex|page_index|"
    r"page_no|page_num|curpage|cur_page|currentpage|current_page|pageid|pagecurrent|index)$",
    re.IGNORECASE,
)
_INSERTED_PAGE_NUMBER = re.compile(r"^[/_-]?(?:(?:page|p|pn|pg)[/_-]?)?(\d{1,5})/?$", re.IGNORECASE)
_NUMBERED_INDEX_PAGE = re.compile(r"^(?:index|default|list)[_-](\d{1,5})\.[a-z]+$", re.I)
_PAGE_IN_URL = (
    re.compile(
        r"[?&](?:p|pg|pn|page|pageno|pagenum|pageindex|curpage|currentpage)=(\d{1,5})", re.I
    ),
    re.compile(r"/(?:page|p)/(\d{1,5})/?(?:$|[?#])", re.I),
    re.compile(r"[_-](\d{1,5})\.[a-z]+(?:$|[?#])", re.I),
)

_MAX_PAGE_NUMBER = 5000
_MIN_GROUP_SCORE = 0.6
_MAX_ITEM_DEPTH = 6
_TEXT_WEIGHT = 0.55
_URL_WEIGHT = 0.45
_DATE_BONUS = 0.35
_MAIN_CONTENT_FACTOR = 1.25
_SIDEBAR_TITLE_FACTOR = 0.3
_BOX_TITLE_LEVELS = 4
_WEAK_LINK = 0.35
_FULL_HEADLINE = 1.0  # the text score of an 8-40 character headline


# =============================================================================================
# Public API


def same_site(url: str, other: str) -> bool:
    """True when both URLs belong to the same registered site.

    ``news.example.com.cn`` and ``www.example.com.cn`` are one site (portals spread channels
    over subdomains and the crawl should follow them); ``example.com`` and ``example.org`` are
    not. Hosts without a public suffix (IP addresses, ``localhost``, intranet names) have no
    registered domain, so they must match exactly, port included: two ports on 127.0.0.1 are
    two different test servers.
    """
    site = _site_of(url)
    return site is not None and site == _site_of(other)


def select_links(page: parsel.Selector, page_url: str, selector: str) -> list[str]:
    """Links selected by a configured CSS or XPath selector (site rules).

    Site rules are written by people copying selectors from browser tools, so the selector may
    pick ``<a>`` elements, their ``@href`` attributes, or text nodes holding URLs; an element
    that is not a link contributes the links inside it (so ``ul.news-list`` works too). The
    selector is XPath when it starts with ``/`` or ``(``, CSS otherwise. URLs come back
    absolute, without fragments, deduplicated in page order; non-web schemes are dropped but
    off-site links are kept, because a rule that names a list means it.
    """
    is_xpath = selector.lstrip().startswith(("/", "("))
    picked = page.xpath(selector) if is_xpath else page.css(selector)
    base_url = _base_url(page, page_url)
    links: list[str] = []
    seen: set[str] = set()
    for result in picked:
        for raw_href in _hrefs_of_selection(result):
            url = _absolute_url(base_url, raw_href)
            if url is not None and url not in seen:
                seen.add(url)
                links.append(url)
    return links


def find_article_links(page: parsel.Selector, page_url: str) -> list[str]:
    """Absolute URLs of the main list's article links, in page order, deduplicated, on-site.

    See the module docstring for the grouping and scoring. Returns ``[]`` when no group looks
    like a list of articles, rather than guessing from navigation links.
    """
    body = _body_of(page)
    if body is None:
        return []
    base_url = _base_url(page, page_url)
    analysis = _PageAnalysis(body)
    groups: dict[tuple[Any, ...], _LinkGroup] = {}
    for anchor in body.iter("a"):
        candidate = _article_candidate(anchor, base_url, page_url, analysis)
        if candidate is None:
            continue
        item, container = analysis.item_and_container(anchor)
        key = _group_key(anchor, item, container)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _LinkGroup(
                main_hint=analysis.has_main_content_hint(container),
                sidebar_title=_titled_as_sidebar(container),
            )
        candidate.has_date = analysis.item_has_date(item)
        candidate.link_row = container if item is anchor else None
        group.add(candidate)
    if not groups:
        return []
    best = max(groups.values(), key=_LinkGroup.score)
    if best.score() < _MIN_GROUP_SCORE:
        return []
    return best.article_links()


def find_next_page(page: parsel.Selector, page_url: str) -> str | None:
    """Absolute URL of the next listing page, or ``None`` on the last page.

    Tries, in order: ``rel="next"``; a 下一页/next control (``None`` when it is disabled);
    numbered page links; a linked URL that increments this page's number. See the module
    docstring for the details of each step.
    """
    root = page.root
    if not isinstance(getattr(root, "tag", None), str):
        return None
    base_url = _base_url(page, page_url)

    def usable(raw_href: str | None) -> str | None:
        url = _absolute_url(base_url, raw_href)
        if url is None or _is_same_page(url, page_url) or not same_site(url, page_url):
            return None
        return url

    for rel_link in root.iter("link", "a"):
        if "next" in _tokens(rel_link.get("rel")) and (url := usable(rel_link.get("href"))):
            return url

    body = _body_of(page)
    if body is None:
        return None
    control = _next_control(body, usable, page_url)
    if control is not None:
        return control or None  # "" marks a disabled control: this is the last page
    return _next_numbered_page(body, usable, page_url) or _next_by_url_pattern(
        body, usable, page_url
    )


# =============================================================================================
# URLs


def _site_of(url: str) -> tuple[str, int | None] | None:
    """What two URLs must share to be one site; ``None`` for a URL without a host."""
    scheme, separator, rest = url.strip().partition("://")
    if not separator:
        return None
    netloc = _NETLOC_END.split(rest, maxsplit=1)[0]
    return _site_of_netloc(scheme.lower(), netloc)


@functools.lru_cache(maxsize=4096)
def _site_of_netloc(scheme: str, netloc: str) -> tuple[str, int | None] | None:
    # Cached: every link on a page asks, and a page links to a handful of hosts.
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        domain = _DOMAIN_SPLITTER(host)
        if domain.suffix:
            return domain.top_domain_under_public_suffix or host, None
    # An IP address or a suffix-less name: the host itself, port included.
    return host, port if port is not None else _DEFAULT_PORTS.get(scheme)


def _absolute_url(base_url: str, raw_href: str | None) -> str | None:
    """Resolve a link the way a browser would; ``None`` for links that lead to no web page."""
    if raw_href is None:
        return None
    href = _WHITESPACE.sub("", raw_href) if "\n" in raw_href or "\t" in raw_href else raw_href
    href = href.strip(" \t\r\n\u00a0\u3000")
    if not href or href.startswith("#") or href.lower().startswith(_NON_PAGE_SCHEMES):
        return None
    # urljoin is the slowest step of reading a link; most hrefs are absolute or site-rooted
    # and need no dot-segment resolution.
    if href.startswith(("http://", "https://")):
        joined = href
    elif href.startswith("/") and not href.startswith("//") and "/." not in href:
        base = urlsplit(base_url)
        joined = f"{base.scheme}://{base.netloc}{href}"
    else:
        joined = urljoin(base_url, href)
    try:
        parts = urlsplit(joined)
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.netloc:
        return None
    return joined.split("#", 1)[0]


def _is_same_page(url: str, page_url: str) -> bool:
    """Whether two URLs name one page, whatever their query order, fragment or final slash.

    Called for every link on a page, so it canonicalizes only when the paths already agree.
    """
    if urlsplit(url).path.rstrip("/") != urlsplit(page_url).path.rstrip("/"):
        return False
    return canonicalize_url(url).rstrip("/") == canonicalize_url(page_url).rstrip("/")


def _base_url(page: parsel.Selector, page_url: str) -> str:
    base_href = page.xpath("//head/base/@href").get()
    return urljoin(page_url, base_href.strip()) if base_href else page_url


def _body_of(page: parsel.Selector) -> Any | None:
    root = page.root
    if not isinstance(getattr(root, "tag", None), str):
        return None
    body = root.find("body")
    return body if body is not None else root


def _is_binary(url: str) -> bool:
    path = urlsplit(url).path
    dot = path.rfind(".")
    return dot > path.rfind("/") and path[dot + 1 :].lower() in _BINARY_EXTENSIONS


def _hrefs_of_selection(result: parsel.Selector) -> Iterator[str]:
    node = result.root
    if isinstance(node, str):
        yield node
        return
    if not isinstance(getattr(node, "tag", None), str):
        return
    if node.get("href") is not None:
        yield node.get("href")
        return
    for anchor in node.iter("a", "area"):
        if anchor.get("href") is not None:
            yield anchor.get("href")


@dataclass(frozen=True)
class _PageNumberChange:
    """How a linked URL differs from the current one when it is another page of the listing."""

    current: int | None  # None: the current URL carries no number (page one)
    linked: int | None  # None: the linked URL carries no number (page one)
    by_query: bool


def _page_number_change(current_url: str, linked_url: str) -> _PageNumberChange | None:
    """Compare two URLs that may be pages of one listing; ``None`` when they are not."""
    cur, lnk = urlsplit(current_url), urlsplit(linked_url)
    if cur.netloc.lower() != lnk.netloc.lower():
        return None
    if cur.path == lnk.path:
        return _query_page_change(cur.query, lnk.query)
    if cur.query != lnk.query:
        return None
    return _path_page_change(cur.path, lnk.path)


def _query_page_change(current_query: str, linked_query: str) -> _PageNumberChange | None:
    current = dict(parse_qsl(current_query, keep_blank_values=True))
    linked = dict(parse_qsl(linked_query, keep_blank_values=True))
    changed = {key for key in current.keys() | linked.keys() if current.get(key) != linked.get(key)}
    if len(changed) != 1:
        return None
    key = changed.pop()
    if not _PAGE_QUERY_KEY.match(key):
        return None
    old, new = current.get(key), linked.get(key)
    if (old is not None and not old.isdigit()) or (new is not None and not new.isdigit()):
        return None
    return _PageNumberChange(
        current=int(old) if old is not None else None,
        linked=int(new) if new is not None else None,
        by_query=True,
    )


def _path_page_change(current_path: str, linked_path: str) -> _PageNumberChange | None:
    """Paths equal but for one number, or but for an inserted ``_2``/``/page/2/`` segment."""
    if current_path.endswith("/") and linked_path.startswith(current_path):
        # A channel directory is its own index page: /news/ -> /news/index_2.shtml.
        numbered_index = _NUMBERED_INDEX_PAGE.match(linked_path[len(current_path) :])
        if numbered_index:
            return _PageNumberChange(
                current=None, linked=int(numbered_index.group(1)), by_query=False
            )
    prefix = 0
    limit = min(len(current_path), len(linked_path))
    while prefix < limit and current_path[prefix] == linked_path[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < limit - prefix
        and current_path[len(current_path) - 1 - suffix]
        == linked_path[len(linked_path) - 1 - suffix]
    ):
        suffix += 1
    # A number is compared whole: "list_19" vs "list_20" must not diff as "9" vs "20".
    if _digit_at(current_path, prefix) or _digit_at(linked_path, prefix):
        while prefix > 0 and current_path[prefix - 1].isdigit():
            prefix -= 1
    if _digit_at(current_path, len(current_path) - suffix - 1) or _digit_at(
        linked_path, len(linked_path) - suffix - 1
    ):
        while suffix > 0 and current_path[len(current_path) - suffix].isdigit():
            suffix -= 1
    old = current_path[prefix : len(current_path) - suffix]
    new = linked_path[prefix : len(linked_path) - suffix]
    if old.isdigit() and new.isdigit():
        return _PageNumberChange(current=int(old), linked=int(new), by_query=False)
    if not old and (inserted := _INSERTED_PAGE_NUMBER.match(new)):
        return _PageNumberChange(current=None, linked=int(inserted.group(1)), by_query=False)
    if not new and (removed := _INSERTED_PAGE_NUMBER.match(old)):
        return _PageNumberChange(current=int(removed.group(1)), linked=None, by_query=False)
    return None


def _is_other_page_of(listing_url: str, url: str) -> bool:
    """Whether the URL is another page of this listing (and so not an article).

    A large number is an article id, not a page: /news/5.html may list /news/81234.html.
    """
    change = _page_number_change(listing_url, url)
    return change is not None and (change.linked is None or change.linked <= _MAX_PAGE_NUMBER)


def _digit_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isdigit()


def _page_number_from_url(url: str) -> int:
    for pattern in _PAGE_IN_URL:
        if found := pattern.search(url):
            return int(found.group(1))
    return 1


# =============================================================================================
# Text and attributes


def _short_text(element: Any, limit: int) -> str | None:
    """The element's text, or ``None`` as soon as it exceeds ``limit`` characters.

    Box titles and next-page controls are short, and the elements tested for being one can be
    whole columns; stopping early keeps each test from reading a column of text.
    """
    pieces: list[str] = []
    length = 0
    for piece in element.itertext():
        stripped = piece.strip()
        length += len(stripped)
        if length > limit * 4:
            return None
        pieces.append(stripped)
    text = normalize_space(" ".join(pieces))
    return text if len(text) <= limit else None


def _tokens(value: str | None) -> tuple[str, ...]:
    """Class/id/rel value split into lowercase words ("hot_newsList" -> hot, news, list)."""
    return _split_tokens(value) if value else ()


@functools.lru_cache(maxsize=4096)
def _split_tokens(value: str) -> tuple[str, ...]:
    # Cached: a page repeats the same few class names on hundreds of elements.
    spaced = _CAMEL_CASE_BOUNDARY.sub(" ", value)
    return tuple(token for token in _NON_WORD.split(spaced.lower()) if token)


def _class_and_id_tokens(element: Any) -> tuple[str, ...]:
    return _tokens(element.get("class")) + _tokens(element.get("id"))


def _is_chrome_token(token: str) -> bool:
    return (
        token in _CHROME_TOKENS
        or token.startswith(_CHROME_PREFIXES)
        or token.endswith(_CHROME_SUFFIXES)
    )


def _is_page_level(token: str) -> bool:
    return token.startswith(_PAGE_LEVEL_WORDS) or token.endswith(_PAGE_LEVEL_WORDS)


def _headline_weight(text: str) -> float:
    """Length of a text in headline units: a CJK character is one, an ASCII word two."""
    return len(_CJK_CHARACTER.findall(text)) + 2 * len(_ASCII_WORD.findall(text))


def _text_score(text: str) -> float:
    """How much a link text looks like a headline (Chinese headlines are 8-40 characters)."""
    lowered = text.lower()
    if not text or lowered in _NOT_ARTICLE_TEXTS or _ARROWS_ONLY.match(text):
        return 0.0
    if _PAGE_NUMBER_TEXT.match(text) or _DECORATION.sub("", lowered) in _NOT_ARTICLE_TEXTS:
        return 0.0
    weight = _headline_weight(text)
    if weight < 4:
        return 0.05
    if weight < 8:
        return 0.4
    if weight <= 40:
        return 1.0
    if weight <= 80:
        return 0.6
    return 0.2


def _url_score(url: str, listing_url: str) -> float:
    """How much a URL looks like an article page rather than a channel or listing page."""
    parts = urlsplit(url)
    path, query = parts.path, parts.query
    score = 0.0
    if _DATE_IN_URL.search(path):
        score += 0.35
    if _LONG_DIGITS.search(path + "?" + query):
        score += 0.2
    if _ARTICLE_PAGE_ENDING.search(path):
        score += 0.2
    if _ARTICLE_WORDS.search(path + "?" + query):
        score += 0.15
    depth = len([segment for segment in path.split("/") if segment])
    listing_depth = len([segment for segment in urlsplit(listing_url).path.split("/") if segment])
    if depth > listing_depth:
        score += 0.1
    if (path.endswith("/") or not path) and not query and not _DIGIT.search(path):
        score -= 0.3
    return min(max(score, 0.0), 1.0)


# =============================================================================================
# Article links


@dataclass
class _CandidateLink:
    url: str
    text_score: float
    url_score: float
    has_date: bool = False
    # The element holding this link among sibling links (a <li> with a label, a title and a
    # comment link; a <td> of <br>-separated links), or None when the link has its own item.
    link_row: Any = None

    def score(self) -> float:
        bonus = _DATE_BONUS if self.has_date else 0.0
        return _TEXT_WEIGHT * self.text_score + _URL_WEIGHT * self.url_score + bonus


@dataclass
class _LinkGroup:
    main_hint: bool
    sidebar_title: bool
    links: list[_CandidateLink] = field(default_factory=list)
    _score: float | None = None

    def add(self, link: _CandidateLink) -> None:
        self.links.append(link)
        self._score = None

    def distinct_links(self) -> list[_CandidateLink]:
        """One entry per URL, keeping the best-scored anchor (title over image link)."""
        best: dict[str, _CandidateLink] = {}
        for link in self.links:
            known = best.get(link.url)
            if known is None or link.score() > known.score():
                best[link.url] = link
        return list(best.values())

    def article_links(self) -> list[str]:
        """The group's URLs without the links riding along in its items.

        Left out: links whose text is 更多/详细/a page number; links with neither a headline
        text nor an article-like URL; and, where several links share one item (``link_row``)
        that holds exactly one full headline, the shorter-texted links beside it (a [国内]
        label or a 评论(3) link next to each title). A short headline with its own item, or
        among several full headlines (<br>-separated links in a <td>), is kept.
        """
        links = self.distinct_links()
        headlines_per_row = Counter(
            link.link_row
            for link in links
            if link.link_row is not None and link.text_score >= _FULL_HEADLINE
        )
        kept = []
        for link in links:
            if link.text_score == 0.0:
                continue
            if link.text_score < _WEAK_LINK and link.url_score < _WEAK_LINK:
                continue
            rides_along = (
                link.link_row is not None
                and link.text_score < _FULL_HEADLINE
                and headlines_per_row[link.link_row] == 1
            )
            if not rides_along:
                kept.append(link.url)
        return kept

    def score(self) -> float:
        if self._score is None:
            total = sum(link.score() for link in self.distinct_links())
            if self.main_hint:
                total *= _MAIN_CONTENT_FACTOR
            if self.sidebar_title:
                total *= _SIDEBAR_TITLE_FACTOR
            self._score = total
        return self._score


class _PageAnalysis:
    """Per-page memo of tree facts that many anchors ask about (their ancestors are shared)."""

    def __init__(self, body: Any) -> None:
        self.body = body
        self._signature_counts: dict[Any, Counter[tuple[str, str]]] = {}
        self._in_chrome: dict[Any, tuple[bool, int, bool]] = {}
        self._main_hint: dict[Any, bool] = {}
        self._dated: dict[Any, bool] = {}

    def in_chrome(self, element: Any) -> bool:
        """Whether the element sits in navigation, sidebar, footer or similar page chrome."""
        return self._chrome_state(element)[0]

    def _chrome_state(self, element: Any) -> tuple[bool, int, bool]:
        """(in chrome, depth below <body>, inside an <article>), memoised for all ancestors.

        Decided top-down because whether a header or footer is page chrome depends on what
        lies above it (see ``_PAGE_LEVEL_WORDS``).
        """
        path: list[Any] = []
        node = element
        state = (False, -1, False)
        while node is not None:
            known = self._in_chrome.get(node)
            if known is not None:
                state = known
                break
            path.append(node)
            if node is self.body:
                break
            node = node.getparent()
        for node in reversed(path):
            in_chrome, parent_depth, inside_article = state
            tag = node.tag
            # <body class="archive tag tag-fintech"> describes the page, not a region of it.
            tokens = () if tag in ("body", "html") else _class_and_id_tokens(node)
            page_level = not inside_article and parent_depth < _PAGE_LEVEL_MAX_DEPTH
            in_chrome = in_chrome or (
                tag in _CHROME_TAGS
                or tag in _SKIPPED_TAGS
                or any(_is_chrome_token(token) for token in tokens)
                or (page_level and (tag in _PAGE_LEVEL_TAGS or any(map(_is_page_level, tokens))))
            )
            state = (in_chrome, parent_depth + 1, inside_article or tag == "article")
            self._in_chrome[node] = state
        return state

    def has_main_content_hint(self, element: Any) -> bool:
        node = element
        while node is not None:
            if node in self._main_hint:
                return self._main_hint[node]
            if any(token in _MAIN_TOKENS for token in _class_and_id_tokens(node)) or (
                node.tag in ("main", "article")
            ):
                self._main_hint[element] = True
                return True
            node = node.getparent()
        self._main_hint[element] = False
        return False

    def item_and_container(self, anchor: Any) -> tuple[Any, Any]:
        """The nearest ancestor-or-self repeated among its siblings, and that element's parent.

        Table cells are skipped: a row's title cell and date cell repeat each other, but the
        row is the list item.
        """
        node = anchor
        for _ in range(_MAX_ITEM_DEPTH):
            parent = node.getparent()
            if parent is None or node is self.body:
                break
            if node.tag not in ("td", "th") and self._sibling_count(node, parent) > 1:
                return node, parent
            node = parent
        parent = anchor.getparent()
        return anchor, parent if parent is not None else anchor

    def item_has_date(self, item: Any) -> bool:
        if item not in self._dated:
            self._dated[item] = bool(_DATE_IN_TEXT.search(element_text(item)))
        return self._dated[item]

    def _sibling_count(self, node: Any, parent: Any) -> int:
        counts = self._signature_counts.get(parent)
        if counts is None:
            counts = Counter(_signature(child) for child in parent if isinstance(child.tag, str))
            self._signature_counts[parent] = counts
        return counts[_signature(node)]


def _signature(element: Any) -> tuple[str, str]:
    return element.tag, " ".join(sorted((element.get("class") or "").split()))


def _titled_as_sidebar(container: Any) -> bool:
    """Whether the list's box, up to a few levels above it, is titled like a sidebar box.

    A title only lowers the score (``_SIDEBAR_TITLE_FACTOR``) instead of excluding the list:
    a channel may itself be called 热点关注, and then its list is the only one there is.
    """
    node = container
    for _ in range(_BOX_TITLE_LEVELS):
        if node is None or node.tag in ("body", "html"):
            return False
        if _has_sidebar_title(node):
            return True
        node = node.getparent()
    return False


def _has_sidebar_title(element: Any) -> bool:
    """Whether the box starting at this element is titled like 热点排行/推荐阅读/友情链接."""
    if element.tag not in _BOX_TAGS:
        return False  # list items and table rows follow their siblings, not a box title
    sibling = element.getprevious()
    for _ in range(2):
        while sibling is not None and not isinstance(sibling.tag, str):
            sibling = sibling.getprevious()
        if sibling is None:
            return False
        title = _short_text(sibling, _BOX_TITLE_MAX_CHARS)
        if title is None:
            return False  # a long block before this one is content, not a box title
        if title:
            return bool(_SIDEBAR_TITLE.search(title))
        sibling = sibling.getprevious()
    return False


def _group_key(anchor: Any, item: Any, container: Any) -> tuple[Any, ...]:
    """Key that is equal for links in the same list, even a list split into sibling blocks."""
    inner_path: list[tuple[str, str]] = []
    node = anchor
    while node is not None and node is not item:
        inner_path.append(_signature(node))
        node = node.getparent()
    inner_path.append(_signature(item))
    # Alike containers merge when they are siblings (one list split over several <ul>) or
    # cousins (each <ul> in its own alike box), but table cells do not: side-by-side <td>
    # columns of an old layout are different lists.
    parent = container.getparent()
    grandparent = parent.getparent() if parent is not None else None
    # Elements, not id()s, go into the key: lxml makes a new proxy object (and id) for a node
    # whenever the previous one was garbage collected; the key keeps this one alive.
    if container.tag in ("td", "th") or parent is None or grandparent is None:
        return (container, _signature(container), tuple(inner_path))
    return (grandparent, _signature(parent), _signature(container), tuple(inner_path))


def _article_candidate(
    anchor: Any, base_url: str, page_url: str, analysis: _PageAnalysis
) -> _CandidateLink | None:
    # Cheapest and most selective tests first: on a real portal most links are navigation.
    href = anchor.get("href")
    if href is None or analysis.in_chrome(anchor):
        return None
    if _NOT_ARTICLE_RELS.intersection(_tokens(anchor.get("rel"))):
        return None
    url = _absolute_url(base_url, href)
    if url is None or _is_binary(url) or not same_site(url, page_url):
        return None
    if _is_same_page(url, page_url) or _is_other_page_of(page_url, url):
        return None
    text = element_text(anchor)
    title = normalize_space(anchor.get("title") or "")
    if not text:
        text = title or normalize_space(
            " ".join(img.get("alt") or "" for img in anchor.iter("img"))
        )
    text_score = _text_score(text)
    if text_score > 0.0 and title:
        # Portals cut long headlines ("某某某...") and keep the full one in title; a title
        # never turns 更多/下一页 into a headline, hence only when the text already scores.
        text_score = max(text_score, _text_score(title))
    return _CandidateLink(url=url, text_score=text_score, url_score=_url_score(url, page_url))


# =============================================================================================
# Next page


def _next_control(body: Any, usable: _LinkResolver, page_url: str) -> str | None:
    """URL behind a 下一页/next/arrow control; "" when the control is disabled; None if absent."""
    candidates: list[tuple[int, str]] = []
    disabled_seen = False
    for element in _possible_next_controls(body):
        strength = _next_strength(element)
        if strength is None:
            continue
        is_link = element.tag == "a"
        if not is_link and (element.find(".//a") is not None or _inside_link(element)):
            continue  # the text belongs to a link; that link is examined on its own
        url = usable(element.get("href")) if is_link else None
        # Only the words 下一页/next speak for themselves. A class "next" or an arrow also
        # appears on carousel buttons and "more" links, so those need a pagination context.
        in_context = strength == _READS_NEXT or _in_pagination_block(element)
        if url is None or _looks_disabled(element):
            disabled_seen = disabled_seen or in_context
            continue
        if in_context or _page_number_change(page_url, url) is not None:
            candidates.append((strength, url))
    if not candidates:
        return "" if disabled_seen else None
    # Surest first; among equals the first on the page (the pager above the list).
    return min(candidates, key=lambda candidate: candidate[0])[1]


def _possible_next_controls(body: Any) -> list[Any]:
    """Elements that might be next controls, without duplicates.

    Links come in page order (a link is added when the pass reaches it or its text), which is
    what the tie-break between disagreeing controls relies on.
    """
    found: dict[Any, None] = {}
    for element in body.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if _has_next_hint(element.text):
            _add_with_ancestors(found, element, body)
        if _has_next_hint(element.tail):
            _add_with_ancestors(found, element.getparent(), body)
        if "next" in (element.get("class", "") + element.get("id", "")).lower():
            found.setdefault(element)
            for child in element:
                found.setdefault(child)
        elif (
            tag == "a"
            and not (element.text and element.text.strip())
            and (element.get("title") or element.find(".//img") is not None)
        ):
            found.setdefault(element)  # an image button, or an arrow icon with a title
    return [element for element in found if element.tag in _CONTROL_TAGS]


def _has_next_hint(text: str | None) -> bool:
    if not text or len(text) > _NEXT_HINT_MAX_CHARS:
        return False
    return _NEXT_HINT.search(text) is not None


def _add_with_ancestors(found: dict[Any, None], element: Any, body: Any) -> None:
    node = element
    for _ in range(_TEXT_CONTROL_LEVELS):
        if node is None or node is body:
            return
        found.setdefault(node)
        node = node.getparent()


def _inside_link(element: Any) -> bool:
    return any(ancestor.tag == "a" for ancestor in element.iterancestors())


def _next_strength(element: Any) -> int | None:
    """How surely the element is a next-page control; lower is surer, None when it is not one.

    A double arrow ranks below a single one because pagers that show both (``› »``) use the
    double arrow for the last page.
    """
    text = _short_text(element, _CONTROL_MAX_CHARS)
    if text is None:
        return None
    if not text:
        text = normalize_space(element.get("title") or "") or normalize_space(
            " ".join(img.get("alt") or "" for img in element.iter("img"))
        )
    word = _DECORATION.sub("", text).replace(" ", "").lower()
    if word in _NOT_NEXT_WORDS or word in _PREVIOUS_WORDS:
        return None
    if word in _NEXT_WORDS:
        return _READS_NEXT
    if element.tag == "a" and not word and text:
        arrow = text.replace(" ", "")
        if arrow in _SINGLE_ARROWS:
            return _SINGLE_ARROW
        if arrow in _DOUBLE_ARROWS:
            return _DOUBLE_ARROW
    if element.tag in ("a", "li", "span") and not _PAGE_NUMBER_TEXT.match(word):
        tokens = _class_and_id_tokens(element)
        if element.tag == "a" and element.getparent() is not None:
            tokens += _class_and_id_tokens(element.getparent())
        if any("next" in token for token in tokens):
            return _NAMED_NEXT
    return None


def _looks_disabled(element: Any) -> bool:
    nodes = [element, element.getparent()]
    return any(
        node is not None
        and (
            node.get("disabled") is not None
            or any(token in _DISABLED_MARKERS for token in _class_and_id_tokens(node))
        )
        for node in nodes
    )


def _in_pagination_block(element: Any) -> bool:
    """Whether the element sits among page-number links or in a block named page/pager/fenye."""
    node = element.getparent()
    for depth in range(3):
        if node is None:
            return False
        if _names_a_pager(node):
            return True
        if depth < 2 and node.tag not in ("body", "html") and _count_page_number_links(node) >= 2:
            return True
        node = node.getparent()
    return False


def _count_page_number_links(element: Any) -> int:
    return sum(1 for link in element.iter("a") if _PAGE_NUMBER_TEXT.match(element_text(link)))


def _next_numbered_page(body: Any, usable: _LinkResolver, page_url: str) -> str | None:
    """The link reading current+1 in a block of page-number links."""
    blocks: dict[Any, list[tuple[int, str | None]]] = {}
    for anchor in body.xpath(_SHORT_LINKS):
        found = _PAGE_NUMBER_TEXT.match(element_text(anchor))
        if found:
            block = _pagination_block_of(anchor)  # kept alive as a key: lxml proxies are not
            blocks.setdefault(block, []).append((int(found.group(1)), usable(anchor.get("href"))))
    # One number alone is a date or a count, not a pager.
    pagers = {block: links for block, links in blocks.items() if len(links) >= 2}
    markers = (_current_page_marker(block) for block in pagers)
    current = next((marker for marker in markers if marker is not None), None)
    if current is None:
        current = _page_number_from_url(page_url)
    for block, links in pagers.items():
        for number, url in links:
            if number != current + 1 or url is None:
                continue
            # Footnotes, table cells and rankings are numbered links too; a pager says it is
            # one, or links to this URL with another page number.
            if _page_number_change(page_url, url) is not None or _looks_like_pager(block):
                return url
    return None


def _names_a_pager(element: Any | None) -> bool:
    return element is not None and any(
        token.startswith(_PAGINATION_PREFIX) or token in _PAGINATION_TOKENS
        for token in _class_and_id_tokens(element)
    )


def _looks_like_pager(block: Any) -> bool:
    """Whether a block of number links is named like a pager or holds pager words."""
    if _names_a_pager(block) or _names_a_pager(block.getparent()):
        return True
    text = _short_text(block, _PAGER_TEXT_MAX_CHARS)
    return text is not None and bool(_PAGER_WORDS.search(text))


def _pagination_block_of(anchor: Any) -> Any:
    parent = anchor.getparent()
    if parent is not None and parent.tag in ("li", "span", "em", "b", "strong", "font", "td", "i"):
        grandparent = parent.getparent()
        return grandparent if grandparent is not None else parent
    return parent if parent is not None else anchor


def _current_page_marker(block: Any) -> int | None:
    """The number of the page being shown: one marked current, else a number that is not a link.

    An unmarked number only counts when it sits next to a page link: "共<b>36</b>页" in the
    same block is the page count, not the current page.
    """
    unmarked: int | None = None
    for element in block.iter(*_CONTROL_TAGS):
        if element is block:
            continue
        found = _PAGE_NUMBER_TEXT.match(element_text(element))
        if not found:
            continue
        parent = element.getparent()
        tokens = _class_and_id_tokens(element) + (
            _class_and_id_tokens(parent) if parent is not None else ()
        )
        if any(token in _CURRENT_MARKERS for token in tokens):
            return int(found.group(1))
        is_link = element.tag == "a" and bool(element.get("href"))
        holds_link = element.find(".//a") is not None
        if unmarked is None and not is_link and not holds_link and _next_to_page_link(element):
            unmarked = int(found.group(1))
    return unmarked


def _next_to_page_link(element: Any) -> bool:
    """Whether a sibling (of the element, or of its li/span wrapper) is a page control link."""
    wrapper = element.getparent()
    for node in (element, wrapper):
        if node is None:
            continue
        for sibling in (node.getprevious(), node.getnext()):
            if sibling is None or not isinstance(sibling.tag, str):
                continue
            link = sibling if sibling.tag == "a" else sibling.find("a")
            if link is not None and link.get("href") is not None:
                return True
        if node is element and element.tag not in ("span", "em", "b", "strong", "font", "i"):
            break  # only inline markers are wrapped (<li><span>2</span></li>)
    return False


def _next_by_url_pattern(body: Any, usable: _LinkResolver, page_url: str) -> str | None:
    """A linked URL that is this listing's URL with the page number incremented."""
    best: tuple[int, str] | None = None
    for anchor in body.iter("a"):
        href = anchor.get("href")
        if not href or not _DIGIT.search(href):
            continue  # cheap skip: a following page's URL carries its number
        url = usable(href)
        if url is None:
            continue
        change = _page_number_change(page_url, url)
        if change is None or change.linked is None:
            continue
        if change.current is not None:
            accepted = change.linked == change.current + 1
        elif change.by_query:
            accepted = change.linked == 2  # no page parameter means page one
        else:
            accepted = change.linked in (1, 2)  # index.html -> index_1.html (TRS) or index_2.html
        if accepted and (best is None or change.linked < best[0]):
            best = (change.linked, url)
    return best[1] if best else None
