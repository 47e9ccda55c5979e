"""validate / normalize / dedupe, each built the Scrapy way with get_crawler."""

from __future__ import annotations

import pytest
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from crawler.items import ArticleItem
from pipelines.dedupe import DeduplicatePipeline
from pipelines.normalize import NormalizePipeline, content_hash
from pipelines.validate import DroppedArticle, ValidatePipeline
from settings import base

BODY = "随着大数据、人工智能、云计算、区块链等在内的新兴技术不断发展，科技给整个金融行业带来了更多的可能性。"


def crawler() -> Crawler:
    created = get_crawler(
        settings_dict={"MIN_BODY_CHARS": 40, "TRACKING_PARAMETERS": base.TRACKING_PARAMETERS}
    )
    created.stats.open_spider()
    return created


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (ArticleItem(title="t", body=BODY), "missing_url"),
        (ArticleItem(url="http://a.cn/1.html", body=BODY), "missing_title"),
        (ArticleItem(url="http://a.cn/1.html", title="t"), "missing_body"),
        (ArticleItem(url="http://a.cn/1.html", title="t", body="关于我们 联系我们"), "not_article"),
    ],
)
def test_validate_drops_with_counted_reason(item: ArticleItem, reason: str) -> None:
    running = crawler()
    with pytest.raises(DroppedArticle) as caught:
        ValidatePipeline.from_crawler(running).process_item(item)
    assert caught.value.reason == reason
    assert running.stats.get_value(f"articles/dropped/{reason}") == 1


def test_validate_passes_articles() -> None:
    item = ArticleItem(url="http://a.cn/1.html", title="t", body=BODY)
    assert ValidatePipeline.from_crawler(crawler()).process_item(item) is item


def test_normalize_sets_identities() -> None:
    pipeline = NormalizePipeline.from_crawler(crawler())
    item = pipeline.process_item(
        ArticleItem(url="HTTP://A.cn:80/1.html?utm_source=wx#top", title="t", body=BODY)
    )
    assert item.canonical_url == "http://a.cn/1.html"
    assert item.content_hash == content_hash(BODY)


def test_normalize_honours_rel_canonical_and_survives_a_broken_one() -> None:
    pipeline = NormalizePipeline.from_crawler(crawler())
    honoured = pipeline.process_item(
        ArticleItem(
            url="http://m.a.cn/1.html",
            canonical_url="http://www.a.cn/1.html?from=groupmessage",
            title="t",
            body=BODY,
        )
    )
    assert honoured.canonical_url == "http://www.a.cn/1.html"
    broken = pipeline.process_item(
        ArticleItem(
            url="http://a.cn/2.html", canonical_url="javascript:void(0)", title="t", body=BODY
        )
    )
    assert broken.canonical_url == "http://a.cn/2.html"


def test_content_hash_ignores_spacing_and_punctuation_width() -> None:
    assert content_hash("金融科技，发展。\n第二段") == content_hash("金融科技, 发展.  第二段")
    assert content_hash("金融科技") != content_hash("金融科学")


def test_dedupe_drops_repeats_within_the_run() -> None:
    running = crawler()
    pipeline = DeduplicatePipeline.from_crawler(running)
    first = ArticleItem(url="http://a.cn/1.html", canonical_url="http://a.cn/1.html")
    assert pipeline.process_item(first) is first
    with pytest.raises(DroppedArticle, match="duplicate"):
        pipeline.process_item(
            ArticleItem(url="http://a.cn/1.html?spm=2", canonical_url="http://a.cn/1.html")
        )
    assert running.stats.get_value("articles/duplicates") == 1
    assert running.stats.get_value("articles/dropped") is None
