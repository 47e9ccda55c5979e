"""Unit tests of the extractor's pure helpers, as parametrize tables, plus robustness."""

from __future__ import annotations

import copy
from datetime import datetime

import parsel
import pytest
from lxml import etree

from crawler.dates import SHANGHAI
from crawler.extraction import ExtractedArticle, extract_article
from crawler.extraction.article import _without_headline
from crawler.extraction.breadcrumb import clean_crumbs, split_crumbs, without_site_name
from crawler.extraction.labels import (
    author_from_lines,
    bare_names,
    byline_outlet,
    clean_author,
    clean_source,
    dateline_credit,
    looks_like_info_line,
    reporter_names,
    reprint_source,
    source_from_lines,
    trailing_bracketed_names,
    unlabelled_source,
)
from crawler.extraction.metadata import PageMetadata
from crawler.extraction.metrics import (
    author_correct,
    char_bigram_prf,
    date_correct,
    gold_date_units,
    shingle_prf,
    shingle_tp_fp_fn,
)
from crawler.extraction.patterns import BOILERPLATE_LINE_RE, SUMMARY_LINE_RE
from crawler.extraction.published import choose_publication
from crawler.extraction.title import strip_site_suffix


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("来源：新华社  作者：张三  发布时间：2019-01-16", "新华社"),
        ("来源:金融科技圈 日期:2019-01-16 15:18", "金融科技圈"),
        ("2019-01-16 15:18 来源: 中国新闻网", "中国新闻网"),
        ("发布时间：2022-02-13 04:22:18 来源： 云南日报 分享到：", "云南日报"),
        ("稿源：经济日报 记者 赵六", "经济日报"),
        ("文章来源：人民网-人民日报", "人民网-人民日报"),
        ("来源：[ 国际金融报 ]", "国际金融报"),
        ("转自：微信公众号金融科技观察 | 文/王小明", "微信公众号金融科技观察"),
        ("来源：亿欧网记者 黄晓明发布时间：2019-01-14 18:50", "亿欧网"),
        ("2019年01月16日 15:18 来源于 财新网", "财新网"),
        ("本文来自微信公众号：远川研究所（ID：caijingyanjiu），作者：孙汉林", "远川研究所"),
        ("数据来源于国家统计局。", None),
        ("2019-01-16 15:18:02 来自北京", None),
        ("作者：张三 编辑：李四", None),
        ("来源：", None),
        ("责任编辑：王五", None),
    ],
)
def test_source_from_info_line(line: str, expected: str | None) -> None:
    assert source_from_lines([line]) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("来源：新华社  作者：张三  发布时间：2019-01-16", "张三"),
        ("作者：张三 李四 发布时间：2019-01-16 15:18", "张三 李四"),
        ("文/王小明 | 更新时间：2020-05-02", "王小明"),
        ("作者: 赵 培：北京物资学院，北京", "赵培"),
        ("作者： 赵婕 出自[人民文学出版社]", "赵婕"),
        ("撰文：Jane_Doe 图：李四", "Jane_Doe"),
        ("执笔人：闵乐夫 赵兰波 刘韬", "闵乐夫 赵兰波 刘韬"),
        ("光明日报记者 王建宏 张文攀", "王建宏 张文攀"),
        ("新华社北京1月16日电（记者张三、李四）记者16日获悉", "张三 李四"),
        ("本报记者罗科苏盈发自北京", "罗科苏盈"),
        ("By Jane Doe", "Jane Doe"),
        ("来源：亿欧网记者 黄晓明发布时间：2019-01-14 18:50", "黄晓明"),
        ("作者：张三发布时间：2019-01-14", "张三"),
        ("ggjjzhzz 发表于 2005-9-15 11:46:00", "ggjjzhzz"),
        ("由海姑娘张贴 @ 2005-06-14 03:25:55 (370)", "海姑娘"),
        ("本文来自微信公众号：远川研究所，作者：孙汉林，题图来自：视觉中国", "孙汉林"),
        ("责任编辑：王五", None),
        ("编辑：山石", None),
        ("记者了解到，市场需求旺盛。", None),
        ("（ 责任编辑：魏喆 ）", None),
    ],
)
def test_author_from_info_line(line: str, expected: str | None) -> None:
    assert author_from_lines([line], loose=True) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张三", "张三"),
        (" 张三 李四 ", "张三 李四"),
        ("赵延东、风笑天", "赵延东、风笑天"),
        ("500510761_wx", "500510761_wx"),
        ("张三 2019-01-16 15:18", "张三"),
        ("分享到微博", None),
        ("一开始就想在专辑中有创作", None),
        ("", None),
    ],
)
def test_clean_author(raw: str, expected: str | None) -> None:
    assert clean_author(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("新华社", "新华社"),
        (" 新京报 ", "新京报"),
        ("中国新闻网 发表评论 查看评论", "中国新闻网"),
        ("http://www.sina.net", None),
        ("12345", None),
    ],
)
def test_clean_source(raw: str, expected: str | None) -> None:
    assert clean_source(raw) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("新京报记者 彭冲 山东冠县报道", "彭冲"),
        ("本报实习生 刘国栋 周炜", "刘国栋 周炜"),
        ("记者致电上海", None),
    ],
)
def test_reporter_names(line: str, expected: str | None) -> None:
    assert reporter_names(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("……过一个平安、祥和的新春佳节。（常书香 马丹阳 ）", "常书香 马丹阳"),
        ("“所有的改革难道不都是利益再分配的过程吗？”（姚峰 上海报道）", "姚峰"),
        ("输入代号查询(可同时多个)： ( 代码查询)", None),
        ("这是一个句子。（完）", None),
    ],
)
def test_trailing_bracketed_names(line: str, expected: str | None) -> None:
    assert trailing_bracketed_names(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("胡平", "胡平"),
        ("赵延东、风笑天", "赵延东、风笑天"),
        ("[ 黄宇 ]", "黄宇"),
        ("会议议程", None),
        ("二十三、感赞", None),
        ("新华社", None),
        ("显示", None),
    ],
)
def test_bare_names(line: str, expected: str | None) -> None:
    assert bare_names(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("来源：新华社 2019-01-16 15:18", True),
        ("2005-04-05 06:40更新 来源：转载文章", True),
        ("责任编辑：王五", True),
        ("2019年1月16日，国务院召开常务会议，部署进一步优化营商环境。", False),
        ("记者16日从国家网信办获悉，数字经济规模达到31万亿元。", False),
        ("证券时报记者 张伟 王莹", True),
        ("本报记者 张三 北京报道", True),
        ("（记者 张三）", False),  # closing credit: part of the text
        ("记者了解到，市场需求旺盛。", False),
    ],
)
def test_looks_like_info_line(line: str, expected: bool) -> None:
    assert looks_like_info_line(line) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("金融科技圈> 金融科技> 云计算> 文章页", ["金融科技圈", "金融科技", "云计算", "文章页"]),
        ("当前位置：首页 >> 政务公开 >> 通知公告", ["首页", "政务公开", "通知公告"]),
        ("您现在的位置：首页 → 银行 → 正文", ["首页", "银行", "正文"]),
        ("首页 » 金融 » 银行", ["首页", "金融", "银行"]),
        ("首页 ＞ 财经", ["首页", "财经"]),
    ],
)
def test_split_crumbs(text: str, expected: list[str]) -> None:
    assert split_crumbs(text) == expected


@pytest.mark.parametrize(
    ("crumbs", "title", "expected"),
    [
        (
            ["金融科技圈", "金融科技", "云计算", "文章页"],
            None,
            ["金融科技圈", "金融科技", "云计算"],
        ),
        (["新浪首页", "财经", "滚动新闻", "正文"], None, ["财经", "滚动新闻"]),
        (["首页", "银行", "银行业加速布局开放银行"], "银行业加速布局开放银行", ["银行"]),
        (["社区首页", "旅游论坛", "帖子正文"], None, ["旅游论坛"]),
        (["Home", "Business"], None, ["Business"]),
    ],
)
def test_clean_crumbs(crumbs: list[str], title: str | None, expected: list[str]) -> None:
    assert clean_crumbs(crumbs, title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "流量红利消失,金融科技企业的新挑战-金融科技圈-中国IDC圈",
            "流量红利消失,金融科技企业的新挑战",
        ),
        (
            "央行开展5000亿元MLF操作 利率维持不变_新浪财经_新浪网",
            "央行开展5000亿元MLF操作 利率维持不变",
        ),
        (
            "多维博客 » 播客热潮迅速蔓延 挑逗传统传媒业",
            "多维博客 » 播客热潮迅速蔓延 挑逗传统传媒业",
        ),
        ("新闻中心 | 我国数字经济规模达到31万亿元", "我国数字经济规模达到31万亿元"),
        ("没有后缀的标题", "没有后缀的标题"),
    ],
)
def test_strip_site_suffix(title: str, expected: str) -> None:
    assert strip_site_suffix(title) == expected


# -- metrics -------------------------------------------------------------------------------


def test_char_bigram_prf_ignores_whitespace_and_counts_multisets() -> None:
    assert char_bigram_prf("金融 科技", "金融科技").f1 == 1.0
    partial = char_bigram_prf("金融科技", "金融")
    assert partial.precision == 1.0
    assert partial.recall == pytest.approx(1 / 3)
    assert char_bigram_prf("金融科技", None).f1 == 0.0


def test_shingle_metric_follows_upstream_rules() -> None:
    perfect = shingle_tp_fp_fn("one two three four five", "one two three four five")
    assert perfect == (1.0, 0.0, 0.0)
    missed = shingle_tp_fp_fn("one two three four five", "")
    assert missed == (0.0, 0.0, 1.0)
    scores = shingle_prf([perfect, missed])
    assert scores.precision == 1.0  # the empty prediction has no precision to average
    assert scores.recall == 0.5


@pytest.mark.parametrize(
    ("raw", "ymd", "expected"),
    [
        ("2005-5-7 21:23:57", "2005-05-07", (2005, 5, 7, 21, 23, 57)),
        ("2018", None, (2018,)),
        ("1998-3", None, (1998, 3)),
        ("刘涛", None, None),
        ("UNKNWON", None, None),
        (None, "2020-04-17", (2020, 4, 17)),
    ],
)
def test_gold_date_units(
    raw: str | None, ymd: str | None, expected: tuple[int, ...] | None
) -> None:
    assert gold_date_units(raw, ymd) == expected


def test_date_correct_compares_printed_units_in_beijing_time() -> None:
    value = datetime(2005, 5, 7, 21, 23, 57, tzinfo=SHANGHAI)
    assert date_correct((2005, 5, 7, 21, 23), value)
    assert date_correct((2005, 5), value)
    assert not date_correct((2005, 5, 7, 21, 24), value)
    assert not date_correct((2005,), None)


@pytest.mark.parametrize(
    ("gold", "predicted", "expected"),
    [
        ("张三 李四", "李四、张三", True),
        ("伊琳  李清芬", "伊琳 李清芬", True),
        ("周思博 (Joel Spolsky)", "周思博", True),
        (None, None, True),
        (None, "张三", False),
        ("张三", None, False),
    ],
)
def test_author_correct(gold: str | None, predicted: str | None, expected: bool) -> None:
    assert author_correct(gold, predicted) is expected


# -- robustness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        "",
        b"",
        "   ",
        "plain text, not HTML at all",
        b"\x00\xff\xfe garbage \x81\x82",
        "<html><body><div>",
        '<?xml version="1.0" encoding="utf-8"?><html><body><p>xml declared</p></body></html>',
        "<html><head><title>只有标题</title></head><body></body></html>",
        "<html><body>" + "<div>" * 3000 + "深层嵌套" + "</div>" * 3000 + "</body></html>",
        '<script type="application/ld+json">{not json</script>',
    ],
)
def test_never_raises_on_bad_input(page: str | bytes) -> None:
    article = extract_article(page, "http://example.cn/a.html")
    assert isinstance(article, ExtractedArticle)


def test_truncated_page_keeps_what_it_has() -> None:
    page = (
        "<html><head><title>半截页面_某网</title></head><body><h1>半截页面</h1>"
        "<div class='content'><p>这是一个被截断的页面，正文只下载了一半，但已经下载的部分仍然应该被提取出来。</p>"
        "<p>第二段也在这里，后面的内容因为连接中断而丢失了"
    )
    article = extract_article(page, "http://example.cn/a.html")
    assert article.title == "半截页面"
    assert article.body is not None and article.body.startswith("这是一个被截断的页面")


def test_selector_input_is_not_mutated() -> None:
    html = (
        "<html><head><title>标题-站点</title></head><body><div class='nav'>首页 新闻</div>"
        "<h1>标题</h1><div class='content'><p>正文第一段，内容足够长，可以被识别为正文内容。</p>"
        "<p>正文第二段，同样包含足够的文字和标点符号，确保评分正确。</p></div>"
        "<div class='share'>分享到微信</div><script>var x = 1;</script></body></html>"
    )
    selector = parsel.Selector(text=html)
    before = etree.tostring(selector.root)
    snapshot = copy.deepcopy(selector.root)
    article = extract_article(selector, "http://example.cn/a.html")
    assert article.body is not None and "正文第一段" in article.body
    assert etree.tostring(selector.root) == before
    assert etree.tostring(snapshot) == before


def test_selector_and_bytes_give_the_same_article() -> None:
    html = (
        "<html><head><title>同一篇文章_频道_站点</title></head><body><h1>同一篇文章</h1>"
        "<div class='info'>来源：新华社 发布时间：2021-03-04 10:20</div>"
        "<div class='content'><p>这是正文的第一段，包含足够的文字和标点，用来确认两种输入方式的结果一致。</p></div>"
        "</body></html>"
    )
    from_selector = extract_article(parsel.Selector(text=html), "http://example.cn/a.html")
    from_bytes = extract_article(html.encode("gb18030"), "http://example.cn/a.html")
    assert from_selector == from_bytes
    assert from_bytes.source == "新华社"
    assert from_bytes.published_at == datetime(2021, 3, 4, 10, 20, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("C114讯 1月16日消息（水易）工业和信息化部今日发布公报。", "水易"),
        ("IT之家1月16日消息（张三、李四）据报道，", "张三 李四"),
        ("新华社北京1月16日电 据商务部网站消息，", None),
        ("本报讯（2019年）", None),
    ],
)
def test_dateline_credit(line: str, expected: str | None) -> None:
    assert dateline_credit(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("编者按：本文来自微信公众号“晚点LatePost”，作者：赵宇，36氪经授权发布。", "晚点LatePost"),
        ("本文转载自公众号「远川研究所」，已获授权。", "远川研究所"),
        ("本文来自微信公众号：远川研究所（ID：caijingyanjiu），作者：孙汉林", "远川研究所"),
        ("本文认为，数据来自国家统计局。", None),
    ],
)
def test_reprint_source(line: str, expected: str | None) -> None:
    assert reprint_source([line]) == expected
    assert looks_like_info_line(line) is (expected is not None)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["C114通信网 \xa0水易 2019/1/16 15:18"], "C114通信网"),
        (["2019-01-16 15:18 中国新闻网"], "中国新闻网"),
        (["来源：新华社 2019-01-16"], None),  # labelled: source_from_lines' job
        (["2019-01-16 15:18 阅读 1234"], None),
        (["我们的网站于2019-01-16上线"], None),
        (["通信世界全媒体 2019-01-16 15:18 作者：张晓明 阅读：1286"], "通信世界全媒体"),
    ],
)
def test_unlabelled_source(lines: list[str], expected: str | None) -> None:
    assert unlabelled_source(lines) == expected


@pytest.mark.parametrize(
    ("categories", "title_tag", "expected"),
    [
        (["凤凰网", "凤凰网财经", "宏观"], "标题_凤凰网财经_凤凰网", ["凤凰网财经", "宏观"]),
        (["财新网", "金融"], "标题_金融频道_财新网", ["金融"]),
        (["财经", "宏观"], "标题_财经_新浪网", ["财经", "宏观"]),
        (["新华网"], "标题-新华网", ["新华网"]),
        (None, "标题-新华网", None),
    ],
)
def test_site_name_is_not_a_category(
    categories: list[str] | None, title_tag: str, expected: list[str] | None
) -> None:
    assert without_site_name(categories, title_tag) == expected


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        (
            "标题很长的一篇文章---财政部16日公布的数据显示，收入增长6.2%。",
            "财政部16日公布的数据显示，收入增长6.2%。",
        ),
        ("标题很长的一篇文章,房贷利率,银行,首套房", None),
        ("标题很长的一篇文章", None),
        (
            "标题很长的一篇文章，占GDP比重超过三分之一。",
            "标题很长的一篇文章，占GDP比重超过三分之一。",
        ),
        ("房贷利率,银行,首套房", None),
        (
            "Smaller lenders are moving core workloads to public clouds.",
            "Smaller lenders are moving core workloads to public clouds.",
        ),
    ],
)
def test_declared_description_without_headline(description: str, expected: str | None) -> None:
    assert _without_headline(description, "标题很长的一篇文章") == expected


def test_page_of_blog_posts_is_about_the_first_post() -> None:
    post = (
        "<tr><td class='post-title'>{title}</td><td class='post-title'>{date}</td></tr>"
        "<tr><td><table><tr><td class='post-body'>{text}</td></tr></table></td></tr>"
        "<tr><td class='post-footer'>由海姑娘张贴 @ <a href='/p'>{date}</a></td></tr>"
    )
    texts = [
        (
            "湘菜粤菜 兵分两路",
            "2005-06-14 03:25:55",
            "湘菜粤菜兵分两路，新鲜的是，湘菜浓妆淡抹，粤菜却是明艳照人。",
        ),
        (
            "澳坛真的累了",
            "2005-06-13 15:00:14",
            "我真的累了，当斑竹半年来，没有功劳也有苦劳，而一切都怪我太认真。" * 3,
        ),
        (
            "爱上侦探小说",
            "2005-06-11 14:05:50",
            "读小学的时候，我就爱看侦探小说，以及侦探电影，虽然看不懂，但是也觉得有味。" * 4,
        ),
    ]
    rows = "".join(post.format(title=t, date=d, text=x) for t, d, x in texts)
    page = (
        f"<html><head><title>海姑娘 | blog</title></head><body><table>{rows}</table></body></html>"
    )
    article = extract_article(page, "http://blog.example.com/")
    assert article.body == texts[0][2]
    assert article.title == "湘菜粤菜 兵分两路"
    assert article.author == "海姑娘"
    assert article.published_at == datetime(2005, 6, 14, 3, 25, 55, tzinfo=SHANGHAI)


def test_site_wide_description_is_not_a_summary() -> None:
    body = (
        "<p>浙江省提出，对符合条件的中小企业数字化改造项目，按照设备和软件投入的一定比例给予补助。</p>"
        "<p>广东省则设立专项资金，支持数字化转型服务商为中小企业提供低成本的解决方案。</p>"
    )
    page = (
        "<html><head><title>多地支持中小企业数字化转型_中国经济网</title>"
        '<meta name="description" content="{description}"></head>'
        "<body><h1>多地支持中小企业数字化转型</h1><div class='content'>"
        + body
        + "</div></body></html>"
    )
    generic = extract_article(page.format(description="中国经济网-国家经济门户"), "http://x.cn/")
    assert generic.summary is None
    specific = extract_article(
        page.format(description="浙江、广东出台措施支持中小企业数字化改造。"), "http://x.cn/"
    )
    assert specific.summary == "浙江、广东出台措施支持中小企业数字化改造。"


def test_dates_of_related_articles_are_not_the_publication_time() -> None:
    page = (
        "<html><head><title>没有日期的文章_某网</title></head><body><h1>没有日期的文章</h1>"
        "<div class='content'><p>这篇文章的页面没有印出发布时间，正文只有这一段文字，但足够长，可以被识别为正文。</p>"
        "<p>第二段同样没有日期，只是继续讲述文章的内容，并且带有标点符号。</p></div>"
        "<div><h3>相关阅读</h3><ul><li><a href='/1'>另一篇文章的标题</a> 2019-01-15 18:20</li>"
        "<li><a href='/2'>第三篇文章的标题</a> 2019-01-14 08:00</li></ul></div>"
        "<div class='footer'>Copyright 2019 某网 版权所有</div></body></html>"
    )
    article = extract_article(page, "http://x.cn/")
    assert article.body is not None and "相关阅读" not in article.body
    assert article.published_at is None


@pytest.mark.parametrize(
    ("line", "is_furniture"),
    [
        ("责任编辑：王五", True),
        ("（编辑：张三）", True),
        ("关注中国IDC圈官方微信:idc-quan 我们将定期推送IDC产业最新资讯", True),
        ("Copyright © 2019 中国IDC圈 版权所有", True),
        ("【免责声明】本文仅代表作者本人观点", True),
        ("原标题：刺死辱母者于欢的罪与悔", True),
        ("第1页/共3页 上一页 下一页", True),
        ("点击查看大图", True),
        ("（完）", True),
        ("扫一扫，分享到朋友圈", True),
        ("专家认为，在低成本、快速获取流量的方式逐渐弱化的时期，企业要明确用户画像。", False),
        ("编者按：本文是系列报道的第三篇。", False),
    ],
)
def test_boilerplate_lines(line: str, is_furniture: bool) -> None:
    assert bool(BOILERPLATE_LINE_RE.search(line)) is is_furniture


@pytest.mark.parametrize(
    ("line", "is_summary"),
    [
        ("摘要:随着大数据、人工智能等技术的发展……", True),
        ("【摘要】近期，多地密集出台政策措施。", True),
        ("内容提要：本文讨论了……", True),
        ("提要求的人越来越多了。", False),
        ("导读这个词没有冒号", False),
    ],
)
def test_summary_label(line: str, is_summary: bool) -> None:
    assert bool(SUMMARY_LINE_RE.match(line)) is is_summary


@pytest.mark.parametrize(
    ("declared", "printed", "expected", "precision"),
    [
        # Metadata pads the printed minute with zero seconds: the page's precision stands.
        ("2019-01-16T15:18:00+08:00", "2019-01-16 15:18", datetime(2019, 1, 16, 15, 18), "minute"),
        # Metadata knows the seconds: it says more than the page.
        (
            "2019-01-16T15:18:42+08:00",
            "2019-01-16 15:18",
            datetime(2019, 1, 16, 15, 18, 42),
            "second",
        ),
        # A UTC instant and the local wall clock of the same day: the page's local time.
        ("2019-01-16T07:18:00Z", "2019-01-16 15:18:05", datetime(2019, 1, 16, 15, 18, 5), "second"),
    ],
)
def test_printed_time_against_declared_time(
    declared: str, printed: str, expected: datetime, precision: str
) -> None:
    metadata = PageMetadata(meta={"article:published_time": declared})
    chosen = choose_publication([printed], [], [], [], metadata)
    assert chosen is not None
    assert chosen.value == expected.replace(tzinfo=SHANGHAI)
    assert chosen.precision == precision


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("网易", None),  # the site, named in <title>
        ("中国经济网", None),  # a publisher's name
        ("1004", None),  # a channel id (人民网)
        ("admin", None),  # the CMS account
        ("张三", "张三"),
        ("Jane Doe", "Jane Doe"),
    ],
)
def test_declared_author_must_name_a_person(declared: str, expected: str | None) -> None:
    page = (
        "<html><head><title>多家银行下调房贷利率_网易财经</title>"
        f'<meta name="author" content="{declared}"></head><body><h1>多家银行下调房贷利率</h1>'
        "<div class='post_info'>2019-01-16 15:18:02　来源: <a>证券时报</a></div>"
        "<div class='post_body'><p>近期，北京、上海、广州等地多家银行下调首套房贷款利率，"
        "部分银行首套房贷利率已回落至基准利率上浮5%左右。</p><p>业内人士分析，房贷利率下行主要"
        "受市场流动性宽松影响，银行负债成本下降，信贷投放意愿增强。</p></div></body></html>"
    )
    assert extract_article(page, "http://money.example.com/a.html").author == expected


@pytest.mark.parametrize(
    ("line", "names", "outlet"),
    [
        ("每经记者 张三 每经编辑 李四", "张三", None),
        ("新京报记者 张三 编辑 李四 校对 王五", "张三", "新京报"),
        ("21世纪经济报道 记者 张三 北京报道", "张三", "21世纪经济报道"),
        ("证券时报记者 张伟 王莹", "张伟 王莹", "证券时报"),
        ("本报记者 张三 李四", "张三 李四", None),
        ("记者 张三", "张三", None),
    ],
)
def test_reporter_credit_and_its_outlet(line: str, names: str, outlet: str | None) -> None:
    assert reporter_names(line) == names
    assert byline_outlet([line]) == outlet
