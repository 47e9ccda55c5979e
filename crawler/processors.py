"""Pure cleanup functions used by the item loader's input and output processors.

Every function takes a raw value (text from a selector, or a value the generic extractor
produced) and returns the cleaned value, or None when nothing usable is left; None values are
dropped by the loader so that the next source of the field (the generic extractor) can fill it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import nh3
from lxml import etree, html

from crawler.dates import to_datetime

__all__ = [
    "breadcrumb_parts",
    "clean_multiline",
    "clean_text",
    "html_to_text",
    "sanitize_html",
    "strip_label",
    "to_datetime",
]

# Characters that render as spaces (or nothing) on Chinese pages and must not reach the data.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[\s\u00a0\u3000\u2002\u2003\u2009]+")

SOURCE_LABELS = ("来源", "稿源", "出处", "转自", "来自", "Source")
AUTHOR_LABELS = ("作者", "记者", "撰文", "文", "通讯员", "Author", "By")
SUMMARY_LABELS = ("摘要", "导读", "核心提示", "内容提要", "内容摘要")
# Labels that may follow a value on the same info line and end it.
_ANY_LABEL = (
    "来源|稿源|出处|转自|作者|记者|撰文|通讯员|编辑|责任编辑|责编|发布时间|发布日期|发表时间|"
    "更新时间|时间|日期|浏览|阅读|点击|字号|评论"
)
_NEXT_LABEL = re.compile(rf"\s*(?:{_ANY_LABEL})\s*[:：]|\s{{2,}}|\s*[|｜]\s*")
_DATE_START = re.compile(r"\s*\d{2,4}\s*[-/.年]\s*\d{1,2}")


def clean_text(value: str | None) -> str | None:
    """One line of text: invisible characters removed, runs of any whitespace made one space."""
    if value is None:
        return None
    text = _SPACES.sub(" ", str(value).translate(_INVISIBLE)).strip()
    return text or None


def clean_multiline(value: str | None) -> str | None:
    """Paragraph text: each line cleaned, empty lines dropped, lines joined with newlines."""
    if value is None:
        return None
    lines = (clean_text(line) for line in str(value).splitlines())
    text = "\n".join(line for line in lines if line)
    return text or None


def strip_label(
    value: str | None, labels: Iterable[str], *, whole_line: bool = False
) -> str | None:
    """``来源：新华社  作者：张三`` -> ``新华社`` for the source labels.

    Removes a leading label (with a full-width or ASCII colon, or ``文/`` style slash) and cuts
    the value at the next label, a date, a wide gap or a separator bar, because info lines put
    several fields next to each other. With ``whole_line`` (summaries: prose that may well
    contain dates and bars) only the leading label is removed.
    """
    text = clean_text(value)
    if text is None:
        return None
    label_group = "|".join(re.escape(label) for label in labels)
    text = re.sub(rf"^\s*[【\[]?(?:{label_group})\s*[】\]]?\s*[:：/]?\s*", "", text, count=1)
    if whole_line:
        return clean_text(text)
    if (match := _NEXT_LABEL.search(text)) is not None:
        text = text[: match.start()]
    if (match := _DATE_START.search(text)) is not None:
        text = text[: match.start()]
    return clean_text(text.strip(" :：-—|"))


_CRUMB_SEPARATORS = re.compile(r"\s*(?:>|＞|»|›|→|/|\\|-{1,2}>|&gt;)\s*")
_NOT_A_CATEGORY = {
    "首页",
    "主页",
    "正文",
    "文章页",
    "内容页",
    "当前位置",
    "您的位置",
    "你的位置",
    "位置",
}


def breadcrumb_parts(value: str | None) -> list[str]:
    """``首页 > 金融科技 > 正文`` -> ``["金融科技"]``: the channel path without home/current."""
    text = clean_text(value)
    if text is None:
        return []
    text = re.sub(r"^(?:当前位置|您的位置|你的位置|位置)\s*[:：]\s*", "", text)
    parts = (clean_text(part) for part in _CRUMB_SEPARATORS.split(text))
    return [part for part in parts if part and part not in _NOT_A_CATEGORY]


_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "br",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "tr",
        "blockquote",
        "section",
        "article",
        "figcaption",
        "pre",
        "table",
        "ul",
        "ol",
        "dd",
        "dt",
    ]
)
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "form", "button", "select")


def html_to_text(fragment: str | None) -> str | None:
    """The text of an HTML fragment with one paragraph a line (block elements break lines)."""
    if not fragment or not fragment.strip():
        return None
    try:
        root = html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_multiline(fragment)
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    pieces: list[str] = []
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _BLOCK_TAGS:
                pieces.append("\n")
            if element.text and tag not in _DROP_TAGS:
                pieces.append(element.text)
        else:
            if tag in _BLOCK_TAGS:
                pieces.append("\n")
            if element.tail and element is not root:
                pieces.append(element.tail)
    return clean_multiline("".join(pieces))


_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol",
    "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def sanitize_html(fragment: str | None) -> str | None:
    """HTML that is safe to render: no scripts, event handlers, styles or javascript: URLs.

    nh3 (Ammonia) does the sanitizing; we only choose the allowed tags and attributes.
    """
    if not fragment or not fragment.strip():
        return None
    cleaned = nh3.clean(
        fragment,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()
    return cleaned or None
