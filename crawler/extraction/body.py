"""Main-text detection: which part of the page is the article, and its paragraphs.

The approach is readability's, adapted to Chinese portals: furniture is pruned by class/id,
every visual line of prose scores its block and that block's ancestors (more for more
punctuation and length, nothing for link text), the best-scoring block wins, siblings that
score nearly as well join it (bodies split by ads or image captions), and the winning lines
are filtered once more for widgets, bylines and copyright lines that sit inside the article
container itself. Chinese text has no spaces, so lengths are counted in characters and
punctuation (，。、) is the strongest sign of prose.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field

from lxml import etree
from lxml.html import tostring

from crawler.extraction.dom import (
    Line,
    class_and_id,
    drop_all_keeping_tails,
    iter_lines,
    normalize_space,
    visible_length,
)
from crawler.extraction.labels import looks_like_info_line
from crawler.extraction.patterns import (
    BOILERPLATE_LINE_RE,
    DATE_HINT_RE,
    PUNCTUATION_RE,
    SUMMARY_LINE_RE,
    TAIL_SECTION_RE,
)
from crawler.extraction.xpaths import (
    BLOCK_TAGS,
    BOILERPLATE_ATTR_RE,
    CONTENT_ATTR_RE,
    PARAGRAPH_TAGS,
    STRONG_BOILERPLATE_ATTR_RE,
)

# A line shorter than this (in visible characters, links excluded) carries no prose signal.
MIN_PROSE_CHARS = 8
# Furniture candidates holding more than this share of the page's text are kept anyway:
# some old portals name their whole page wrapper "nav" or "header".
MAX_PRUNED_TEXT_SHARE = 0.35
# A short line holding a timestamp is a comment header or a related-article entry.
MAX_DATED_LINE_CHARS = 80
# Lines whose text is mostly link text are menus, tag clouds and related-article lists.
MAX_LINE_LINK_DENSITY = 0.5
# How many leading lines of the container may hold the headline, byline or summary.
HEAD_LINES_CHECKED = 8
BOILERPLATE_LINE_MAX_CHARS = 160
# Blocks scoring this share of the best one are rival parts of a split article body.
RIVAL_SCORE_SHARE = 0.75
MIN_RIVALS = 2
# Growing the container upwards: at most this many levels, only when the wider block adds
# at least this share of prose, and never across more furniture than prose.
MAX_GROW_LEVELS = 3
GROW_MIN_PROSE_GAIN = 0.25
GROW_TOLERATED_FURNITURE = 0.1
# A page holding this many same-class post bodies in separate wrappers is a list of posts.
MIN_REPEATED_POSTS = 3
# A notice or letter closes with its signing date written out ("2019年1月15日"): part of
# the document, unlike a portal's numeric dateline with a time or a label.
CLOSING_DATE_RE = re.compile(
    r"^\s*(?:\d{4}|[〇零一二三四五六七八九]{4})\s*年[^:：]{1,12}[日号]\s*$"
)
POST_BODY_CLASS_RE = re.compile(
    r"(?:^|\s)(?:post|entry|blog|article)[-_]?(?:body|content|text|entry)(?:$|\s)", re.IGNORECASE
)


@dataclass(slots=True)
class BodyResult:
    """The article text as kept lines, plus the container markup it came from."""

    lines: list[Line] = field(default_factory=list)
    html: str | None = None
    start_position: int | None = None
    end_position: int | None = None
    # Bylines and datelines removed from the top of the container: the info line of pages
    # that print it inside the article block.
    head_info: list[Line] = field(default_factory=list)

    @property
    def text(self) -> str | None:
        joined = "\n".join(line.text for line in self.lines)
        return joined or None


_NOT_FURNITURE, _WEAK_FURNITURE, _STRONG_FURNITURE = 0, 1, 2


@functools.lru_cache(maxsize=32768)
def _furniture_kind(attributes: str) -> int:
    """How surely a class/id string names furniture. Cached: class names repeat over the
    elements of a page and across the pages of a portal."""
    if STRONG_BOILERPLATE_ATTR_RE.search(attributes):
        return _STRONG_FURNITURE
    if not BOILERPLATE_ATTR_RE.search(attributes):
        return _NOT_FURNITURE
    if CONTENT_ATTR_RE.search(attributes):
        return _NOT_FURNITURE  # "article-share" is furniture, "main-left-side" may be the article
    return _WEAK_FURNITURE


def prune_furniture(root: etree._Element, page_chars: int) -> None:
    """Remove navigation, share, comment, related and footer blocks named as such.

    Unambiguous furniture (comments, share bars, related lists, footers) always goes, however
    long: a 60-comment thread outweighs the post it follows. Layout words (nav, side,
    header) are spared when the class also names the article (``main-content-side``) or
    when the element holds a large share of the page's text, because a mis-named wrapper
    must not take the article with it.
    """
    doomed: list[etree._Element] = []
    for element in root.iter(etree.Element):
        if element.tag in ("html", "body"):
            continue
        attributes = class_and_id(element)
        if not attributes:
            continue
        kind = _furniture_kind(attributes)
        if kind == _NOT_FURNITURE:
            continue
        strong = kind == _STRONG_FURNITURE
        if not strong and page_chars:
            text_chars = visible_length("".join(element.itertext()))
            if text_chars > MAX_PRUNED_TEXT_SHARE * page_chars:
                continue
        doomed.append(element)
    drop_all_keeping_tails(doomed)


@functools.lru_cache(maxsize=4096)
def _is_boilerplate_text(text: str) -> bool:
    """A short line worded like page furniture. Cached: the article's lines are judged
    once while scoring the page and again while filtering the chosen container."""
    return len(text) <= BOILERPLATE_LINE_MAX_CHARS and bool(BOILERPLATE_LINE_RE.search(text))


def _prose_score(line: Line) -> float:
    """Readability's paragraph score in characters: one point, one per punctuation mark,
    up to three for length; furniture wording scores nothing."""
    own_chars = line.chars - line.link_chars
    if own_chars < MIN_PROSE_CHARS:
        return 0.0
    if _is_boilerplate_text(line.text):
        return 0.0
    if own_chars < MAX_DATED_LINE_CHARS and DATE_HINT_RE.search(line.text):
        return 0.0
    punctuation = len(PUNCTUATION_RE.findall(line.text))
    return 1.0 + punctuation + min(own_chars / 100.0, 3.0)


@dataclass(slots=True)
class _Tally:
    """Characters under an element: all of them, inside links, and in prose lines."""

    total: int = 0
    links: int = 0
    prose: int = 0


def _score_blocks(
    lines: list[Line],
) -> tuple[dict[etree._Element, float], dict[etree._Element, _Tally]]:
    """Propagate line scores to their blocks and ancestors; tally text, link and prose
    characters of every ancestor (for link density and for growing the container)."""
    scores: dict[etree._Element, float] = defaultdict(float)
    tallies: dict[etree._Element, _Tally] = defaultdict(_Tally)
    for line in lines:
        length = line.chars
        score = _prose_score(line)
        sentence = score and line.link_density <= MAX_LINE_LINK_DENSITY
        prose = length if sentence and PUNCTUATION_RE.search(line.text) else 0
        element: etree._Element | None = line.owner
        while element is not None:
            tally = tallies[element]
            tally.total += length
            tally.links += line.link_chars
            tally.prose += prose
            element = element.getparent()
        if not score:
            continue
        start = line.owner
        if start.tag in PARAGRAPH_TAGS and start.getparent() is not None:
            start = start.getparent()
        element = start
        for level in range(5):
            if element is None:
                break
            divider = 1 if level == 0 else 2 if level == 1 else level * 3
            scores[element] += score / divider
            element = element.getparent()
    return scores, tallies


def _grow_to_cousins(top: etree._Element, tallies: dict[etree._Element, _Tally]) -> etree._Element:
    """Climb from the best block to an ancestor when that ancestor adds more prose than
    furniture: bodies cut into sibling chunks one or two levels apart (one wrapper per
    paragraph group, ad slots between them) are then taken whole."""
    current = top
    ancestor = top.getparent()
    for _ in range(MAX_GROW_LEVELS):
        if ancestor is None or ancestor.tag in ("body", "html"):
            break
        base, wider = tallies[current], tallies[ancestor]
        gained_prose = wider.prose - base.prose
        gained_other = (wider.total - wider.prose) - (base.total - base.prose)
        if gained_other > gained_prose + base.prose * GROW_TOLERATED_FURNITURE:
            break
        if gained_prose >= GROW_MIN_PROSE_GAIN * base.prose and gained_prose >= gained_other:
            current = ancestor
        ancestor = ancestor.getparent()
    return current


def _link_density(tallies: dict[etree._Element, _Tally], element: etree._Element) -> float:
    tally = tallies.get(element)
    return tally.links / tally.total if tally and tally.total else 1.0


def _common_ancestor_of_rivals(
    top: etree._Element, final: dict[etree._Element, float]
) -> etree._Element:
    """When other blocks score nearly as well as the best one, the article is split into
    several columns or sections (one per subheading, or around inline ads): their common
    ancestor is the container (readability's alternative-candidates rule)."""
    top_score = final[top]
    top_ancestors = set(top.iterancestors())
    rivals = [
        element
        for element, score in final.items()
        if element is not top
        and score >= RIVAL_SCORE_SHARE * top_score
        and element not in top_ancestors
        and top not in set(element.iterancestors())
    ]
    if len(rivals) < MIN_RIVALS:
        return top
    ancestor = top.getparent()
    while ancestor is not None and ancestor.tag not in ("body", "html"):
        descendants = sum(1 for rival in rivals if ancestor in set(rival.iterancestors()))
        if descendants >= MIN_RIVALS:
            return ancestor
        ancestor = ancestor.getparent()
    return top


def _first_of_repeated_posts(
    top: etree._Element,
    final: dict[etree._Element, float],
    positions: dict[etree._Element, int],
    lines: list[Line],
) -> etree._Element | None:
    """On a blog's page of posts, every post body carries the same post class (``post-body``,
    ``entry-content``) in its own wrapper and its own dated footer; the page is about the
    first (newest) post, not the longest. Parts of one article split around ads have no
    dateline between them, and are left to the rules below."""
    css_class = top.get("class") or ""
    if not POST_BODY_CLASS_RE.search(css_class):
        return None
    same = sorted(
        (element for element in final if element.get("class") == css_class),
        key=lambda element: positions.get(element, 0),
    )
    if len(same) < MIN_REPEATED_POSTS:
        return None
    if len({element.getparent() for element in same}) != len(same):
        return None
    first, second = positions.get(same[0], 0), positions.get(same[1], 0)
    dated = any(
        first < line.position < second
        and len(line.text) <= MAX_DATED_LINE_CHARS
        and DATE_HINT_RE.search(line.text)
        for line in lines
    )
    return same[0] if dated else None


def _choose_containers(
    lines: list[Line], positions: dict[etree._Element, int]
) -> list[etree._Element]:
    """The best-scoring block, plus those of its siblings that score like article text."""
    scores, tallies = _score_blocks(lines)
    if not scores:
        return []
    final = {
        element: score * (1.0 - _link_density(tallies, element))
        for element, score in scores.items()
    }
    top = max(final, key=final.__getitem__)
    top_score = final[top]
    first_post = _first_of_repeated_posts(top, final, positions, lines)
    if first_post is not None:
        return [first_post]
    top = _common_ancestor_of_rivals(top, final)
    top = _grow_to_cousins(top, tallies)
    parent = top.getparent()
    if parent is None:
        return [top]
    threshold = max(10.0, top_score * 0.2)
    containers: list[etree._Element] = []
    for sibling in parent:
        if sibling is top:
            containers.append(sibling)
            continue
        if not isinstance(sibling.tag, str):
            continue
        if final.get(sibling, 0.0) >= threshold:
            containers.append(sibling)
            continue
        if sibling.tag == "p":
            tally = tallies.get(sibling) or _Tally()
            total, links = tally.total, tally.links
            text = "".join(sibling.itertext())
            density = links / total if total else 1.0
            if (total > 80 and density < 0.25) or (
                0 < total <= 80 and density == 0 and ("。" in text or ". " in text)
            ):
                containers.append(sibling)
    return containers


def _same_text(left: str, right: str) -> bool:
    return normalize_space(left).replace(" ", "") == normalize_space(right).replace(" ", "")


def _is_head_furniture(line: Line, title: str | None) -> bool:
    """Headline, byline/dateline and summary lines repeated at the top of the container."""
    text = line.text
    if title and (_same_text(text, title) or (len(text) <= len(title) + 4 and title in text)):
        return True
    if SUMMARY_LINE_RE.match(text):
        return True
    return looks_like_info_line(text)


def _is_furniture(line: Line) -> bool:
    if line.link_density > MAX_LINE_LINK_DENSITY:
        return True
    return _is_boilerplate_text(line.text)


def _line_prose_chars(line: Line) -> int:
    """Characters of a line that reads as prose (sentence punctuation, few links)."""
    if line.link_density > MAX_LINE_LINK_DENSITY or not PUNCTUATION_RE.search(line.text):
        return 0
    return line.chars if _prose_score(line) else 0


def _prose_chars_after(lines: list[Line]) -> list[int]:
    """For each index, the prose characters in the lines after it."""
    totals = [0] * len(lines)
    running = 0
    for index in range(len(lines) - 1, -1, -1):
        totals[index] = running
        running += _line_prose_chars(lines[index])
    return totals


def _filter_lines(lines: list[Line], title: str | None) -> tuple[list[Line], list[Line]]:
    """The article lines, and the info lines dropped from the container's head."""
    kept: list[Line] = []
    head_info: list[Line] = []
    prose_after = _prose_chars_after(lines)
    kept_prose = 0
    for index, line in enumerate(lines):
        if kept and TAIL_SECTION_RE.match(line.text):
            # "相关阅读" ends the article, unless more article text follows than came before
            # (an inline "Related" box in the middle of a long story).
            if prose_after[index] <= kept_prose:
                break
            continue
        if _is_furniture(line):
            continue
        if index < HEAD_LINES_CHECKED and (
            (not kept and _is_head_furniture(line, title))
            or (looks_like_info_line(line.text) and not (kept and CLOSING_DATE_RE.match(line.text)))
        ):
            head_info.append(line)
            continue
        if kept and kept[-1].text == line.text:
            continue
        kept.append(line)
        kept_prose += _line_prose_chars(line)
    # Trailing bylines and datelines ("（记者 张三）" stays; "编辑：李四" went above).
    while kept and looks_like_info_line(kept[-1].text) and not CLOSING_DATE_RE.match(kept[-1].text):
        kept.pop()
    return kept, head_info


def _container_html(containers: list[etree._Element], dropped: list[Line]) -> str | None:
    """Serialise the containers with the furniture blocks found inside them removed."""
    drop_all_keeping_tails(
        line.owner
        for line in dropped
        if line.owner.getparent() is not None
        and _same_text(line.text, "".join(line.owner.itertext()))
    )
    parts = [tostring(container, encoding="unicode", with_tail=False) for container in containers]
    html = "\n".join(part for part in parts if part.strip())
    return html or None


def _lines_within(
    containers: list[etree._Element], lines: list[Line], positions: dict[etree._Element, int]
) -> list[Line]:
    """The lines of the chosen containers. A block container starts and ends lines of its
    own, so its lines are the page's lines it owns (no second walk of the tree); an inline
    container (``<font>``, ``<span>``) or one inside a link is walked on its own."""
    if all(
        container.tag in BLOCK_TAGS and next(container.iterancestors("a"), None) is None
        for container in containers
    ):
        inside: set[etree._Element] = set()
        for container in containers:
            inside.update(container.iter())
        return [line for line in lines if line.owner in inside]
    return [line for container in containers for line in iter_lines(container, positions)]


def extract_body(
    root: etree._Element,
    positions: dict[etree._Element, int],
    page_chars: int,
    title: str | None,
) -> BodyResult:
    """Find the article container in an already cleaned private tree and return its text.

    Mutates ``root`` (furniture is pruned in place); the caller passes its own copy.
    """
    prune_furniture(root, page_chars)
    lines = list(iter_lines(root, positions))
    containers = _choose_containers(lines, positions)
    if not containers:
        return BodyResult()
    container_lines = _lines_within(containers, lines, positions)
    kept, head_info = _filter_lines(container_lines, title)
    if not kept:
        return BodyResult()
    kept_ids = {id(line) for line in kept}
    dropped = [line for line in container_lines if id(line) not in kept_ids]
    return BodyResult(
        lines=kept,
        html=_container_html(containers, dropped),
        start_position=min(line.position for line in kept),
        end_position=max(line.position for line in kept),
        head_info=head_info,
    )
