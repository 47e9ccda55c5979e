"""Pages whose size once made extraction quadratic, and the batch removal that fixed it.

The timeouts are not speed targets: each is far above the linear code's time (well under a
second on a busy 2-core machine) and far below the quadratic code's (minutes), so a failure
means the quadratic behaviour is back, not that the machine is slow.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from crawler.extraction import extract_article
from crawler.extraction.dom import drop_all_keeping_tails, parse_page
from tests.fault_portal import huge_comment_list_html

# Removing this many siblings one at a time took 15 s for 50,000 (quadratic): about four
# minutes for 200,000. Linear, it is a fraction of a second.
MANY_SIBLINGS = 200_000


def _drop_one_at_a_time(element: etree._Element) -> None:
    """The reference: the removal the extractor did before, one element at a time."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _serialize(root: etree._Element) -> str:
    html: str = etree.tostring(root, encoding="unicode", method="html")
    return html


@pytest.mark.timeout(20)
def test_dropping_many_siblings_is_linear_and_keeps_every_tail() -> None:
    root = parse_page("<div><ul>" + "<li>评论</li>尾" * MANY_SIBLINGS + "</ul><p>正文</p></div>")
    assert root is not None
    items = root.findall(".//li")
    assert len(items) == MANY_SIBLINGS

    drop_all_keeping_tails(items)

    listing = root.find(".//ul")
    assert listing is not None and len(listing) == 0
    assert listing.text == "尾" * MANY_SIBLINGS
    assert root.findtext(".//p") == "正文"


@pytest.mark.timeout(60)
def test_ten_megabyte_page_of_comments_extracts_the_article() -> None:
    """100,000 ``<li class='comment'>`` siblings: pruned as furniture in linear time, and the
    pruned subtree, whose elements the extractor still references, is freed in linear time."""
    article = extract_article(huge_comment_list_html(), "http://127.0.0.1/huge.html")

    assert article.title == "评论区超大的十兆字节页面"
    assert article.body and "网友评论" not in article.body


# Small trees: tag names from a short alphabet, texts and tails sometimes empty.
_texts = st.one_of(st.none(), st.sampled_from(["甲", "乙丙", " ", "x\n"]))


@st.composite
def _trees(draw: st.DrawFn, depth: int = 3) -> str:
    children = draw(st.lists(_subtrees(depth), max_size=5))
    return "<div>" + (draw(_texts) or "") + "".join(children) + "</div>"


def _subtrees(depth: int) -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        tag = draw(st.sampled_from(["p", "span", "li", "b"]))
        inner = draw(st.lists(_subtrees(depth - 1), max_size=3)) if depth > 0 else []
        text, tail = draw(_texts) or "", draw(_texts) or ""
        return f"<{tag}>{text}{''.join(inner)}</{tag}>{tail}"

    return build()


@given(html=_trees(), picks=st.lists(st.integers(min_value=0, max_value=200), max_size=12))
def test_batch_removal_equals_removing_one_at_a_time(html: str, picks: list[int]) -> None:
    batch_root = parse_page(html)
    single_root = parse_page(html)
    assert batch_root is not None and single_root is not None
    batch_elements = list(batch_root.iter())[1:]
    single_elements = list(single_root.iter())[1:]
    if not batch_elements:
        return
    chosen = sorted({pick % len(batch_elements) for pick in picks})

    drop_all_keeping_tails(batch_elements[index] for index in chosen)
    for index in chosen:
        _drop_one_at_a_time(single_elements[index])

    assert _serialize(batch_root) == _serialize(single_root)
