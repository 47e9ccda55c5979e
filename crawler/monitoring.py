"""Notice when a site's extraction breaks, by comparing a run with the site's earlier runs.

A portal that changes its layout rarely fails loudly: pages still load, articles still get
stored, but the date selector finds nothing, or the listing's link list moved and no article
is found at all. A run on its own cannot tell "this site has no dates" from "our date
extraction broke"; the site's history (``crawl_runs``) can. These are pure functions of the
figures, so they are tested without a crawl; ``crawler.runs.RunRecorder`` feeds them from the
stats and the database.

What is deliberately not a warning: few or no *new* articles. Incremental crawling skips
listings and articles it has already seen, so a quiet second run is normal.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crawler.sites import ARTICLE_FIELDS

# The fields whose coverage is compared; a site that never had an author is not a failure,
# but every news article has a title, a date, a body and (on Chinese portals) a 来源.
MONITORED_FIELDS = ("title", "published_at", "source", "body")
FIELD_LABELS = {"published_at": "date"}


@dataclass(frozen=True)
class RunFigures:
    """What monitoring needs to know of one run (this one, or one from ``crawl_runs``)."""

    articles_extracted: int
    coverage: Mapping[str, float] = field(default_factory=dict)
    article_pages: int = 0
    # None when unknown (figures built without them).
    listing_links: int | None = None
    listings_not_modified: int | None = None


def coverage_from_stats(stats: Mapping[str, Any]) -> dict[str, float]:
    """Share of extracted articles that had each field (``pipelines.validate`` counts them)."""
    extracted = int(stats.get("articles/extracted", 0) or 0)
    if extracted <= 0:
        return {}
    return {
        name: round(int(stats.get(f"fields/present/{name}", 0) or 0) / extracted, 4)
        for name in ARTICLE_FIELDS
    }


def figures_from_stats(stats: Mapping[str, Any]) -> RunFigures:
    return RunFigures(
        articles_extracted=int(stats.get("articles/extracted", 0) or 0),
        coverage=coverage_from_stats(stats),
        article_pages=int(stats.get("pages/article", 0) or 0),
        listing_links=int(stats.get("listing/article_links", 0) or 0),
        listings_not_modified=int(stats.get("pages/listing_not_modified", 0) or 0),
    )


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def coverage_warnings(
    site: str,
    current: RunFigures,
    history: Sequence[RunFigures],
    *,
    min_articles: int,
    coverage_drop: float,
) -> list[str]:
    """A field whose coverage fell more than ``coverage_drop`` below the earlier runs' median.

    Only runs with at least ``min_articles`` extracted articles count, on both sides: with
    three articles one dateless page is a 33% drop, which says nothing about the extractor.
    """
    if current.articles_extracted < min_articles:
        return []
    warnings = []
    for name in MONITORED_FIELDS:
        earlier = [
            run.coverage[name]
            for run in history
            if run.articles_extracted >= min_articles and name in run.coverage
        ]
        if not earlier or name not in current.coverage:
            continue
        baseline = statistics.median(earlier)
        now = current.coverage[name]
        if baseline - now > coverage_drop:
            warnings.append(
                f"site {site}: {FIELD_LABELS.get(name, name)} coverage fell to {_percent(now)}"
                f" of {current.articles_extracted} articles (median of the previous"
                f" {len(earlier)} runs: {_percent(baseline)}); its extraction may have broken"
            )
    return warnings


def volume_warnings(site: str, current: RunFigures, history: Sequence[RunFigures]) -> list[str]:
    """No article links at all, or article pages that yield no article, where earlier runs
    of the site had articles.

    A listing answered "not modified" (incremental crawling) legitimately yields no links, so
    it suppresses the first warning, and earlier runs whose listings all answered so say
    nothing about the layout: they are left out of the comparison. An earlier run counts as
    "had articles" when it found article links or extracted an article.
    """
    if not history:
        return []
    warnings = []
    parsed = [run for run in history if run.listing_links or not run.listings_not_modified]
    always_had_articles = bool(parsed) and all(
        (run.listing_links or 0) > 0 or run.articles_extracted > 0 for run in parsed
    )
    if (
        current.listing_links == 0
        and not current.listings_not_modified
        and current.articles_extracted == 0
        and always_had_articles
    ):
        warnings.append(
            f"site {site}: no article links found on its listing pages, although each of the"
            f" previous {len(parsed)} runs that read its listings found articles; the listing"
            " layout may have changed or the listings could not be fetched"
        )
    elif (
        current.article_pages > 0
        and current.articles_extracted == 0
        and any(run.articles_extracted > 0 for run in history)
    ):
        warnings.append(
            f"site {site}: {current.article_pages} article pages fetched but no article"
            " extracted from them, although earlier runs extracted articles; the article"
            " layout may have changed"
        )
    return warnings


def monitor_run(
    site: str,
    current: RunFigures,
    history: Sequence[RunFigures],
    *,
    min_articles: int,
    coverage_drop: float,
) -> list[str]:
    """Every warning for this run; ``history`` is the site's previous finished runs."""
    return [
        *volume_warnings(site, current, history),
        *coverage_warnings(
            site, current, history, min_articles=min_articles, coverage_drop=coverage_drop
        ),
    ]
