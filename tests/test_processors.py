"""Loader processors, called directly with parametrized tables."""

from __future__ import annotations

import pytest

from crawler.processors import (
    AUTHOR_LABELS,
    SOURCE_LABELS,
    SUMMARY_LABELS,
    breadcrumb_parts,
    clean_multiline,
    clean_text,
    html_to_text,
    sanitize_html,
    strip_label,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  标题\u3000文字 ", "标题 文字"),
        ("a\u00a0\u00a0b", "a b"),
        ("零\u200b宽", "零宽"),
        ("\n\t ", None),
        (None, None),
    ],
)
def test_clean_text(raw: str | None, expected: str | None) -> None:
    assert clean_text(raw) == expected


def test_clean_multiline_keeps_paragraphs() -> None:
    assert clean_multiline(" 第一段 \n\n\u3000\u3000第二段\n  ") == "第一段\n第二段"


@pytest.mark.parametrize(
    ("raw", "labels", "expected"),
    [
        ("来源：新华社", SOURCE_LABELS, "新华社"),
        ("来源:金融科技圈", SOURCE_LABELS, "金融科技圈"),
        ("来源：新华社  作者：张三  发布时间：2019-01-16", SOURCE_LABELS, "新华社"),
        ("稿源：经济日报 2019-01-16 15:18", SOURCE_LABELS, "经济日报"),
        ("【来源】人民网 | 编辑：李四", SOURCE_LABELS, "人民网"),
        ("新华社", SOURCE_LABELS, "新华社"),
        ("作者：张三 李四", AUTHOR_LABELS, "张三 李四"),
        ("文/王五", AUTHOR_LABELS, "王五"),
        ("记者 赵六 责任编辑：钱七", AUTHOR_LABELS, "赵六"),
        (
            "摘要：随着技术发展，金融服务发生了改变。",
            SUMMARY_LABELS,
            "随着技术发展，金融服务发生了改变。",
        ),
        ("来源：", SOURCE_LABELS, None),
    ],
)
def test_strip_label(raw: str, labels: tuple[str, ...], expected: str | None) -> None:
    assert strip_label(raw, labels) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("首页 > 金融科技 > 正文", ["金融科技"]),
        ("当前位置：首页 » 云计算 » 数据中心", ["云计算", "数据中心"]),
        ("金融科技圈> 金融科技> 云计算> 文章页", ["金融科技圈", "金融科技", "云计算"]),
        ("您的位置: 首页 → 新闻", ["新闻"]),
        ("", []),
    ],
)
def test_breadcrumb_parts(raw: str, expected: list[str]) -> None:
    assert breadcrumb_parts(raw) == expected


def test_html_to_text_breaks_blocks_and_drops_scripts() -> None:
    fragment = (
        "<div><p>第一段<b>加粗</b>文字</p><script>var x=1;</script>"
        "<h3>小标题</h3><p>第二段<br>换行</p><style>p{}</style></div>"
    )
    assert html_to_text(fragment) == "第一段加粗文字\n小标题\n第二段\n换行"
    assert html_to_text("   ") is None


@pytest.mark.parametrize(
    "payload",
    [
        "<p>正文<script>alert(1)</script></p>",
        '<p onclick="alert(1)">正文</p>',
        '<a href="javascript:alert(1)">正文</a>',
        '<p style="background:url(javascript:alert(1))">正文</p>',
        '<img src="x" onerror="alert(1)">正文',
        "<iframe src='http://evil.example'></iframe>正文",
    ],
)
def test_sanitize_html_removes_active_content(payload: str) -> None:
    cleaned = sanitize_html(payload) or ""
    assert "正文" in cleaned
    for forbidden in ("<script", "onclick", "onerror", "javascript:", "style=", "<iframe"):
        assert forbidden not in cleaned.lower()


def test_sanitize_html_keeps_structure() -> None:
    cleaned = sanitize_html('<p>段落</p><h3>标题</h3><img src="http://a.cn/x.png" alt="图">')
    assert cleaned is not None
    assert (
        "<p>段落</p>" in cleaned
        and "<h3>标题</h3>" in cleaned
        and 'src="http://a.cn/x.png"' in cleaned
    )


def test_summary_keeps_dates_and_bars() -> None:
    summary = "摘要：2018年6月，央行发布通知 | 要求加强监管。"
    assert (
        strip_label(summary, SUMMARY_LABELS, whole_line=True)
        == "2018年6月，央行发布通知 | 要求加强监管。"
    )
