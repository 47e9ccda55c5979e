"""The generic article extractor: one function from a page to every article field.

Site rules may override any field; this is the fallback that must work on a portal nobody
has configured. The page is parsed once (or the spider's parsed tree is copied once), the
structured metadata is read, and the fields are then found in an order where each can lean
on the previous ones: the headline locates the info line, the body bounds it from below,
and the info line holds the source, author and publication time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from urllib.parse import urljoin

import parsel
from lxml import etree

from crawler.encoding import decode_html
from crawler.extraction.body import BodyResult, extract_body
from crawler.extraction.breadcrumb import extract_category, without_site_name
from crawler.extraction.dom import (
    Line,
    MarkedElements,
    document_positions,
    element_text,
    iter_lines,
    mark_elements,
    normalize_space,
    parse_page,
    strip_invisible,
    working_copy,
)
from crawler.extraction.labels import (
    author_from_lines,
    bare_names,
    byline_outlet,
    clean_author,
    clean_source,
    dateline_credit,
    iter_labelled_values,
    looks_like_info_line,
    posted_by,
    reporters_across,
    reprint_source,
    source_from_lines,
    trailing_bracketed_names,
    unlabelled_source,
)
from crawler.extraction.metadata import PageMetadata, read_metadata
from crawler.extraction.patterns import (
    DATE_HINT_RE,
    PUBLISHER_NAME_RE,
    SUMMARY_LINE_RE,
    TAIL_SECTION_RE,
    TITLE_SEPARATOR_RE,
)
from crawler.extraction.published import choose_publication
from crawler.extraction.title import (
    TitleResult,
    compact_text,
    extract_title,
    headline_above_body,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Lines between the headline and the body that are searched for the info line; when the
# headline cannot be located, this many lines before the body are searched instead.
INFO_LINES_WITHOUT_TITLE = 12
MAX_INFO_LINES = 40
LINES_AFTER_BODY = 8
LINES_BEFORE_TITLE = 5
# Lines mostly made of links are menus and article lists: their dates are not ours.
MAX_META_LINK_DENSITY = 0.5
MAX_MARKUP_FIELD_CHARS = 80
MIN_SUMMARY_CHARS = 10
# Share of a declared description's character pairs that must recur in the headline or
# text for it to count as this article's summary.
MIN_SUMMARY_OVERLAP = 0.3
# What joins a headline to the abstract in a declared description ("标题---摘要").
DESCRIPTION_LEAD_RE = re.compile(r"^\s*(?:-{2,}|—+|_+|[|｜:：])\s*|^\s+(?=\S)")
# A description that is only short comma-separated terms is the keyword list.
KEYWORD_SEPARATOR_RE = re.compile(r"[,，、;；|]+")
PROSE_MARK_RE = re.compile(r"[。！？!?]")
MAX_KEYWORD_CHARS = 12
# Accounts a CMS writes as the author of every page.
CMS_ACCOUNTS = frozenset({"admin", "administrator", "editor", "webmaster", "管理员", "系统管理员"})
# Body lines searched for a credit at the start and at the end of the text.
BODY_HEAD_LINES = 4
BODY_TAIL_LINES = 3
# Lines under the headline where a bare, unlabelled name is taken as the byline.
BARE_NAME_LINES = 2


@dataclass
class ExtractedArticle:
    """Every field the generic extractor can find; None where the page does not say."""

    title: str | None = None
    source: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    published_precision: str | None = None
    summary: str | None = None
    category: list[str] | None = None
    canonical_url: str | None = None
    body: str | None = None
    body_html: str | None = None


def _safely(step: Callable[[], T], default: T, what: str, url: str) -> T:
    """Run one field extractor; a bug on one odd page must cost that field, not the page."""
    try:
        return step()
    except Exception:  # the extractor promises never to raise on any page
        logger.debug("extraction of %s failed for %s", what, url, exc_info=True)
        return default


def _tree_of(page: str | bytes | parsel.Selector) -> etree._Element | None:
    """A private tree for the page: the caller's parsed tree is copied, never mutated."""
    if isinstance(page, parsel.Selector):
        root = page.root
        return working_copy(root) if isinstance(root, etree._Element) else None
    if isinstance(page, bytes):
        page, _ = decode_html(page, None)
    if isinstance(page, str):
        return parse_page(page)
    return None


def _position_of_title(
    title_element: etree._Element | None,
    title: str | None,
    positions: dict[etree._Element, int],
    page_lines: list[Line],
) -> int | None:
    if title_element is not None and title_element in positions:
        return positions[title_element]
    if title:
        compact = title.replace(" ", "")
        for line in page_lines:
            if line.text.replace(" ", "") == compact:
                return line.position
    return None


def _declared_title_not_shown(
    title: TitleResult | None, text: str | None, body: BodyResult, shown: frozenset[str]
) -> bool:
    """True when the headline came from ``<title>`` and the page never shows it: then the
    ``<title>`` is site-wide ("谢谢您访问…") and the layout knows the headline better."""
    if title is None or title.element is not None or body.start_position is None:
        return False
    return not text or compact_text(text) not in shown


def _info_lines(page_lines: list[Line], title_position: int | None, body: BodyResult) -> list[str]:
    """The lines between the headline and the start of the body: where the info line is."""
    if body.start_position is None:
        if title_position is None:
            return []
        after = [line.text for line in page_lines if line.position > title_position]
        return after[:INFO_LINES_WITHOUT_TITLE]
    before_body = [line for line in page_lines if line.position < body.start_position]
    if title_position is not None and title_position < body.start_position:
        lines = [line.text for line in before_body if line.position > title_position]
    else:
        lines = [line.text for line in before_body[-INFO_LINES_WITHOUT_TITLE:]]
    return lines[-MAX_INFO_LINES:]


def _before_title_lines(page_lines: list[Line], title_position: int | None) -> list[str]:
    """The few lines above the headline (issue dates), menus of links left out."""
    if title_position is None:
        return []
    before = [
        line.text
        for line in page_lines
        if line.position < title_position and line.link_density <= MAX_META_LINK_DENSITY
    ]
    return before[-LINES_BEFORE_TITLE:]


def _after_body_lines(page_lines: list[Line], body: BodyResult) -> list[str]:
    """The lines right under the text, where blogs and forums print the byline and time;
    they end where a related-articles or comments section starts, whose dates and names
    belong to other texts."""
    if body.end_position is None:
        return []
    after: list[str] = []
    for line in page_lines:
        if line.position <= body.end_position:
            continue
        if len(after) >= LINES_AFTER_BODY or TAIL_SECTION_RE.match(line.text):
            break
        # A post footer links its own timestamp: "由海姑娘张贴 @ <a>2005-06-14 03:25</a>".
        if line.link_density <= MAX_META_LINK_DENSITY or posted_by(line.text):
            after.append(line.text)
    return after


def _byline_window(
    title_position: int | None, body: BodyResult, positions: dict[etree._Element, int]
) -> tuple[int, int]:
    """Document positions where author/source markup is trusted: from the headline to the
    end of the body. Elsewhere, "author" classes name blog owners and related writers."""
    start = title_position if title_position is not None else 0
    if body.start_position is not None and start > body.start_position:
        start = 0
    end = body.end_position if body.end_position is not None else len(positions)
    return start, end


def _markup_texts(
    elements: list[etree._Element],
    positions: dict[etree._Element, int],
    window: tuple[int, int],
) -> list[str]:
    """Short texts of the marked elements that lie inside the byline window."""
    start, end = window
    texts = [
        element_text(element) for element in elements if start <= positions.get(element, -1) <= end
    ]
    return [text for text in texts if text and len(text) <= MAX_MARKUP_FIELD_CHARS]


def _has_label(text: str) -> bool:
    return next(iter_labelled_values(text), None) is not None


def source_from_markup(texts: list[str]) -> str | None:
    """A source from ``class="source"``-like elements: labelled (``来源：新华社``) or the
    bare name the class already labels (``<span class="source">新京报</span>``)."""
    for text in texts:
        labelled = source_from_lines([text])
        if labelled:
            return labelled
        if not _has_label(text) and not DATE_HINT_RE.search(text):
            source = clean_source(text)
            if source:
                return source
    return None


def author_from_markup(texts: list[str]) -> str | None:
    """An author from ``class="author"``-like elements, meta tags or JSON-LD: labelled, or
    the bare name (``<div class="author">500510761_wx</div>``)."""
    for text in texts:
        labelled = author_from_lines([text])
        if labelled:
            return labelled
        if not _has_label(text):
            author = clean_author(text)
            if author:
                return author
    return None


def _choose_author(
    info: list[str],
    body: BodyResult,
    after: list[str],
    markup_texts: list[str],
    metadata: PageMetadata,
    title_position: int | None,
    title: str | None,
) -> str | None:
    """Bylines in order of trust: a credit on the info line, a credit opening the text,
    author markup near the article, JSON-LD, credits closing the text, a bare name under
    the headline, and last the ``<meta name=author>`` (often the site's own name)."""
    head = [line.text for line in body.lines[:BODY_HEAD_LINES]]
    tail = [line.text for line in body.lines[-BODY_TAIL_LINES:]]
    bare_candidates = (info[:BARE_NAME_LINES] if title_position is not None else []) + head[:3]
    bare_candidates = [line for line in bare_candidates if line != title]
    return (
        author_from_lines(info, loose=True)
        or author_from_lines(head, reporters=False)
        or reporters_across(head)
        or next(filter(None, (dateline_credit(line) for line in head[:2])), None)
        or author_from_markup(markup_texts)
        or _personal(author_from_markup(metadata.ld_authors), metadata)
        or next(filter(None, (trailing_bracketed_names(line) for line in tail)), None)
        or author_from_lines(tail + after, loose=True)
        or next(filter(None, (bare_names(line) for line in bare_candidates)), None)
        or _personal(
            author_from_markup(
                [value for value in (metadata.first("author", "article:author"),) if value]
            ),
            metadata,
        )
    )


def _personal(author: str | None, metadata: PageMetadata) -> str | None:
    """A declared author that names a person: portals fill ``<meta name=author>`` and
    JSON-LD with the site (网易, 人民网), a channel id (1004) or a CMS account (admin)."""
    if not author:
        return None
    compact = author.replace(" ", "")
    site_parts = TITLE_SEPARATOR_RE.split(normalize_space(metadata.title_tag or ""))[1:]
    if (
        compact.isdigit()
        or compact.lower() in CMS_ACCOUNTS
        or PUBLISHER_NAME_RE.match(compact)
        or any(compact in part for part in site_parts if part)
    ):
        return None
    return author


def _without_outlet(author: str | None, source: str | None, title_tag: str | None) -> str | None:
    """``文｜财新 王晓琼``: a byline may open with the outlet's short name; it is the
    publisher (the source, the site name closing ``<title>``), not a writer."""
    if not author or " " not in author:
        return author
    first, rest = author.split(" ", 1)
    outlets = [source or ""]
    if title_tag:
        outlets.append(TITLE_SEPARATOR_RE.split(normalize_space(title_tag))[-1])
    if any(len(first) >= 2 and outlet.startswith(first) for outlet in outlets):
        return rest
    return author


def _about_the_article(description: str, article_text: str) -> bool:
    """A declared description is the article's abstract only if it shares wording with the
    headline and text: portals often repeat one site-wide description on every page."""
    description_pairs = _character_pairs(description)
    if not description_pairs or not article_text:
        return bool(description_pairs) and not article_text
    # Substring tests instead of the text's own pair set: the body is long, the
    # description short, and building the body's pair set cost more than all the rest.
    compact = compact_text(article_text)
    shared = sum(1 for pair in description_pairs if pair in compact)
    return shared >= MIN_SUMMARY_OVERLAP * len(description_pairs)


def _character_pairs(text: str) -> set[str]:
    compact = compact_text(text)
    return {compact[index : index + 2] for index in range(len(compact) - 1)}


def _summary(
    page_lines: list[Line], metadata: PageMetadata, article_text: str, title: str | None
) -> str | None:
    """The 摘要 block printed on the page, else the declared description when it is about
    this article."""
    for line in page_lines:
        match = SUMMARY_LINE_RE.match(line.text)
        if match and match.group(0).strip():
            summary = line.text[match.end() :].strip()
            if len(summary) >= MIN_SUMMARY_CHARS:
                return summary
    for declared in (
        metadata.first("description"),
        metadata.first("og:description"),
        metadata.first("twitter:description"),
        metadata.ld_description,
    ):
        description = _without_headline(declared, title) if declared else None
        if description and _about_the_article(description, article_text):
            return description
    return None


def _without_headline(description: str, title: str | None) -> str | None:
    """The abstract part of a declared description: portals prefix it with the headline
    (``标题---摘要``), or fill it with the headline and the keywords (``标题,关键词,关键词``),
    which is no abstract at all."""
    if title and description.startswith(title):
        rest = description[len(title) :]
        if _only_keywords(rest):
            return None
        lead = DESCRIPTION_LEAD_RE.match(rest)
        if lead:
            description = rest[lead.end() :]
    return None if _only_keywords(description) else description


def _only_keywords(text: str) -> bool:
    """Nothing, or short terms separated by commas: a keyword list, not a sentence."""
    if PROSE_MARK_RE.search(text):
        return False
    return all(len(part.strip()) <= MAX_KEYWORD_CHARS for part in KEYWORD_SEPARATOR_RE.split(text))


def _canonical(metadata: PageMetadata, url: str) -> str | None:
    declared = metadata.canonical or metadata.first("og:url")
    if not declared:
        return None
    absolute = urljoin(url, declared)
    return absolute if absolute.startswith(("http://", "https://")) else None


def extract_article(page: str | bytes | parsel.Selector, url: str) -> ExtractedArticle:
    """Extract every article field from a page.

    ``page`` is the page text, its raw bytes (decoded with the portal-aware detector) or the
    spider's already parsed selector (copied, never mutated). Never raises on bad input
    (empty, truncated, non-HTML, no article): the fields it cannot find are None.
    """
    article = ExtractedArticle()
    root = _safely(lambda: _tree_of(page), None, "tree", url)
    if root is None:
        return article
    metadata = _safely(lambda: read_metadata(root), PageMetadata(), "metadata", url)
    _safely(lambda: strip_invisible(root), None, "cleanup", url)
    positions = document_positions(root)
    no_lines: list[Line] = []
    page_lines = _safely(lambda: list(iter_lines(root, positions)), no_lines, "lines", url)
    page_chars = sum(line.chars for line in page_lines)

    marked = _safely(lambda: mark_elements(root), MarkedElements([], [], [], []), "marks", url)
    # Line texts are whitespace-normalised already: compact_text without the normalising.
    shown = frozenset(line.text.replace(" ", "").lower() for line in page_lines)
    title = _safely(lambda: extract_title(root, metadata, marked.title, shown), None, "title", url)
    article.title = title.text if title else None
    article.category = _safely(
        lambda: without_site_name(
            extract_category(root, article.title, marked.breadcrumb), metadata.title_tag
        ),
        None,
        "category",
        url,
    )
    title_position = _position_of_title(
        title.element if title else None, article.title, positions, page_lines
    )

    author_elements = marked.author
    source_elements = marked.source
    body = _safely(
        lambda: extract_body(root, positions, page_chars, article.title), BodyResult(), "body", url
    )
    article.body = body.text
    article.body_html = body.html
    if _declared_title_not_shown(title, article.title, body, shown):
        above = [line for line in page_lines if line.position < (body.start_position or 0)]
        laid_out = _safely(lambda: headline_above_body(above, article.title), None, "title", url)
        if laid_out:
            article.title = laid_out
            title_position = _position_of_title(None, laid_out, positions, page_lines)

    info = _info_lines(page_lines, title_position, body)
    info += [line.text for line in body.head_info if line.text not in info]
    after = _after_body_lines(page_lines, body)
    body_edges = [line.text for line in body.lines[:1] + body.lines[-3:]]
    window = _byline_window(title_position, body, positions)
    before_title = _before_title_lines(page_lines, title_position)
    author_texts = _markup_texts(author_elements, positions, window)
    source_texts = _markup_texts(source_elements, positions, window)

    article.source = _safely(
        lambda: (
            source_from_lines(info)
            or source_from_markup(source_texts)
            or source_from_markup(
                [value for value in (metadata.first("source", "contentsource"),) if value]
            )
            or source_from_lines(body_edges + after)
            or source_from_lines(before_title)
            or reprint_source(info)
            or unlabelled_source(info)
            or byline_outlet(info)
        ),
        None,
        "source",
        url,
    )
    article.author = _safely(
        lambda: _choose_author(
            info, body, after, author_texts, metadata, title_position, article.title
        ),
        None,
        "author",
        url,
    )
    article.author = _without_outlet(article.author, article.source, metadata.title_tag)
    body_head_datelines = [
        line.text for line in body.lines[:BODY_HEAD_LINES] if looks_like_info_line(line.text)
    ]
    published = _safely(
        lambda: choose_publication(
            info,
            body_head_datelines,
            after,
            before_title,
            metadata,
            body_tail_lines=[line.text for line in body.lines[-BODY_TAIL_LINES:]],
        ),
        None,
        "published_at",
        url,
    )
    if published is not None:
        article.published_at = published.value
        article.published_precision = published.precision
    article_text = f"{article.title or ''}\n{article.body or ''}"
    article.summary = _safely(
        lambda: _summary(page_lines, metadata, article_text, article.title), None, "summary", url
    )
    article.canonical_url = _safely(lambda: _canonical(metadata, url), None, "canonical", url)
    if article.summary:
        article.summary = normalize_space(article.summary)
    return article
