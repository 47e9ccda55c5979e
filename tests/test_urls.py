from __future__ import annotations

import pytest

from crawler.urls import InvalidURL, canonicalize_url
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
    ],
)
def test_canonicalize_url(raw: str, expected: str) -> None:
    assert canonicalize_url(raw, TRACKING_PARAMETERS) == expected


@pytest.mark.parametrize(
    "raw", ["ftp://example.cn/a", "/relative/path", "javascript:alert(1)", "http://"]
)
def test_canonicalize_url_rejects_non_http(raw: str) -> None:
    with pytest.raises(InvalidURL, match="not an absolute http"):
        canonicalize_url(raw)
