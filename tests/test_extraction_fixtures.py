"""Every saved portal page in tests/fixtures/articles/ against its expected JSON.

One parametrized test over all fixtures (Fundus' style): each field must equal the expected
value, absent fields must stay None, and the body must not contain the listed furniture.
The pages are fed as raw bytes (GBK and UTF-8), as the spider receives them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crawler.extraction import ExtractedArticle, extract_article

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "articles"
PAGES = sorted(FIXTURES.glob("*.html"))
FIELDS = (
    "title",
    "source",
    "author",
    "published_precision",
    "summary",
    "category",
    "canonical_url",
    "body",
)


def _expected(page: Path) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    return answer


@pytest.fixture(scope="module", params=PAGES, ids=[page.stem for page in PAGES])
def case(request: pytest.FixtureRequest) -> tuple[ExtractedArticle, dict[str, Any]]:
    page: Path = request.param
    expected = _expected(page)
    return extract_article(page.read_bytes(), expected["url"]), expected


def test_fixture_set_is_complete() -> None:
    assert len(PAGES) >= 30
    assert all(page.with_suffix(".json").is_file() for page in PAGES)
    assert any("gbk" in page.stem for page in PAGES)


@pytest.mark.parametrize("field", FIELDS)
def test_field_matches_expected(case: tuple[ExtractedArticle, dict[str, Any]], field: str) -> None:
    article, expected = case
    assert getattr(article, field) == expected[field]


def test_published_at_matches_expected(case: tuple[ExtractedArticle, dict[str, Any]]) -> None:
    article, expected = case
    if expected["published_at"] is None:
        assert article.published_at is None
    else:
        assert article.published_at is not None
        assert article.published_at.tzinfo is not None
        assert article.published_at.isoformat() == expected["published_at"]


def test_body_has_no_furniture(case: tuple[ExtractedArticle, dict[str, Any]]) -> None:
    article, expected = case
    for banned in expected["body_must_not_contain"]:
        assert banned not in (article.body or ""), banned


def test_body_html_holds_the_body(case: tuple[ExtractedArticle, dict[str, Any]]) -> None:
    article, expected = case
    assert article.body_html is not None
    first_paragraph = expected["body"].split("\n")[0]
    assert first_paragraph[:12] in article.body_html
