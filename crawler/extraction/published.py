"""Which date on the page is the publication time.

An article page prints many dates: the publication time on the info line, an update time,
the copyright year, dates of comments and of related articles. The publication time is the
one labelled as such near the headline; failing a label, the declared metadata; failing
that, the date between the headline and the text nearest to the text (an update time there
when it is the only one), a dateline opening
the text, then one right after the text (blogs and forums print it under the post), the
issue date above the headline, and last an essay's closing "1998年3月号". Dates anywhere else on the page are not trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from crawler.dates import DateMatch, ParsedDate, iter_date_matches, parse_date
from crawler.extraction.metadata import PageMetadata

PUBLICATION_LABELS = frozenset(
    {
        "发布时间",
        "发布日期",
        "发表时间",
        "发表日期",
        "发文时间",
        "发文日期",
        "发稿时间",
        "发稿日期",
        "出版日期",
        "成文日期",
        "发布于",
        "发表于",
        "发布",
        "发表",
        "日期",
        "时间",
        "published on",
        "published",
        "posted on",
        "posted",
        "date",
        "time",
    }
)
PRECISION_RANK = {"year": 0, "month": 1, "day": 2, "hour": 3, "minute": 4, "second": 5}
DAY_RANK = PRECISION_RANK["day"]
UPDATE_LABEL_WORDS = ("更新", "修改", "编辑", "updated", "last updated")
# Metadata names that declare the publication time, most specific first.
PUBLICATION_META = (
    "article:published_time",
    "og:published_time",
    "og:release_date",
    "publishdate",
    "publish_date",
    "publish-date",
    "pubdate",
    "pub_date",
    "publishtime",
    "publication_date",
    "datepublished",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
)


def _is_update(match: DateMatch) -> bool:
    label = (match.label or "").lower()
    return any(word in label for word in UPDATE_LABEL_WORDS)


def _matches(lines: Iterable[str], now: datetime | None) -> list[DateMatch]:
    return [match for line in lines for match in iter_date_matches(line, now=now)]


def labelled_publication(lines: Iterable[str], now: datetime | None = None) -> ParsedDate | None:
    """The first date labelled as the publication time (发布时间, 日期, Published...)."""
    for match in _matches(lines, now):
        if match.label in PUBLICATION_LABELS:
            return match.parsed
    return None


def first_plausible(
    lines: Iterable[str],
    now: datetime | None = None,
    *,
    nearest_last: bool = False,
    updates: bool = False,
) -> ParsedDate | None:
    """The first date printed to the day that is not labelled as an update time.

    Month-only dates are archive links (``2006年06月(8)``), not publication times. With
    ``nearest_last`` the last such date wins: above the body, the date nearest to the text
    belongs to it, the ones further up to navigation. With ``updates`` an update time is
    taken too (for pages whose info line prints nothing else: "最新更新时间：…").
    """
    candidates = [
        match
        for match in _matches(lines, now)
        if (updates or not _is_update(match)) and PRECISION_RANK[match.parsed.precision] >= DAY_RANK
    ]
    if not candidates:
        return None
    return (candidates[-1] if nearest_last else candidates[0]).parsed


def closing_year_month(lines: list[str], now: datetime | None = None) -> ParsedDate | None:
    """An essay's closing date line, ``——《北京之春》1998年3月号``: last resort only."""
    for line in reversed(lines):
        months = [
            match for match in iter_date_matches(line, now=now) if match.parsed.precision == "month"
        ]
        if months:
            return months[-1].parsed
    return None


def declared_publication(metadata: PageMetadata, now: datetime | None = None) -> ParsedDate | None:
    """The publication time declared in meta tags or JSON-LD."""
    for value in (metadata.first(*PUBLICATION_META), metadata.ld_date_published):
        if value:
            parsed = parse_date(value, now=now)
            if parsed is not None:
                return parsed
    return None


def _refines(printed: ParsedDate | None, declared: ParsedDate | None) -> bool:
    """True when a date printed near the headline says more than the declared one about the
    same day: the page shows local wall-clock minutes where metadata often has only a day or
    a UTC instant."""
    if printed is None or declared is None:
        return False
    if PRECISION_RANK[printed.precision] < PRECISION_RANK[declared.precision]:
        # "15:18" printed, "15:18:00" declared: the same time, and the page's own precision
        # is what was published (metadata pads with zero seconds).
        return printed.value == declared.value.astimezone(printed.value.tzinfo)
    local = declared.value.astimezone(printed.value.tzinfo)
    return abs((printed.value.date() - local.date()).days) <= 1


def choose_publication(
    info_lines: list[str],
    body_head_lines: list[str],
    after_body_lines: list[str],
    before_title_lines: list[str],
    metadata: PageMetadata,
    now: datetime | None = None,
    body_tail_lines: list[str] | None = None,
) -> ParsedDate | None:
    """Apply the preference order described in the module docstring.

    ``body_head_lines`` are datelines at the top of the text container (reprints carry the
    original dateline there); ``before_title_lines`` are the few lines above the headline,
    where newspaper sites print the issue date.
    """
    labelled = labelled_publication(info_lines, now)
    if labelled is not None:
        return labelled
    declared = declared_publication(metadata, now)
    printed = first_plausible(info_lines, now, nearest_last=True)
    if declared is not None and not _refines(printed, declared):
        return declared
    return (
        printed
        or first_plausible(info_lines, now, updates=True)
        or labelled_publication(body_head_lines, now)
        or first_plausible(body_head_lines, now)
        or labelled_publication(after_body_lines, now)
        or first_plausible(after_body_lines, now)
        or first_plausible(before_title_lines, now, nearest_last=True)
        or closing_year_month(body_tail_lines or [], now)
    )
