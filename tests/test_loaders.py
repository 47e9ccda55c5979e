"""build_article: site selectors first, the generic extractor for every field they leave out."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from scrapy.http import HtmlResponse

from crawler.loaders import build_article
from crawler.sites import Site

BEIJING = timezone(timedelta(hours=8))
PARAGRAPHS = [
    "随着大数据、人工智能、云计算、区块链等在内的新兴技术不断发展，科技给整个金融行业带来了更多的可能性。",
    "在目前看来，金融与科技的融合已经形成不可逆的趋势，传统银行机构纷纷重仓金融科技。",
]


def page(headline_markup: str, *, extra: str = "") -> HtmlResponse:
    html = f"""<html><head><title>站点标题-示例网</title>
<link rel="canonical" href="https://www.example.com.cn/a/1.html?utm_source=wx"></head><body>
<div class="nav"><a href="/">首页</a> <a href="/fintech/">金融科技</a></div>
{headline_markup}
<div class="info"><span class="src">来源：经济日报</span> <span class="writer">作者：张三</span>
<span class="time">发布时间：2019-01-16 15:18</span></div>
<div class="content"><p>{PARAGRAPHS[0]}</p><div class="share">分享到：微信 微博</div><p>{PARAGRAPHS[1]}</p>
<p>责任编辑：李四</p></div>{extra}
<div class="footer">Copyright 2019 示例网 版权所有</div></body></html>"""
    return HtmlResponse(
        "https://m.example.com.cn/a/1.html", body=html.encode("utf-8"), encoding="utf-8"
    )


def test_generic_extraction_without_rules() -> None:
    item = build_article(
        page('<h1 class="headline">金融科技企业的新挑战</h1>'), site_name="example"
    )
    assert item.title == "金融科技企业的新挑战"
    assert item.source == "经济日报"
    assert item.author == "张三"
    assert item.published_at == datetime(2019, 1, 16, 15, 18, tzinfo=BEIJING)
    assert item.body == "\n".join(PARAGRAPHS)
    assert item.site == "example"
    assert item.canonical_url == "https://www.example.com.cn/a/1.html?utm_source=wx"


def test_rules_override_fields_and_generic_fills_the_rest() -> None:
    site = Site(
        name="example",
        start_urls=("https://www.example.com.cn/fintech/",),
        fields={"title": "h2.real-title", "source": "span.src", "body": "div.content"},
        body_exclude=("div.share", "//p[starts-with(., '责任编辑')]"),
    )
    response = page('<h1>频道首页</h1><h2 class="real-title">规则里的标题</h2>')
    item = build_article(response, site)
    assert item.title == "规则里的标题"  # the rule wins over the generic h1 choice
    assert item.source == "经济日报"  # label stripped by the source processor
    assert item.body == "\n".join(PARAGRAPHS)  # excluded share bar and editor line
    assert item.body_html is not None and "分享到" not in item.body_html
    assert item.author == "张三"  # no rule: generic extractor
    assert item.published_at == datetime(2019, 1, 16, 15, 18, tzinfo=BEIJING)
    assert item.site == "example"


def test_older_layout_version_is_used_when_the_new_one_finds_nothing() -> None:
    old = Site(
        name="example",
        start_urls=("https://www.example.com.cn/fintech/",),
        fields={"title": "h1.old-title", "body": "div.content"},
    )
    new = dataclasses.replace(
        old, fields={"title": "h1.new-title", "body": "article.text"}, versions=(old,)
    )
    old_page = page('<h1 class="old-title">旧版页面的标题</h1>')
    assert build_article(old_page, new).title == "旧版页面的标题"
    new_page = page(
        '<h1 class="new-title">新版页面的标题</h1>',
        extra=f"<article class='text'><p>{PARAGRAPHS[0]}</p></article>",
    )
    item = build_article(new_page, new)
    assert item.title == "新版页面的标题"
    assert item.body == PARAGRAPHS[0]


def test_xpath_rule_and_text_nodes() -> None:
    site = Site(
        name="example",
        start_urls=("https://www.example.com.cn/",),
        fields={"author": "//span[@class='writer']/text()"},
    )
    assert build_article(page("<h1>标题标题标题</h1>"), site).author == "张三"


def test_body_exclude_keeps_the_text_that_follows_an_excluded_element() -> None:
    site = Site(
        name="example",
        start_urls=("https://www.example.com.cn/",),
        fields={"body": "div.content"},
        body_exclude=("span.ad",),
    )
    response = page("<h1>标题标题标题</h1>", extra="")
    html = response.text.replace(
        f"<p>{PARAGRAPHS[1]}</p>",
        f"<p>在目前看来，<span class='ad'>广告</span>{PARAGRAPHS[1][6:]}</p>",
    )
    item = build_article(response.replace(body=html.encode("utf-8")), site)
    assert item.body is not None
    assert "广告" not in item.body
    assert PARAGRAPHS[1] in item.body


@pytest.mark.parametrize(
    ("info_line", "source", "author"),
    [
        # adjacent spans run the byline into the source
        ("<span>来源：亿欧网</span><span>记者 黄晓明</span>", "亿欧网", "黄晓明"),
        # one info line with both labels, a date and a bar
        ("来源：新华社　作者：王五 | 2019-01-16 15:18", "新华社", "王五"),
        # the element names the field, the text is the bare name
        ("新京报", "新京报", "新京报"),
    ],
)
def test_site_selected_bylines_are_cleaned_like_the_generic_ones(
    info_line: str, source: str, author: str
) -> None:
    site = Site(
        name="example",
        start_urls=("https://www.example.com.cn/fintech/",),
        fields={"source": "div.byline", "author": "div.byline"},
    )
    response = page("<h1>金融科技企业的新挑战</h1>", extra=f'<div class="byline">{info_line}</div>')
    item = build_article(response, site)
    assert (item.source, item.author) == (source, author)
