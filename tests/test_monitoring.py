"""Monitoring rules (crawler.monitoring) as pure functions, and their place in the summary
and exit status (crawler.extensions)."""

from __future__ import annotations

import pytest
from scrapy.utils.test import get_crawler

from crawler.commands.crawlall import SiteRun, format_run_summary
from crawler.extensions import EXIT_FAILED, EXIT_OK, EXIT_WARNING, exit_status, format_summary
from crawler.monitoring import (
    RunFigures,
    coverage_from_stats,
    coverage_warnings,
    figures_from_stats,
    monitor_run,
    volume_warnings,
)
from crawler.sites import Site

FULL = {"title": 1.0, "published_at": 0.98, "source": 0.9, "body": 1.0}


def run(extracted: int = 40, **coverage: float) -> RunFigures:
    return RunFigures(articles_extracted=extracted, coverage={**FULL, **coverage})


HISTORY = [run(), run(published_at=0.97), run(published_at=1.0)]


def test_date_coverage_falling_from_98_to_10_percent_warns() -> None:
    current = RunFigures(
        articles_extracted=30, coverage={**FULL, "published_at": 0.1}, article_pages=30
    )
    warnings = monitor_run("news", current, HISTORY, min_articles=5, coverage_drop=0.3)
    assert warnings == [
        "site news: date coverage fell to 10% of 30 articles (median of the previous 3 runs:"
        " 98%); its extraction may have broken"
    ]


def test_small_drops_and_other_fields_do_not_warn() -> None:
    current = run(published_at=0.8, author=0.0, summary=0.0)  # 18 points: under the threshold
    assert coverage_warnings("news", current, HISTORY, min_articles=5, coverage_drop=0.3) == []


@pytest.mark.parametrize(
    ("current", "history"),
    [
        (run(extracted=3, published_at=0.0), HISTORY),  # too few articles in this run
        (run(published_at=0.0), [run(extracted=2), run(extracted=4)]),  # nor in the history
        (run(published_at=0.0), []),  # a site's first run has nothing to compare with
    ],
)
def test_coverage_needs_enough_articles_on_both_sides(
    current: RunFigures, history: list[RunFigures]
) -> None:
    assert coverage_warnings("news", current, history, min_articles=5, coverage_drop=0.3) == []


def test_the_median_ignores_one_odd_earlier_run() -> None:
    history = [run(source=0.9), run(source=0.1), run(source=0.92)]
    current = run(source=0.5)  # 40 points under the median (0.9), not under the mean (0.64)
    warnings = coverage_warnings("news", current, history, min_articles=5, coverage_drop=0.3)
    assert len(warnings) == 1 and "source coverage fell to 50%" in warnings[0]


def test_zero_article_links_where_every_earlier_run_had_articles_warns() -> None:
    current = RunFigures(articles_extracted=0, listing_links=0, listings_not_modified=0)
    warnings = volume_warnings("news", current, HISTORY)
    assert len(warnings) == 1
    assert warnings[0].startswith("site news: no article links found on its listing pages")


@pytest.mark.parametrize(
    "current",
    [
        # incremental crawling: the listing answered 304, nothing to follow
        RunFigures(articles_extracted=0, listing_links=0, listings_not_modified=2),
        # incremental crawling: links found, all already stored, no article page fetched
        RunFigures(articles_extracted=0, listing_links=25, article_pages=0),
        # a quiet day: two new articles
        RunFigures(articles_extracted=2, listing_links=25, article_pages=2, coverage=FULL),
    ],
)
def test_quiet_incremental_runs_do_not_warn(current: RunFigures) -> None:
    assert monitor_run("news", current, HISTORY, min_articles=5, coverage_drop=0.3) == []


def test_zero_links_does_not_warn_when_an_earlier_run_had_none_either() -> None:
    current = RunFigures(articles_extracted=0, listing_links=0, listings_not_modified=0)
    assert volume_warnings("news", current, [run(), RunFigures(articles_extracted=0)]) == []


def test_earlier_runs_whose_listings_answered_304_do_not_hide_a_broken_listing() -> None:
    quiet = RunFigures(articles_extracted=0, listing_links=0, listings_not_modified=2)
    busy = RunFigures(articles_extracted=0, listing_links=25, listings_not_modified=0)
    current = RunFigures(articles_extracted=0, listing_links=0, listings_not_modified=0)
    warnings = volume_warnings("news", current, [quiet, busy, quiet])
    assert len(warnings) == 1 and "previous 1 runs that read its listings" in warnings[0]
    assert volume_warnings("news", current, [quiet, quiet]) == []


def test_article_pages_without_articles_warns() -> None:
    current = RunFigures(articles_extracted=0, listing_links=12, article_pages=12)
    warnings = volume_warnings("news", current, HISTORY)
    assert len(warnings) == 1
    assert "12 article pages fetched but no article extracted" in warnings[0]


def test_figures_and_coverage_come_from_the_validate_pipelines_counters() -> None:
    stats = {
        "articles/extracted": 8,
        "fields/present/title": 8,
        "fields/present/published_at": 2,
        "fields/present/body": 8,
        "pages/article": 9,
        "listing/article_links": 10,
    }
    coverage = coverage_from_stats(stats)
    assert coverage["title"] == 1.0 and coverage["published_at"] == 0.25
    assert coverage["source"] == 0.0 and coverage["category"] == 0.0
    assert coverage_from_stats({}) == {}
    figures = figures_from_stats(stats)
    assert (figures.articles_extracted, figures.article_pages, figures.listing_links) == (8, 9, 10)


def test_warnings_are_in_the_summary_and_set_the_exit_status_only_when_asked() -> None:
    stats = {
        "finish_reason": "finished",
        "monitor/warnings": ["site news: date coverage fell to 10% of 30 articles"],
    }
    summary = format_summary(stats, spider="portal", site="news", database="sqlite://")
    assert "  result          ok" in summary
    assert "  warnings        1\n    - site news: date coverage fell to 10%" in summary
    assert exit_status(stats) == EXIT_OK
    assert exit_status(stats, fail_on_warning=True) == EXIT_WARNING
    failed = {**stats, "finish_reason": "storage_failed"}
    assert exit_status(failed, fail_on_warning=True) == EXIT_FAILED
    quiet = {"finish_reason": "finished"}
    assert "warnings" not in format_summary(quiet, spider="p", site="s", database="d")
    assert exit_status(quiet, fail_on_warning=True) == EXIT_OK


def test_a_lost_shared_frontier_fails_the_run_with_its_message() -> None:
    stats = {
        "finish_reason": "redis_unavailable",
        "scaleout/error": "Redis redis://127.0.0.1:1/0 unavailable while queueing x: reset",
    }
    summary = format_summary(stats, spider="portal", site="news", database="d")
    assert (
        "result          FAILED: finish reason redis_unavailable; Redis redis://127.0.0.1:1/0"
        in summary
    )
    assert exit_status(stats) == EXIT_FAILED


@pytest.mark.parametrize(("fail_on_warning", "expected"), [(False, EXIT_OK), (True, EXIT_WARNING)])
def test_crawlall_reports_warnings_per_site_and_in_its_status(
    fail_on_warning: bool, expected: int
) -> None:
    crawler = get_crawler(settings_dict={"MONITOR_FAIL_ON_WARNING": fail_on_warning})
    assert crawler.stats is not None
    crawler.stats.set_value("finish_reason", "finished")
    crawler.stats.set_value("monitor/warnings", ["site news: date coverage fell to 0%"])
    run = SiteRun(Site(name="news", start_urls=("https://news.example.cn/",)), crawler=crawler)
    assert run.status() == expected
    summary = format_run_summary([run], database="sqlite://")
    assert "crawlall summary: 1 site(s), 0 failed" in summary
    assert "-> ok, 1 warning(s)" in summary
    assert "    - site news: date coverage fell to 0%" in summary


def test_the_summary_counts_listings_answered_not_modified() -> None:
    stats = {"finish_reason": "finished", "pages/listing": 1, "pages/listing_not_modified": 2}
    summary = format_summary(stats, spider="portal", site="news", database="d")
    assert "listings 1 + 2 not modified, articles 0)" in summary
    assert "not modified" not in format_summary(
        {"finish_reason": "finished", "pages/listing": 3}, spider="p", site="s", database="d"
    )
