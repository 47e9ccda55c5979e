"""The article record as it flows from the spider through the pipelines into the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class ArticleItem:
    """One article page. Field meanings follow the ``articles`` table (design.md)."""

    url: str | None = None
    site: str | None = None
    title: str | None = None
    source: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    summary: str | None = None
    category: list[str] | None = None
    body: str | None = None
    body_html: str | None = None
    # The page's own <link rel=canonical> (if any) until NormalizePipeline replaces it with
    # the normalized canonical URL used as the row's identity.
    canonical_url: str | None = None
    content_hash: str | None = None
