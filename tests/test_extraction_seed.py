"""The seed page (the page the project started from) must come out exactly as expected.

Both encodings are fed as raw bytes, as the spider would, so this also covers decoding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crawler.extraction import extract_article
from tests.conftest import unavailable

SEED_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "seed"

pytestmark = pytest.mark.corpus


def _require_corpus() -> None:
    if not SEED_DIR.is_dir():
        unavailable(f"evaluation corpus not found at {SEED_DIR}")


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    _require_corpus()
    answer: dict[str, Any] = json.loads((SEED_DIR / "expected.json").read_text(encoding="utf-8"))
    return answer


@pytest.mark.parametrize("filename", ["article-utf8.html", "article-gbk.html"])
def test_seed_page_fields_are_exact(filename: str, expected: dict[str, Any]) -> None:
    article = extract_article((SEED_DIR / filename).read_bytes(), expected["url"])

    assert article.title == expected["title"]
    assert article.source == expected["source"]
    assert article.author == expected["author"]
    assert article.published_at is not None
    assert article.published_at.isoformat() == expected["published_at"]
    assert article.published_precision == "minute"
    assert article.summary == expected["summary"]
    assert article.category == expected["category"]
    assert article.canonical_url == expected["url"]
    assert article.body == expected["body"]
    assert article.body_html is not None
    assert expected["body"].split("\n")[0][:20] in article.body_html
    assert article.body is not None
    for banned in expected["body_must_not_contain"]:
        assert banned not in article.body
        assert banned not in (article.body_html or "")
