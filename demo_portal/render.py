"""HTML templates for the demo portal, one family per section style.

The markup imitates two kinds of real Chinese portals on purpose, because the crawler's
listing/article/pagination heuristics are tested against it:

* the fintech section is a modern div-based CMS page (UTF-8, ``下一页`` pagination,
  ``来源：``/``发布时间：`` bylines, a lot of boilerplate after the body);
* the cloud section is an old table-layout page (GBK, ``>`` pagination, ``稿源:``,
  ``文/`` bylines and Chinese dates, full-width-space paragraph indentation).

Every page carries navigation, a sidebar and a footer full of links so that a crawler
must find the main list or the main text rather than take every link or every ``<p>``.
All functions return ``str``; the caller encodes (UTF-8 or GBK), which is why the GBK
templates spell characters outside GBK as entities (``&raquo;``, ``&copy;``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from demo_portal.models import ArticleLayout, Block, BlockKind, DemoArticle

SITE_NAME = "中国IDC圈"
FINTECH_NAME = "金融科技"
CLOUD_NAME = "云计算"
LOGO_PATH = "/static/img/logo.png"
THUMB_PATH = "/static/img/thumb.png"
STYLESHEET_PATH = "/static/css/site.css"
PAGINATION_WINDOW = 10
"""How many page numbers a pagination bar shows, like real CMSes do on long channels."""


@dataclass(frozen=True)
class SiteChrome:
    """Links repeated on every page (sidebar hot lists, topic link).

    They point at real articles on purpose: a crawler that follows every link still
    finds articles, but one that takes the sidebar for the main list gets the wrong set.
    """

    hot_articles: list[DemoArticle]
    ranking_articles: list[DemoArticle]
    topic_path: str
    topic_title: str


def listing_path(section_slug: str, page_number: int) -> str:
    """URL of listing page ``page_number`` (1-based) in each section's own naming scheme."""
    if section_slug == "fintech":
        return "/fintech/index.html" if page_number == 1 else f"/fintech/list_{page_number}.html"
    return "/cloud/index.shtml" if page_number == 1 else f"/cloud/index_{page_number}.shtml"


def _pagination_numbers(current: int, total: int) -> range:
    """The window of page numbers shown around ``current``."""
    first = max(1, min(current - PAGINATION_WINDOW // 2, total - PAGINATION_WINDOW + 1))
    last = min(total, first + PAGINATION_WINDOW - 1)
    return range(first, last + 1)


def _date_only(article: DemoArticle) -> str:
    return article.published_at.strftime("%Y-%m-%d")


def _snippet(article: DemoArticle, limit: int = 60) -> str:
    """Listing teaser: the summary if there is one, else the start of the body."""
    text = article.summary or article.paragraphs[0]
    return text if len(text) <= limit else text[:limit] + "..."


# ---------------------------------------------------------------------------
# Shared modern (UTF-8) chrome: fintech pages, home page, about/topic pages
# ---------------------------------------------------------------------------


def _modern_head(title: str, description: str | None = None, keywords: str | None = None) -> str:
    meta = []
    if keywords:
        meta.append(f'<meta name="keywords" content="{escape(keywords)}">')
    if description:
        meta.append(f'<meta name="description" content="{escape(description)}">')
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="X-UA-Compatible" content="IE=edge">\n'
        f"<title>{escape(title)}</title>\n"
        + "".join(m + "\n" for m in meta)
        + f'<link rel="stylesheet" href="{STYLESHEET_PATH}">\n'
        "<script>var _hmt = _hmt || []; /* 统计代码 */</script>\n"
        "</head>\n<body>\n"
    )


def _modern_header(active: str) -> str:
    nav = [
        ("/", "首页"),
        ("/fintech/", FINTECH_NAME),
        ("/cloud/", CLOUD_NAME),
        ("/dc/", "数据中心"),
        ("/topic/jinrongyun/index.html", "专题"),
        ("/about/index.html", "关于我们"),
    ]
    active_attribute = ' class="active"'
    items = "".join(
        f'<li{active_attribute if label == active else ""}><a href="{href}">{label}</a></li>'
        for href, label in nav
    )
    return (
        '<div class="topbar"><div class="w1200">'
        '<span class="welcome">您好，欢迎来到中国IDC圈！</span>'
        '<span class="login"><a href="/login">登录</a> | <a href="/login">注册</a></span>'
        "</div></div>\n"
        '<div class="header"><div class="w1200">'
        f'<div class="logo"><a href="/"><img src="{LOGO_PATH}" alt="{SITE_NAME}"></a></div>'
        f'<ul class="nav">{items}</ul>'
        '<form class="search" action="/search" method="get">'
        '<input type="text" name="q" placeholder="请输入关键词"><button type="submit">搜索</button>'
        "</form></div></div>\n"
    )


def _article_links(articles: Sequence[DemoArticle], numbered: bool = False) -> str:
    items = []
    for position, article in enumerate(articles, start=1):
        number = f'<em class="num">{position}</em>' if numbered else ""
        items.append(
            f'<li>{number}<a href="{article.url_path}" title="{escape(article.title)}">'
            f"{escape(article.title)}</a></li>"
        )
    return "".join(items)


def _modern_sidebar(chrome: SiteChrome) -> str:
    return (
        '<div class="sidebar">\n'
        '<div class="side-box hot"><h4>热点文章</h4><ul>'
        f"{_article_links(chrome.hot_articles)}</ul></div>\n"
        '<div class="side-box rank"><h4>热门排行</h4><ul>'
        f"{_article_links(chrome.ranking_articles, numbered=True)}</ul></div>\n"
        '<div class="side-box topic"><h4>专题推荐</h4><ul>'
        f'<li><a href="{chrome.topic_path}">{escape(chrome.topic_title)}</a></li></ul></div>\n'
        '<div class="side-box channels"><h4>频道导航</h4><ul>'
        f'<li><a href="/fintech/">{FINTECH_NAME}</a></li>'
        f'<li><a href="/cloud/">{CLOUD_NAME}</a></li>'
        '<li><a href="/dc/">数据中心</a></li><li><a href="/about/index.html">关于我们</a></li>'
        "</ul></div>\n"
        '<div class="side-box ad"><a href="/about/ad.html">'
        f'<img src="{THUMB_PATH}" alt="广告位招租"></a></div>\n'
        "</div>\n"
    )


def _modern_footer() -> str:
    return (
        '<div class="footer"><div class="w1200">\n'
        '<p class="links"><a href="/about/index.html">关于我们</a> | '
        '<a href="/about/contact.html">联系我们</a> | <a href="/about/ad.html">广告服务</a> | '
        '<a href="/about/copyright.html">版权声明</a> | <a href="/login">会员登录</a></p>\n'
        '<p class="friend-links">友情链接：<a href="/cloud/">云计算频道</a> '
        '<a href="/fintech/">金融科技频道</a> <a href="/dc/">数据中心频道</a></p>\n'
        "<p>Copyright © 2007-2019 中国IDC圈 版权所有 京ICP备00000000号-1</p>\n"
        "<p>本站部分内容来源于网络，如有侵权请联系删除</p>\n"
        "</div></div>\n"
        "</body>\n</html>\n"
    )


# ---------------------------------------------------------------------------
# Fintech section: modern div layout, UTF-8
# ---------------------------------------------------------------------------


def _fintech_pagination(current: int, total: int) -> str:
    parts = ['<div class="pagination">']
    if current == 1:
        parts.append('<span class="disabled">首页</span><span class="disabled">上一页</span>')
    else:
        parts.append(f'<a href="{listing_path("fintech", 1)}">首页</a>')
        parts.append(f'<a href="{listing_path("fintech", current - 1)}">上一页</a>')
    for number in _pagination_numbers(current, total):
        if number == current:
            parts.append(f'<span class="current">{number}</span>')
        else:
            parts.append(f'<a href="{listing_path("fintech", number)}">{number}</a>')
    if current == total:
        parts.append('<span class="disabled">下一页</span><span class="disabled">尾页</span>')
    else:
        parts.append(f'<a href="{listing_path("fintech", current + 1)}">下一页</a>')
        parts.append(f'<a href="{listing_path("fintech", total)}">尾页</a>')
    parts.append(f'<span class="total">共{total}页</span></div>\n')
    return "".join(parts)


def render_fintech_listing(
    items: Sequence[DemoArticle], current: int, total: int, chrome: SiteChrome
) -> str:
    """One page of the fintech channel list, newest first."""
    rows = []
    for article in items:
        thumb = (
            f'<a class="thumb" href="{article.url_path}" target="_blank">'
            f'<img src="{THUMB_PATH}" alt=""></a>'
            if article.image_caption
            else ""
        )
        rows.append(
            f'<li class="news-item">{thumb}<div class="news-text">'
            f'<h3><a href="{article.url_path}" target="_blank">{escape(article.title)}</a></h3>'
            f'<p class="desc">{escape(_snippet(article))}</p>'
            f'<div class="news-meta"><span class="source">来源：{escape(article.source)}</span>'
            f'<span class="date">{_date_only(article)}</span></div></div></li>\n'
        )
    suffix = "" if current == 1 else f"_第{current}页"
    return (
        _modern_head(
            f"{FINTECH_NAME}{suffix}_{SITE_NAME}",
            description="中国IDC圈金融科技频道，关注银行、支付、保险与科技公司的数字化进程。",
            keywords="金融科技,开放银行,智能风控,移动支付",
        )
        + _modern_header(FINTECH_NAME)
        + '<div class="wrap w1200">\n'
        '<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; '
        f'<a href="/fintech/">{FINTECH_NAME}</a></div>\n'
        '<div class="main-left">\n<div class="list-box">\n'
        f'<h2 class="list-title">{FINTECH_NAME}</h2>\n'
        '<ul class="news-list">\n' + "".join(rows) + "</ul>\n"
        f"{_fintech_pagination(current, total)}"
        "</div>\n</div>\n" + _modern_sidebar(chrome) + "</div>\n" + _modern_footer()
    )


def _fintech_block(block: Block) -> str:
    if block.kind is BlockKind.HEADING:
        return f"<h3>{escape(block.text)}</h3>\n"
    if block.kind is BlockKind.IMAGE:
        return (
            f'<p class="pic" style="text-align:center"><img src="{block.image_path}" '
            f'alt="{escape(block.text)}" width="600"></p>\n'
            f'<p class="pic-note" style="text-align:center">{escape(block.text)}</p>\n'
        )
    return f"<p>{escape(block.text)}</p>\n"


def render_fintech_article(layout: ArticleLayout, chrome: SiteChrome) -> str:
    """A fintech article page; byline style depends on ``layout.variant``."""
    article = layout.article
    if article.author is None:
        byline = ""
    elif layout.variant % 3 == 0:
        byline = f'<span class="author">作者：{escape(article.author)}</span>'
    else:
        byline = f'<span class="author">记者 {escape(article.author)}</span>'
    summary = (
        f'<div class="article-summary"><strong>摘要：</strong>{escape(article.summary)}</div>\n'
        if article.summary
        else ""
    )
    attachment = (
        f'<div class="attachment">附件下载：<a href="{layout.attachment_path}">'
        f"{escape(layout.attachment_title or '')}</a></div>\n"
        if layout.attachment_path
        else ""
    )
    neighbours = []
    if layout.previous_article:
        prev_article = layout.previous_article
        neighbours.append(
            f'<p>上一篇：<a href="{prev_article.url_path}">{escape(prev_article.title)}</a></p>'
        )
    if layout.next_article:
        next_article = layout.next_article
        neighbours.append(
            f'<p>下一篇：<a href="{next_article.url_path}">{escape(next_article.title)}</a></p>'
        )
    published = article.published_at.strftime("%Y-%m-%d %H:%M")
    return (
        _modern_head(
            f"{article.title}_{FINTECH_NAME}_{SITE_NAME}",
            description=article.summary,
            keywords="金融科技,银行,风控",
        )
        + _modern_header(FINTECH_NAME)
        + '<div class="wrap w1200">\n'
        '<div class="breadcrumb"><a href="/">首页</a> &gt; '
        f'<a href="/fintech/">{FINTECH_NAME}</a> &gt; <span>正文</span></div>\n'
        '<div class="main-left">\n<div class="article">\n'
        f'<h1 class="article-title">{escape(article.title)}</h1>\n'
        f'<div class="article-meta"><span class="source">来源：{escape(article.source)}</span>'
        f'{byline}<span class="time">发布时间：{published}</span>'
        '<span class="views">阅读量：<em id="hits">--</em></span></div>\n'
        + summary
        + '<div class="article-content">\n'
        + "".join(_fintech_block(block) for block in layout.blocks)
        + "</div>\n"
        + attachment
        + f'<div class="editor">责任编辑：{escape(layout.editor)}</div>\n'
        '<div class="share">分享到：<a href="javascript:;" class="share-weixin">微信</a> '
        '<a href="javascript:;" class="share-weibo">新浪微博</a> '
        '<a href="javascript:;" class="share-qzone">QQ空间</a> '
        '<a href="javascript:;" class="share-copy">复制链接</a></div>\n'
        '<div class="statement">声明：本文仅代表作者观点，不代表本站立场。'
        "转载请注明出处，违者必究。</div>\n"
        '<div class="prev-next">' + "".join(neighbours) + "</div>\n"
        '<div class="related"><h4>相关文章</h4><ul>'
        + _article_links(layout.related)
        + "</ul></div>\n"
        '<div class="wechat-follow"><img src="/static/img/qrcode.png" alt="二维码">'
        "关注中国IDC圈官方微信：idc-quan，我们将定期推送金融科技最新资讯</div>\n"
        '<div class="comment"><h4>网友评论</h4><p>登录后才能发表评论，'
        '<a href="/login">立即登录</a></p></div>\n'
        "</div>\n</div>\n" + _modern_sidebar(chrome) + "</div>\n" + _modern_footer()
    )


# ---------------------------------------------------------------------------
# Cloud section: old table layout, GBK (entities for anything outside GBK)
# ---------------------------------------------------------------------------


def _legacy_head(title: str, description: str | None) -> str:
    description_meta = (
        f'<meta name="description" content="{escape(description)}" />\n' if description else ""
    )
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />\n'
        f"<title>{escape(title)}</title>\n"
        '<meta name="keywords" content="云计算,数据中心,IDC,公有云,混合云" />\n'
        + description_meta
        + f'<link href="{STYLESHEET_PATH}" rel="stylesheet" type="text/css" />\n'
        '<script type="text/javascript">function doZoom(size){'
        'document.getElementById("zoom").style.fontSize=size+"px";}</script>\n'
        "</head>\n"
        '<body topmargin="0" leftmargin="0">\n'
    )


def _legacy_header() -> str:
    return (
        '<table width="960" border="0" align="center" cellpadding="0" cellspacing="0" '
        'class="top">\n<tr><td height="30">'
        '<a href="/">首页</a> | <a href="/fintech/">金融科技</a> | '
        '<a href="/cloud/">云计算</a> | <a href="/dc/">数据中心</a> | '
        '<a href="/topic/jinrongyun/index.html">专题</a></td>'
        '<td align="right"><a href="/login">登录</a> | <a href="/login">注册</a> | '
        '<a href="javascript:window.external.AddFavorite(location.href,document.title)">'
        "加入收藏</a></td></tr>\n</table>\n"
        '<table width="960" border="0" align="center" cellpadding="0" cellspacing="0">\n'
        f'<tr><td><a href="/"><img src="{LOGO_PATH}" alt="{SITE_NAME}" border="0" /></a></td>'
        '<td align="right"><img src="/static/img/banner.png" alt="" /></td></tr>\n</table>\n'
    )


def _legacy_sidebar(chrome: SiteChrome) -> str:
    hot = "".join(
        f'<tr><td class="hotlist">·<a href="{a.url_path}" target="_blank">{escape(a.title)}</a>'
        "</td></tr>\n"
        for a in chrome.hot_articles
    )
    ranking = "".join(
        f'<tr><td class="ranklist"><span class="n">{i}</span>'
        f'<a href="{a.url_path}" target="_blank">{escape(a.title)}</a></td></tr>\n'
        for i, a in enumerate(chrome.ranking_articles, start=1)
    )
    return (
        '<td width="290" valign="top" class="right">\n'
        '<table width="100%" border="0" cellspacing="0" cellpadding="0">\n'
        '<tr><td class="boxtitle">热门排行 <a href="/cloud/" class="more">更多&raquo;</a>'
        "</td></tr>\n" + ranking + '<tr><td class="boxtitle">热点文章 <a href="/fintech/" '
        'class="more">更多&raquo;</a></td></tr>\n'
        + hot
        + '<tr><td class="boxtitle">专题</td></tr>\n'
        f'<tr><td>·<a href="{chrome.topic_path}">{escape(chrome.topic_title)}</a></td></tr>\n'
        '<tr><td class="boxtitle">频道</td></tr>\n'
        '<tr><td><a href="/fintech/">金融科技</a> <a href="/cloud/">云计算</a> '
        '<a href="/dc/">数据中心</a> <a href="/about/index.html">关于我们</a></td></tr>\n'
        "</table>\n</td>\n"
    )


def _legacy_footer() -> str:
    return (
        '<table width="960" border="0" align="center" cellpadding="0" cellspacing="0" '
        'class="bottom">\n<tr><td align="center">'
        '<a href="/about/index.html">关于我们</a> | <a href="/about/contact.html">联系我们</a> | '
        '<a href="/about/ad.html">广告服务</a> | <a href="/about/copyright.html">版权声明</a>'
        "</td></tr>\n"
        '<tr><td align="center">Copyright &copy; 2007-2019 中国IDC圈 All Rights Reserved '
        "版权所有 京ICP备00000000号</td></tr>\n</table>\n</body>\n</html>\n"
    )


def _cloud_pagination(current: int, total: int) -> str:
    parts = [f'<div class="pages">共{total}页&nbsp;&nbsp;']
    if current > 1:
        parts.append(f'<a href="{listing_path("cloud", current - 1)}">&lt;</a> ')
    for number in _pagination_numbers(current, total):
        if number == current:
            parts.append(f"<b>{number}</b> ")
        else:
            parts.append(f'<a href="{listing_path("cloud", number)}">{number}</a> ')
    if current < total:
        parts.append(f'<a href="{listing_path("cloud", current + 1)}" class="next">&gt;</a>')
    parts.append("</div>\n")
    return "".join(parts)


def render_cloud_listing(
    items: Sequence[DemoArticle], current: int, total: int, chrome: SiteChrome
) -> str:
    """One page of the cloud channel list: a table of title/date rows."""
    rows = []
    for position, article in enumerate(items, start=1):
        rows.append(
            f'<tr><td class="t" height="26">·<a href="{article.url_path}" target="_blank">'
            f"{escape(article.title)}</a></td>"
            f'<td class="d" width="90" align="right">{_date_only(article)}</td></tr>\n'
        )
        if position % 5 == 0:
            rows.append('<tr><td colspan="2" class="line" height="8"></td></tr>\n')
    return (
        _legacy_head(f"云计算频道_第{current}页_{SITE_NAME}", None)
        + _legacy_header()
        + '<table width="960" border="0" align="center" cellpadding="0" cellspacing="0">\n'
        '<tr><td class="position">您现在的位置：<a href="/">首页</a> &gt;&gt; '
        f"{CLOUD_NAME}</td></tr>\n</table>\n"
        '<table width="960" border="0" align="center" cellpadding="0" cellspacing="0">\n<tr>\n'
        '<td width="660" valign="top" class="left">\n'
        f'<table width="100%" border="0" cellspacing="0" cellpadding="0" class="newslist">\n'
        f'<tr><td colspan="2" class="listtitle">{CLOUD_NAME} &gt; 最新资讯</td></tr>\n'
        + "".join(rows)
        + "</table>\n"
        + _cloud_pagination(current, total)
        + "</td>\n"
        + _legacy_sidebar(chrome)
        + "</tr>\n</table>\n"
        + _legacy_footer()
    )


def _cloud_block(block: Block) -> str:
    if block.kind is BlockKind.HEADING:
        return f"<p><strong>{escape(block.text)}</strong></p>\n"
    if block.kind is BlockKind.IMAGE:
        return (
            f'<p align="center"><img src="{block.image_path}" border="0" /></p>\n'
            f'<p align="center">{escape(block.text)}</p>\n'
        )
    return f"<p>\u3000\u3000{escape(block.text)}</p>\n"


def render_cloud_article(layout: ArticleLayout, chrome: SiteChrome) -> str:
    """A cloud article page: Chinese date, ``稿源：``/``来源:`` and ``文/``/``作者:`` variants."""
    article = layout.article
    moment = article.published_at
    if layout.variant % 2 == 0:
        date_text = f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"
    else:
        date_text = moment.strftime("%Y年%m月%d日%H:%M:%S")
    source_label = "稿源：" if (layout.variant // 2) % 2 == 0 else "来源:"
    author_text = ""
    if article.author is not None:
        author_text = (
            f"文/{escape(article.author)}"
            if layout.variant % 3 != 1
            else f"作者:{escape(article.author)}"
        )
    related = "".join(
        f'<tr><td>·<a href="{a.url_path}" target="_blank">{escape(a.title)}</a></td></tr>\n'
        for a in layout.related
    )
    return (
        _legacy_head(f"{article.title}-云计算频道-{SITE_NAME}", article.summary)
        + _legacy_header()
        + '<table width="960" border="0" align="center" cellpadding="0" cellspacing="0">\n'
        '<tr><td class="position">您现在的位置：<a href="/">首页</a> &gt;&gt; '
        f'<a href="/cloud/">{CLOUD_NAME}</a> &gt;&gt; 正文</td></tr>\n</table>\n'
        '<table width="960" border="0" align="center" cellpadding="0" cellspacing="0">\n<tr>\n'
        '<td width="660" valign="top" class="left">\n'
        '<table width="100%" border="0" cellspacing="0" cellpadding="0">\n'
        f'<tr><td class="art_title" align="center"><h1>{escape(article.title)}</h1></td></tr>\n'
        f'<tr><td class="art_info" align="center">{date_text}&nbsp;&nbsp;'
        f"{source_label}{escape(article.source)}&nbsp;&nbsp;{author_text}&nbsp;&nbsp;"
        '【字号：<a href="javascript:doZoom(16)">大</a> <a href="javascript:doZoom(14)">中</a> '
        '<a href="javascript:doZoom(12)">小</a>】</td></tr>\n'
        '<tr><td class="art_content" id="zoom">\n'
        + "".join(_cloud_block(block) for block in layout.blocks)
        + "</td></tr>\n"
        f'<tr><td class="art_editor" align="right">（责任编辑：{escape(layout.editor)}）'
        "</td></tr>\n"
        '<tr><td class="art_tool" align="right">'
        '【<a href="javascript:window.print()">打印本页</a>】'
        '【<a href="javascript:window.close()">关闭窗口</a>】</td></tr>\n'
        "</table>\n"
        '<table width="100%" border="0" cellspacing="0" cellpadding="0" class="xgwz">\n'
        '<tr><td class="boxtitle">相关链接</td></tr>\n' + related + "</table>\n"
        "</td>\n" + _legacy_sidebar(chrome) + "</tr>\n</table>\n" + _legacy_footer()
    )


# ---------------------------------------------------------------------------
# Pages that are not articles
# ---------------------------------------------------------------------------


def render_home(
    fintech_latest: Sequence[DemoArticle], cloud_latest: Sequence[DemoArticle], chrome: SiteChrome
) -> str:
    """The home page: headline blocks per channel with "更多" links into the sections."""

    def block(name: str, root: str, articles: Sequence[DemoArticle]) -> str:
        rows = "".join(
            f'<li><a href="{a.url_path}">{escape(a.title)}</a><span>{_date_only(a)}</span></li>'
            for a in articles
        )
        return (
            f'<div class="channel-box"><h2><a href="{root}">{name}</a>'
            f'<a class="more" href="{root}">更多&gt;&gt;</a></h2><ul>{rows}</ul></div>\n'
        )

    return (
        _modern_head(
            f"{SITE_NAME}-数据中心、云计算与金融科技产业门户",
            description="中国IDC圈，关注数据中心、云计算与金融科技产业的专业资讯门户。",
            keywords="IDC,数据中心,云计算,金融科技",
        )
        + _modern_header("首页")
        + '<div class="wrap w1200">\n<div class="main-left">\n'
        + block(FINTECH_NAME, "/fintech/", fintech_latest)
        + block(CLOUD_NAME, "/cloud/", cloud_latest)
        + "</div>\n"
        + _modern_sidebar(chrome)
        + "</div>\n"
        + _modern_footer()
    )


def render_simple_page(title: str, paragraphs: Sequence[str], chrome: SiteChrome) -> str:
    """Static pages (关于我们, 联系我们, login, channel stub): prose but not an article."""
    body = "".join(f"<p>{escape(text)}</p>\n" for text in paragraphs)
    return (
        _modern_head(f"{title}_{SITE_NAME}") + _modern_header(title) + '<div class="wrap w1200">\n'
        f'<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; {escape(title)}</div>\n'
        f'<div class="main-left"><div class="page-box"><h2>{escape(title)}</h2>\n'
        + body
        + "</div></div>\n"
        + _modern_sidebar(chrome)
        + "</div>\n"
        + _modern_footer()
    )


def render_topic(
    title: str, intro: str, articles: Sequence[DemoArticle], chrome: SiteChrome
) -> str:
    """A special-topic page: looks like a short listing but is neither a channel nor paginated."""
    rows = "".join(
        f'<li><a href="{a.url_path}" target="_blank">{escape(a.title)}</a>'
        f'<span class="date">{_date_only(a)}</span></li>\n'
        for a in articles
    )
    return (
        _modern_head(f"{title}_{SITE_NAME}", description=intro)
        + _modern_header("专题")
        + '<div class="wrap w1200">\n'
        '<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; 专题</div>\n'
        f'<div class="main-left"><div class="topic-banner"><h1>{escape(title)}</h1>'
        f'<p class="intro">{escape(intro)}</p></div>\n'
        '<div class="topic-list"><h2>专题文章</h2><ul>\n'
        + rows
        + "</ul></div></div>\n"
        + _modern_sidebar(chrome)
        + "</div>\n"
        + _modern_footer()
    )


def render_not_found(path: str) -> str:
    """The 404 page body (served with status 404, never as a 200 "soft 404")."""
    return (
        _modern_head(f"页面不存在_{SITE_NAME}")
        + f"<h1>404 页面不存在</h1>\n<p>您访问的页面 {escape(path)} 不存在或已被删除。</p>\n"
        '<p><a href="/">返回首页</a></p>\n</body>\n</html>\n'
    )
