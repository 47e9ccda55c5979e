"""Two crawls writing to one database at once: no duplicate rows, no lost rows.

Two real processes open the same fresh database at the same moment (both try to migrate it),
then save overlapping batches in opposite orders, which makes them race on the same canonical
URLs inside their transactions. The final table must hold every URL exactly once, and every
article must be counted exactly once by one of the writers.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from pipelines.normalize import content_hash
from storage.models import Article, ArticleBand, ArticleFingerprint
from tests.conftest import rows

URLS = 450
OVERLAP = (150, 300)  # writer A stores 0..299, writer B 150..449
BATCH = 25


def _body(number: int) -> str:
    words = "金融科技云计算数据中心银行保险支付监管算力存储网络安全平台服务客户市场产业"
    paragraphs = []
    for paragraph in range(3):
        digest = hashlib.sha256(f"{number}-{paragraph}".encode()).digest()
        paragraphs.append("".join(words[b % len(words)] for b in digest * 3) + "。")
    return "\n".join(paragraphs)


def _article(number: int) -> dict[str, Any]:
    body = _body(number)
    return {
        "url": f"https://news.example.cn/{number}.html",
        "canonical_url": f"https://news.example.cn/{number}.html",
        "site": "example",
        "title": f"标题{number}",
        "source": None,
        "author": None,
        "published_at": datetime(2019, 1, 16, tzinfo=UTC),
        "summary": None,
        "category": None,
        "body": body,
        "body_html": None,
        "content_hash": content_hash(body),
    }


def _writer(url: str, numbers: list[int], barrier: Any, results: Any) -> None:
    from storage.database import open_database
    from storage.repository import ArticleRepository, BatchResult

    barrier.wait()
    repository = ArticleRepository(open_database(url))
    barrier.wait()
    total = BatchResult()
    for start in range(0, len(numbers), BATCH):
        total += repository.save_batch([_article(n) for n in numbers[start : start + BATCH]])
    repository.engine.dispose()
    results.put((total.stored, total.duplicates, total.updated, total.unchanged))


@pytest.mark.parametrize("backend", ["postgres", "mariadb"])
def test_two_concurrent_writers_store_every_url_once(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = str(request.getfixturevalue(f"{backend}_url"))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    first = list(range(0, OVERLAP[1]))
    second = list(reversed(range(OVERLAP[0], URLS)))  # opposite order: maximal contention
    writers = [
        context.Process(target=_writer, args=(url, numbers, barrier, results))
        for numbers in (first, second)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=240)
        assert writer.exitcode == 0, f"a writer failed (exit {writer.exitcode})"
    counts = [results.get(timeout=5) for _ in writers]

    stored = rows(url)
    assert sorted(row["canonical_url"] for row in stored) == sorted(
        _article(n)["canonical_url"] for n in range(URLS)
    )
    for row in stored:
        number = int(row["canonical_url"].rsplit("/", 1)[1].split(".")[0])
        assert row["body"] == _body(number)
        assert row["duplicate_of"] is None
    new_rows = sum(c[0] + c[1] for c in counts)
    assert new_rows == URLS  # every URL counted as new exactly once
    assert sum(c[3] for c in counts) == len(first) + len(second) - URLS
    assert sum(c[2] for c in counts) == 0

    engine = create_engine(url)
    with engine.connect() as connection:
        fingerprints = connection.execute(
            select(func.count()).select_from(ArticleFingerprint)
        ).scalar()
        orphans = connection.execute(
            select(func.count())
            .select_from(ArticleBand)
            .where(ArticleBand.article_id.not_in(select(Article.id)))
        ).scalar()
    engine.dispose()
    assert (fingerprints, orphans) == (URLS, 0)
