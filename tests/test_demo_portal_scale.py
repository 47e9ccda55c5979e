"""Huge demo portals are built in time linear in their size (the crawl benchmark's 10,000)."""

from __future__ import annotations

import random

import pytest

import demo_portal.content as content
from demo_portal.content import _TitleRegistry


def test_titles_past_the_templates_capacity_cost_a_few_draws_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One slot-less template has room for one title: every later title is a numbered
    follow-up. Before, each of them redrew 200 times and counted up from （2）."""
    fills = 0
    real_fill = content._fill

    def counting_fill(template: str, rng: random.Random) -> str:
        nonlocal fills
        fills += 1
        return real_fill(template, rng)

    monkeypatch.setattr(content, "_fill", counting_fill)
    registry = _TitleRegistry(set())
    titles = [registry.new_title(("固定标题",), random.Random(1)) for _ in range(1000)]

    assert titles[:3] == ["固定标题", "固定标题（2）", "固定标题（3）"]
    assert titles[-1] == "固定标题（1000）"
    assert len(set(titles)) == len(titles)
    # the first follow-up costs the full redraws; every later one a few at most
    assert fills <= _TitleRegistry.REDRAWS + 1 + 999 * (_TitleRegistry.REDRAWS_SATURATED + 1)


def test_titles_are_redrawn_until_new_while_the_templates_have_room() -> None:
    taken = {"甲"}
    registry = _TitleRegistry(taken)
    templates = ("甲", "乙")

    title = registry.new_title(templates, random.Random(7))

    assert title == "乙" and taken == {"甲", "乙"}
    assert not registry.saturated


def test_large_sections_have_unique_titles() -> None:
    portal = content.build_portal(articles_per_section=1500, page_size=50)

    titles = [article.title for article in portal.articles]
    # the seed story is served twice (UTF-8 and GBK copies): its title repeats once
    assert len(set(titles)) == len(titles) - 1
