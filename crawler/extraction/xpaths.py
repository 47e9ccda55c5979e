"""Markup knowledge of the extractor: XPath expressions and class/id patterns, compiled once.

Kept in one module (as trafilatura keeps its ``xpaths.py``) so that every structural
assumption about portal pages is visible in one place and costs nothing per page.
"""

from __future__ import annotations

import re

from lxml import etree

# -- structured metadata -------------------------------------------------------------------
JSON_LD = etree.XPath('//script[@type="application/ld+json"]/text()')
META_TAGS = etree.XPath("//meta[@content]")
CANONICAL_LINK = etree.XPath('//link[translate(@rel, "CANONICAL", "canonical")="canonical"]/@href')
TITLE_TAG = etree.XPath("//title")

# -- title candidates ----------------------------------------------------------------------
HEADINGS = etree.XPath("//h1|//h2|//h3")

# -- breadcrumbs ---------------------------------------------------------------------------
# Text nodes that may belong to a breadcrumb: "当前位置：…" / "您的位置" (table layouts name no
# class), or a trail ending in "> 正文" (the current page) whose root link is the site's name
# rather than 首页 ("新华网 > 财经 > 正文"). One cheap XPath; the exact phrases are checked in
# Python (five contains() per text node cost 2 ms a page).
CRUMB_TEXTS = etree.XPath("//text()[contains(., '位置') or contains(., '正文')]")
POSITION_PHRASES = ("当前位置", "您的位置", "你的位置", "您现在的位置", "所在位置")

# Parents of a "…首页" link: a breadcrumb without class names starts at the home link. Only
# trusted when its text has crumb separators (a menu of links has none).
HOME_LINK_PARENTS = etree.XPath("//a[contains(., '首页') or contains(., '主页')]/..")


# -- class/id roles ------------------------------------------------------------------------
# Matched in one pass over the tree against the lower-cased "class id" of each element
# (XPath translate() over every element costs more than the rest of the extraction).
TITLE_ATTR_RE = re.compile(r"title|biaoti|headline")
TITLE_ATTR_TAGS = frozenset({"div", "td", "span", "p", "strong", "font", "b", "header", "h1", "h2"})
BREADCRUMB_ATTR_RE = re.compile(
    r"crumb|position|location|dqwz|navpath|weizhi|current-?path|channel-?path|nav-?path|site-?path"
)
AUTHOR_ATTR_RE = re.compile(r"author|writer|byline|zuozhe")
SOURCE_ATTR_RE = re.compile(r"source|origin|media-name|laiyuan|comefrom")

# -- body ----------------------------------------------------------------------------------
# Tags that never hold visible article text.
INVISIBLE_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "select",
    "option",
    "button",
    "input",
    "textarea",
    "link",
    "meta",
    "head",
    "map",
    "area",
)
# Block-level tags: they end the line of text before them.
BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "nav",
        "td",
        "th",
        "tr",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "form",
        "center",
        "figure",
        "figcaption",
        "hr",
        "body",
        "html",
        "address",
        "fieldset",
        "caption",
        "details",
        "summary",
    }
)
# Tags whose text is a paragraph of their parent (readability's notion of a paragraph).
PARAGRAPH_TAGS = frozenset(
    {"p", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "li", "dd", "figcaption"}
)
# Tags that may be chosen as the article container.
CONTAINER_TAGS = frozenset(
    {"div", "td", "article", "section", "main", "body", "center", "font", "span", "form", "dd"}
)

# class/id tokens of page furniture. Matched against "class id" of an element; an element
# carrying one is removed before scoring, unless it holds much of the page's text (see
# body.prune_furniture): layout words (nav, side, header) are sometimes put on a wrapper.
BOILERPLATE_ATTR_RE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|menus|topbar|site-?header|header"
    r"|sidebar|side|aside|rightside|leftside|leftmenu|rightmenu|ad|ads|adv|advert|advertisement"
    r"|banner|breadcrumb|crumbs?|toolbar|tools|pagination|pager|page-?nav"
    r"|tags?|keywords|hot|hotnews|rank|ranking|login|more|morenews|list-?news|newslist"
    r"|friend-?links?|links|popup|modal|cookie)(?:$|[\s_-])",
    re.IGNORECASE,
)
# Tokens that name furniture unambiguously (comments, sharing, related lists, footers):
# pruned even when they hold most of the page's text, as a long comment thread does.
STRONG_BOILERPLATE_ATTR_RE = re.compile(
    r"(?:^|[\s_-])(?:footer|foot|share|sharing|bdshare|jiathis|social|comment|comments"
    r"|commentlist|comment-?list|comment-?form|commentform|reply|replies|related|relate"
    r"|recommend|recom|copyright|qrcode|erweima|ewm|wx|weixin|wechat|mood|vote|digg|dig"
    r"|print|subscribe|gotop|backtop|disclaimer|statement|shengming)"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)
# Tokens that mark the article itself: never pruned even when a furniture token is present.
CONTENT_ATTR_RE = re.compile(
    r"(?:article|content|contents|main|post|entry|text|body|story|detail|zoom|neirong|zhengwen"
    r"|artibody|endtext|txt|con)",
    re.IGNORECASE,
)
# Hidden elements ("display:none") carry templates and popups, never the article.
HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
