"""Tree preparation and linearisation shared by every field extractor.

The page is parsed once (by the caller or by :func:`parse_page`); the extractor then works
on one private copy, cleaned of invisible markup, and turns it into *lines*: runs of text
that a browser would show on one line of a block. Lines remember the block element that owns
them and their position in document order, which is what lets the field extractors reason
about "the line under the headline" or "text between the title and the body".
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lxml import etree
from parsel.selector import create_root_node

from crawler.extraction.xpaths import (
    AUTHOR_ATTR_RE,
    BLOCK_TAGS,
    BREADCRUMB_ATTR_RE,
    HIDDEN_STYLE_RE,
    INVISIBLE_TAGS,
    SOURCE_ATTR_RE,
    TITLE_ATTR_RE,
    TITLE_ATTR_TAGS,
)

_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_STYLED = etree.XPath("//*[@style]")
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\ufeff]")
_ZERO_WIDTH_TO_SPACE = {ord(char): " " for char in "\u200b\u200c\u200d\ufeff"}


def normalize_space(text: str) -> str:
    """Collapse every run of whitespace (including full-width and no-break spaces) to one
    space: pages pad with &nbsp; and U+3000 for layout, which is never part of the text.

    ``str.split`` knows the same whitespace as ``re``'s ``\\s`` and is several times faster
    than a substitution; only the zero-width characters need translating first."""
    if _ZERO_WIDTH_RE.search(text):
        text = text.translate(_ZERO_WIDTH_TO_SPACE)
    return " ".join(text.split())


def visible_length(text: str) -> int:
    """Count characters a reader sees, ignoring whitespace; the unit of every density."""
    if _ZERO_WIDTH_RE.search(text):
        text = text.translate(_ZERO_WIDTH_TO_SPACE)
    return len("".join(text.split()))


@dataclass(slots=True)
class Line:
    """One visual line of text: what a block element (or a ``<br>``-separated run) shows."""

    text: str
    link_chars: int
    owner: etree._Element
    position: int
    chars: int = field(init=False)

    def __post_init__(self) -> None:
        # text is whitespace-normalised already: only single spaces are left to discount
        self.chars = len(self.text) - self.text.count(" ")

    @property
    def link_density(self) -> float:
        return self.link_chars / self.chars if self.chars else 0.0


def parse_page(page: str) -> etree._Element | None:
    """Parse HTML text with parsel's own routine (the one the spider's selectors use), so
    both entry points build the same tree; returns None when nothing parseable is left.

    The parser is lxml's plain ``HTMLParser`` rather than ``lxml.html``'s: the tree is the
    same, but ``lxml.html`` looks up a Python element class for every node the extractor
    touches, which cost about a tenth of the extraction time."""
    text = _XML_DECLARATION_RE.sub("", page)
    if not text.strip():
        return None
    try:
        root = create_root_node(text, etree.HTMLParser, huge_tree=True)
    except etree.XMLSyntaxError:  # parsel raises the same for text lxml cannot read at all
        return None
    return root if isinstance(root, etree._Element) else None


def working_copy(root: etree._Element) -> etree._Element:
    """Deep-copy the tree so pruning never touches the caller's (Scrapy's) selector."""
    return copy.deepcopy(root)


def drop_all_keeping_tails(elements: Iterable[etree._Element]) -> None:
    """Remove every element but keep their tail texts, in time linear in their number.

    Removing a run of siblings one at a time appends each tail to the same text (the
    previous sibling's tail or the parent's text), and lxml rebuilds that text on every
    append: quadratic, 12 s for a page of 100,000 comments. Here each run of removed
    siblings hands its tails over in one assignment.

    Elements inside another removed element are detached from it too, as one at a time:
    lxml frees a detached subtree only when no element of it is referenced any more, and
    rescans the whole subtree each time one of those references goes, so a subtree of
    100,000 referenced elements (``positions``, the page's lines) costs minutes to free.
    """
    doomed = {element: None for element in elements if element.getparent() is not None}
    runs: list[tuple[etree._Element, etree._Element | None, list[etree._Element]]] = []
    for element in doomed:
        previous = element.getprevious()
        if previous is not None and previous in doomed:
            continue  # not the first of its run: the run's first element moves its tails
        run: list[etree._Element] = []
        current: etree._Element | None = element
        while current is not None and current in doomed:
            run.append(current)
            current = current.getnext()
        runs.append((element.getparent(), previous, run))
    for parent, previous, run in runs:
        moved = "".join(removed.tail or "" for removed in run)
        if moved:
            if previous is not None:
                previous.tail = (previous.tail or "") + moved
            else:
                parent.text = (parent.text or "") + moved
        for removed in run:
            parent.remove(removed)


def strip_invisible(root: etree._Element) -> None:
    """Remove scripts, styles, form widgets, comments and hidden elements: none of them is
    text a reader sees, and script text would otherwise dominate the densities."""
    doomed = list(
        root.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity, *INVISIBLE_TAGS)
    )
    doomed += [element for element in _STYLED(root) if HIDDEN_STYLE_RE.search(element.get("style"))]
    drop_all_keeping_tails(doomed)


def document_positions(root: etree._Element) -> dict[etree._Element, int]:
    """Document-order index of every element, computed once before any pruning."""
    return {element: index for index, element in enumerate(root.iter())}


def iter_lines(root: etree._Element, positions: dict[etree._Element, int]) -> Iterator[Line]:
    """Yield the visual lines of a subtree: block tags and ``<br>`` end a line, inline tags
    don't; text inside ``<a>`` is counted as link text for link density."""
    pieces: list[str] = []
    link_chars = 0
    owner: etree._Element | None = None
    position = 0
    blocks: list[etree._Element] = [root]
    link_depth = 0

    def flush() -> Line | None:
        nonlocal pieces, link_chars, owner
        if not pieces:
            owner = None
            return None
        text = normalize_space("".join(pieces))
        line = Line(text, link_chars, owner, position) if text and owner is not None else None
        pieces, link_chars, owner = [], 0, None
        return line

    def add(text: str, current: etree._Element) -> None:
        nonlocal link_chars, owner, position
        if not text:
            return
        if owner is None:
            if not text.strip():
                return
            owner = blocks[-1]
            position = positions.get(current, 0)
        pieces.append(text)
        if link_depth:
            link_chars += visible_length(text)

    # ``pieces`` is checked before calling ``flush``: blocks open and close far more often
    # than they hold text, and the call alone was a tenth of the walk.
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag
        if not isinstance(tag, str):
            tag = ""
        is_block = tag in BLOCK_TAGS
        if event == "start":
            if pieces and (is_block or tag == "br"):
                line = flush()
                if line:
                    yield line
            if is_block and element is not root:
                blocks.append(element)
            if tag == "a":
                link_depth += 1
            if element.text:
                add(element.text, element)
        else:
            if tag == "a":
                link_depth = max(0, link_depth - 1)
            if is_block:
                if pieces:
                    line = flush()
                    if line:
                        yield line
                if element is not root and blocks and blocks[-1] is element:
                    blocks.pop()
            if element is not root and element.tail:
                add(element.tail, element)
    line = flush()
    if line:
        yield line


def element_text(element: etree._Element) -> str:
    """All text of a subtree, whitespace-normalised."""
    return normalize_space("".join(element.itertext()))


def class_and_id(element: etree._Element) -> str:
    """The element's class and id as one string, the input of every attribute pattern."""
    return f"{element.get('class') or ''} {element.get('id') or ''}".strip()


@dataclass(slots=True)
class MarkedElements:
    """Elements whose class or id names a role (title, breadcrumb, author, source)."""

    title: list[etree._Element]
    breadcrumb: list[etree._Element]
    author: list[etree._Element]
    source: list[etree._Element]


_TITLE_ROLE, _BREADCRUMB_ROLE, _AUTHOR_ROLE, _SOURCE_ROLE = 1, 2, 4, 8


@functools.lru_cache(maxsize=32768)
def _roles(attributes: str) -> int:
    """The roles a class/id string names, as bit flags. Cached: a page repeats a few dozen
    class names over thousands of elements, and portals share them across pages."""
    lowered = attributes.lower()
    roles = 0
    if TITLE_ATTR_RE.search(lowered):
        roles |= _TITLE_ROLE
    if BREADCRUMB_ATTR_RE.search(lowered):
        roles |= _BREADCRUMB_ROLE
    if AUTHOR_ATTR_RE.search(lowered):
        roles |= _AUTHOR_ROLE
    elif SOURCE_ATTR_RE.search(lowered):
        roles |= _SOURCE_ROLE
    return roles


def mark_elements(root: etree._Element) -> MarkedElements:
    """One pass over the tree sorting elements by the role their class/id names."""
    marked = MarkedElements([], [], [], [])
    for element in root.iter(etree.Element):
        if element.get("rel") == "author" or element.get("itemprop") == "author":
            marked.author.append(element)
            continue
        attributes = class_and_id(element)
        if not attributes:
            continue
        roles = _roles(attributes)
        if not roles:
            continue
        if roles & _TITLE_ROLE and element.tag in TITLE_ATTR_TAGS:
            marked.title.append(element)
        if roles & _BREADCRUMB_ROLE:
            marked.breadcrumb.append(element)
        if roles & _AUTHOR_ROLE:
            marked.author.append(element)
        elif roles & _SOURCE_ROLE:
            marked.source.append(element)
    return marked
