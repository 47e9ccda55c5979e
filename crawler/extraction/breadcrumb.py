"""The breadcrumb (``首页 > 金融科技 > 云计算 > 正文``) as a category path.

Only the categories are kept: the site root (首页), "you are here" prefixes, and the crumb
naming the current page (正文, 文章页, or the headline itself) say nothing about the channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree

from crawler.extraction.dom import normalize_space
from crawler.extraction.patterns import (
    CRUMB_PREFIX_RE,
    CRUMB_SEPARATOR_RE,
    NON_CATEGORY_CRUMBS,
    TITLE_SEPARATOR_RE,
)
from crawler.extraction.xpaths import CRUMB_TEXTS, HOME_LINK_PARENTS, POSITION_PHRASES

MAX_BREADCRUMB_CHARS = 200
MAX_CRUMB_CHARS = 30
MAX_CRUMBS = 8


def split_crumbs(text: str) -> list[str]:
    """Split breadcrumb text on its separators (>, >>, », →, ＞, /) and drop empty crumbs."""
    text = CRUMB_PREFIX_RE.sub("", normalize_space(text))
    return [crumb.strip() for crumb in CRUMB_SEPARATOR_RE.split(text) if crumb.strip()]


def clean_crumbs(crumbs: list[str], title: str | None) -> list[str]:
    """Keep category crumbs only: no root, no 正文/文章页, no current-page headline."""
    kept: list[str] = []
    for crumb in crumbs:
        crumb = CRUMB_PREFIX_RE.sub("", crumb).strip(" :：")
        if not crumb or crumb in NON_CATEGORY_CRUMBS or crumb.lower() == "home":
            continue
        if crumb.endswith(("首页", "正文")):  # "新浪首页", "帖子正文": root and current page
            continue
        if title and (crumb == title or (len(crumb) >= 6 and crumb in title)):
            continue
        if len(crumb) > MAX_CRUMB_CHARS:
            continue
        kept.append(crumb)
    return kept


def _crumbs_of(element: etree._Element, *, links_allowed: bool = True) -> list[str]:
    text = normalize_space("".join(element.itertext()))
    if not text or len(text) > MAX_BREADCRUMB_CHARS:
        return []
    crumbs = split_crumbs(text)
    if len(crumbs) >= 2:
        return crumbs
    if not links_allowed:
        return []
    # Separators drawn with CSS or images: the links are the crumbs.
    links = [normalize_space("".join(link.itertext())) for link in element.iter("a")]
    links = [link for link in links if link]
    return links if len(links) >= 2 else []


def without_site_name(categories: list[str] | None, title_tag: str | None) -> list[str] | None:
    """Drop a leading crumb that is the site's own name, the last part of ``<title>``
    (``…_凤凰网财经_凤凰网``: "凤凰网 > 凤凰网财经 > 宏观" names two categories)."""
    if not categories or len(categories) < 2 or not title_tag:
        return categories
    parts = [part for part in TITLE_SEPARATOR_RE.split(normalize_space(title_tag)) if part]
    if len(parts) > 1 and categories[0] == parts[-1]:
        return categories[1:]
    return categories


def _container_of(text: Any) -> etree._Element | None:
    """The element a text node is in (XPath's parent axis): lxml hands a tail text to the
    element it follows."""
    owner = text.getparent()
    return owner.getparent() if owner is not None and text.is_tail else owner


def _candidates(
    root: etree._Element, marked: list[etree._Element]
) -> Iterator[tuple[etree._Element, bool]]:
    """Breadcrumb candidates, most explicit first, searched lazily: most pages stop at the
    first kind, and the text searches cost more than the rest of the category step."""
    for element in marked:
        yield element, True
    texts = CRUMB_TEXTS(root)
    for text in texts:
        if any(phrase in text for phrase in POSITION_PHRASES):
            parent = _container_of(text)
            if parent is not None:
                yield parent, True
    for element in HOME_LINK_PARENTS(root):
        yield element, False
    for text in texts:
        if "正文" in text and any(separator in text for separator in ">»＞"):
            parent = _container_of(text)
            if parent is not None and parent.find("a") is not None:
                yield parent, False


def extract_category(
    root: etree._Element, title: str | None, marked: list[etree._Element]
) -> list[str] | None:
    """The first breadcrumb on the page that names at least one category; ``marked`` are
    the elements whose class/id names a breadcrumb (see ``dom.mark_elements``)."""
    for element, links_allowed in _candidates(root, marked):
        crumbs = _crumbs_of(element, links_allowed=links_allowed)
        if not crumbs or len(crumbs) > MAX_CRUMBS:
            continue
        categories = clean_crumbs(crumbs, title)
        if categories:
            return categories
    return None
