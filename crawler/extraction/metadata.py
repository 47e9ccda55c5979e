"""Structured metadata of a page: JSON-LD, Open Graph and ``<meta name=...>`` tags.

Read once per page and shared by every field (Fundus' ``precomputed.ld`` idea): publishers
who bother to declare a headline or a publication time in markup are more reliable than any
heuristic, so each field extractor consults this first or uses it to arbitrate.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from crawler.extraction.dom import normalize_space
from crawler.extraction.xpaths import CANONICAL_LINK, JSON_LD, META_TAGS, TITLE_TAG

ARTICLE_LD_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "blogposting",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "webpage",
        "scholarlyarticle",
        "techarticle",
        "report",
    }
)


@dataclass(slots=True)
class PageMetadata:
    """The declared fields of a page; every value is None when the page did not declare it."""

    meta: dict[str, str] = field(default_factory=dict)
    ld_headline: str | None = None
    ld_date_published: str | None = None
    ld_authors: list[str] = field(default_factory=list)
    ld_publisher: str | None = None
    ld_description: str | None = None
    canonical: str | None = None
    title_tag: str | None = None

    def first(self, *names: str) -> str | None:
        """The first non-empty meta value among ``names`` (lower-cased name or property)."""
        for name in names:
            value = self.meta.get(name)
            if value:
                return value
        return None


def _walk_ld(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object, flattening ``@graph`` and lists."""
    if isinstance(node, list):
        for item in node:
            yield from _walk_ld(item)
    elif isinstance(node, dict):
        yield node
        graph = node.get("@graph")
        if graph is not None:
            yield from _walk_ld(graph)


def _ld_types(node: dict[str, Any]) -> set[str]:
    types = node.get("@type")
    if isinstance(types, str):
        return {types.lower()}
    if isinstance(types, list):
        return {item.lower() for item in types if isinstance(item, str)}
    return set()


def _names(value: Any) -> list[str]:
    """Person/organisation names from a JSON-LD value (string, object or list)."""
    if isinstance(value, str):
        return [normalize_space(value)] if value.strip() else []
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return normalize_space(value)
    return None


def read_metadata(root: etree._Element) -> PageMetadata:
    """Collect meta tags, ``<title>``, the canonical link and the article object of JSON-LD.

    Must run before invisible markup (``<head>``, ``<script>``) is stripped from the tree.
    """
    metadata = PageMetadata()
    for element in META_TAGS(root):
        key = element.get("property") or element.get("name") or element.get("itemprop") or ""
        key = key.strip().lower()
        content = normalize_space(element.get("content") or "")
        if key and content and key not in metadata.meta:
            metadata.meta[key] = content
    for title in TITLE_TAG(root)[:1]:
        metadata.title_tag = normalize_space("".join(title.itertext())) or None
    canonical = CANONICAL_LINK(root)
    if canonical:
        metadata.canonical = str(canonical[0]).strip() or None
    for script in JSON_LD(root):
        try:
            data = json.loads(script, strict=False)
        except (ValueError, TypeError):
            continue
        for node in _walk_ld(data):
            if not _ld_types(node) & ARTICLE_LD_TYPES:
                continue
            metadata.ld_headline = metadata.ld_headline or _text(node.get("headline"))
            metadata.ld_date_published = metadata.ld_date_published or _text(
                node.get("datePublished")
            )
            metadata.ld_authors = metadata.ld_authors or _names(node.get("author"))
            metadata.ld_publisher = metadata.ld_publisher or next(
                iter(_names(node.get("publisher"))), None
            )
            metadata.ld_description = metadata.ld_description or _text(node.get("description"))
    return metadata
