from __future__ import annotations

import pytest

from crawler.urls import InvalidURL, apply_url_aliases, canonicalize_url, compile_url_aliases
from settings.base import TRACKING_PARAMETERS


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://News.Example.CN:80/a/1.html#comments", "http://news.example.cn/a/1.html"),
        ("https://example.cn:443/a?utm_source=wx&id=5&spm=1.2", "https://example.cn/a?id=5"),
        (
            "https://example.cn/a?b=2&a=1&from=timeline&share_token=x",
            "https://example.cn/a?a=1&b=2",
        ),
        ("http://example.cn:8080//a//b.shtml", "http://example.cn:8080/a/b.shtml"),
        ("http://example.cn", "http://example.cn/"),
        ("http://example.cn/Article/ID=5.html", "http://example.cn/Article/ID=5.html"),
        # whitespace before a fragment ends up last: canonical forms must be stable
        ("http://www.example.com.cn/\x0c#", "http://www.example.com.cn/"),
        ("http://example.cn/a.html \t?spm=1#x", "http://example.cn/a.html"),
    ],
)
def test_canonicalize_url(raw: str, expected: str) -> None:
    assert canonicalize_url(raw, TRACKING_PARAMETERS) == expected
    assert canonicalize_url(expected, TRACKING_PARAMETERS) == expected


@pytest.mark.parametrize(
    "raw", ["ftp://example.cn/a", "/relative/path", "javascript:alert(1)", "http://"]
)
def test_canonicalize_url_rejects_non_http(raw: str) -> None:
    with pytest.raises(InvalidURL, match="not an absolute http"):
        canonicalize_url(raw)


MOBILE_DESKTOP = compile_url_aliases(
    [
        (r"^https?://m\.example\.cn/(\w+)/(\d+)\.html$", r"https://www.example.cn/\1/\2.shtml"),
        (r"^http://www\.example\.cn/", "https://www.example.cn/"),
        (r"^(https://www\.example\.cn/.*)\?print=1$", r"\1"),
    ]
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://m.example.cn/finance/123.html", "https://www.example.cn/finance/123.shtml"),
        # tracking parameters and fragments go first, so the rule sees a clean URL
        (
            "HTTPS://M.Example.cn:443/finance/123.html?utm_source=wx#top",
            "https://www.example.cn/finance/123.shtml",
        ),
        ("http://www.example.cn/finance/123.shtml", "https://www.example.cn/finance/123.shtml"),
        (
            "https://www.example.cn/finance/123.shtml?print=1",
            "https://www.example.cn/finance/123.shtml",
        ),
        # unmatched URLs are only canonicalized
        ("https://m.example.cn/finance/abc/", "https://m.example.cn/finance/abc/"),
        ("https://other.cn/a.html?spm=1", "https://other.cn/a.html"),
    ],
)
def test_url_aliases_map_mirrors_to_one_form(raw: str, expected: str) -> None:
    assert canonicalize_url(raw, TRACKING_PARAMETERS, MOBILE_DESKTOP) == expected


def test_only_the_first_matching_alias_applies() -> None:
    rules = compile_url_aliases([("a", "b"), ("b", "c")])
    assert apply_url_aliases("http://a.cn/", rules) == "http://b.cn/"


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([("(unclosed", "x")], "not a valid regex"),
        (["just-a-string"], "not a \\(regex, replacement\\) pair"),
        ([("a", "b", "c")], "not a \\(regex, replacement\\) pair"),
    ],
)
def test_bad_alias_rules_fail_readably(rules: list, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=message):
        compile_url_aliases(rules)


def test_normalize_pipeline_applies_aliases_from_settings() -> None:
    from scrapy.utils.test import get_crawler

    from crawler.items import ArticleItem
    from pipelines.normalize import NormalizePipeline

    crawler = get_crawler(
        settings_dict={
            "TRACKING_PARAMETERS": TRACKING_PARAMETERS,
            "URL_ALIASES": [(r"^https://m\.example\.cn/", "https://www.example.cn/")],
        }
    )
    pipeline = NormalizePipeline.from_crawler(crawler)
    body = "随着大数据、人工智能、云计算、区块链等在内的新兴技术不断发展，科技给整个金融行业带来了更多的可能性。"
    mobile = pipeline.process_item(
        ArticleItem(url="https://m.example.cn/a/1.html?from=timeline", site="x", body=body)
    )
    declared = pipeline.process_item(
        ArticleItem(
            url="https://www.example.cn/a/2.html",
            canonical_url="https://m.example.cn/a/2.html",
            body=body,
        )
    )
    assert mobile.canonical_url == "https://www.example.cn/a/1.html"
    assert declared.canonical_url == "https://www.example.cn/a/2.html"
