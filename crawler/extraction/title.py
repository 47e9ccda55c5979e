"""The headline as shown on the page.

``<title>`` carries site and channel suffixes (``-金融科技圈-中国IDC圈``, ``_新浪财经``) and
the on-page heading is sometimes a logo or a channel name. Each is checked against the
other: a heading whose text starts the ``<title>`` (or og:title / JSON-LD headline) is the
headline as shown; failing that, the declared title with its suffix removed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from lxml import etree

from crawler.extraction.dom import Line, element_text, normalize_space
from crawler.extraction.labels import looks_like_info_line
from crawler.extraction.metadata import PageMetadata
from crawler.extraction.patterns import (
    BOILERPLATE_LINE_RE,
    CRUMB_PREFIX_RE,
    CRUMB_SEPARATOR_RE,
    TITLE_LABEL_RE,
    TITLE_SEPARATOR_RE,
)
from crawler.extraction.xpaths import HEADINGS

MIN_TITLE_CHARS = 4
# Short headlines ("金锺国") are accepted when they are exactly a part of the <title>.
MIN_PART_CHARS = 2
MAX_TITLE_CHARS = 150
LINES_SEARCHED_ABOVE_BODY = 4
MIN_LAYOUT_TITLE_CHARS = 5
MAX_LAYOUT_TITLE_CHARS = 80


@dataclass(slots=True)
class TitleResult:
    text: str | None
    element: etree._Element | None


def compact_text(text: str) -> str:
    """Text without spaces and case, to compare a headline with the lines of the page."""
    return normalize_space(text).replace(" ", "").lower()


def strip_site_suffix(title: str, shown: frozenset[str] = frozenset()) -> str:
    """Drop ``-channel-site`` parts of a ``<title>``.

    Portals put the headline first (``标题_频道_站点``) or last (``站点 | 标题``). A part
    that the page also shows as a line of its own is the headline; otherwise the longest
    part is, since the parts repeated across the site are short.
    """
    title = normalize_space(title)
    parts = [part for part in TITLE_SEPARATOR_RE.split(title) if part.strip()]
    if len(parts) <= 1:
        return title
    on_page = [part for part in parts if compact_text(part) in shown]
    longest = max(on_page or parts, key=len)
    return longest if len(longest) >= MIN_TITLE_CHARS else title


def _declared_titles(metadata: PageMetadata) -> list[str]:
    titles: list[str] = []
    for value in (
        metadata.title_tag,
        metadata.first("og:title", "twitter:title", "title"),
        metadata.ld_headline,
    ):
        if value:
            titles.append(value)
    return [title for title in titles if title]


@functools.lru_cache(maxsize=256)
def _declared_forms(title: str) -> tuple[str, tuple[str, ...], str]:
    """A declared title compacted whole, by parts, and without its site suffix; cached
    because every heading of the page is compared with the same few titles."""
    parts = tuple(compact_text(part) for part in TITLE_SEPARATOR_RE.split(title) if part.strip())
    return compact_text(title), parts, compact_text(strip_site_suffix(title))


def _matches_declared(candidate: str, declared: list[str]) -> bool:
    """A heading is the headline when a declared title starts with it (or ends with it, for
    ``站点 | 标题``), when it is one of the title's parts other than the trailing site name,
    or when it contains the title's longest part plus a short tag like ``(图)``."""
    compact = compact_text(candidate)
    if len(compact) < MIN_PART_CHARS:
        return False
    for title in declared:
        whole, parts, core = _declared_forms(title)
        if compact == whole or (len(parts) > 1 and compact in parts[:-1]):
            return True
        if len(compact) < MIN_TITLE_CHARS:
            continue
        # A heading that only repeats the site name ("…松花江网") is not the headline.
        substantial = len(compact) * 2 >= len(whole)
        if substantial and (whole.startswith(compact) or whole.endswith(compact)):
            return True
        if len(core) >= MIN_TITLE_CHARS and (
            core == compact or (core in compact and len(compact) <= len(core) + 6)
        ):
            return True
    return False


def extract_title(
    root: etree._Element,
    metadata: PageMetadata,
    marked: list[etree._Element],
    shown: frozenset[str] = frozenset(),
) -> TitleResult:
    """Headline text and the element showing it (None when it came from metadata only);
    ``marked`` are the elements whose class/id says "title" (see ``dom.mark_elements``),
    ``shown`` the page's lines as ``compact_text``."""
    declared = _declared_titles(metadata)
    candidates = [*HEADINGS(root), *marked]
    best: tuple[str, etree._Element] | None = None
    for element in candidates:
        text = element_text(element)
        if not MIN_PART_CHARS <= len(text) <= MAX_TITLE_CHARS:
            continue
        if (
            declared
            and _matches_declared(text, declared)
            and (best is None or (element.tag == "h1" and best[1].tag != "h1"))
        ):
            best = (text, element)
    if best is not None:
        return TitleResult(TITLE_LABEL_RE.sub("", best[0]), best[1])
    headings_h1 = [
        element_text(element)
        for element in HEADINGS(root)
        if element.tag == "h1"
        and MIN_TITLE_CHARS <= len(element_text(element)) <= MAX_TITLE_CHARS
        and not looks_like_breadcrumb(element_text(element))
    ]
    if len(headings_h1) == 1 and not declared:
        h1 = next(element for element in HEADINGS(root) if element_text(element) == headings_h1[0])
        return TitleResult(headings_h1[0], h1)
    for title in declared:
        stripped = strip_site_suffix(title, shown)
        if len(stripped) >= MIN_TITLE_CHARS:
            return TitleResult(stripped, None)
    if headings_h1:
        return TitleResult(headings_h1[0], None)
    return TitleResult(None, None)


def looks_like_breadcrumb(text: str) -> bool:
    """ "您现在的位置：…" or "论坛 » 学术前沿 » 标题": a path, not a headline."""
    prefix = CRUMB_PREFIX_RE.match(text)
    return bool(prefix and prefix.group(0).strip()) or len(CRUMB_SEPARATOR_RE.findall(text)) >= 2


def headline_above_body(lines_above_body: list[Line], title: str | None) -> str | None:
    """The headline as laid out: the nearest title-like line above the article text.

    Used when the declared title is not shown on the page (a site-wide ``<title>`` such as
    "谢谢您访问…"): a short line without a full stop that is neither a byline nor a menu.
    """
    for line in reversed(lines_above_body[-LINES_SEARCHED_ABOVE_BODY:]):
        text = line.text
        if not MIN_LAYOUT_TITLE_CHARS <= len(text) <= MAX_LAYOUT_TITLE_CHARS:
            continue
        if "。" in text or line.link_density > 0.5 or looks_like_info_line(text):
            continue
        if BOILERPLATE_LINE_RE.search(text) or (
            title and compact_text(text) == compact_text(title)
        ):
            continue
        return TITLE_LABEL_RE.sub("", text)
    return None
