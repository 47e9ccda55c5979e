"""Tests for crawler.dates: every supported printed shape, every rejection rule, and properties
that must hold for arbitrary input (no exceptions, spans that point into the caller's string)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.dates import (
    SHANGHAI,
    DateMatch,
    ParsedDate,
    iter_date_matches,
    parse_date,
    to_datetime,
)

#: A fixed "now" so relative and year-less forms are deterministic: Sunday 2024-03-10 15:18:30.
NOW = datetime(2024, 3, 10, 15, 18, 30, tzinfo=SHANGHAI)

PRECISION_ORDER = ("year", "month", "day", "hour", "minute", "second")


def _local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


# ------------------------------------------------------------------------------------------
# Absolute dates
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("2019-01-16 15:18", _local(2019, 1, 16, 15, 18), "minute"),
        ("2019-01-16 15:18:02", _local(2019, 1, 16, 15, 18, 2), "second"),
        ("2019-01-16", _local(2019, 1, 16), "day"),
        ("2019/1/16", _local(2019, 1, 16), "day"),
        ("2019/01/16 08:05", _local(2019, 1, 16, 8, 5), "minute"),
        ("2019.01.16", _local(2019, 1, 16), "day"),
        ("2019.1.6 9:05", _local(2019, 1, 6, 9, 5), "minute"),
        ("2019-1-6", _local(2019, 1, 6), "day"),
        ("2019年1月16日", _local(2019, 1, 16), "day"),
        ("2019年1月16号", _local(2019, 1, 16), "day"),
        ("2019 年 1 月 16 日", _local(2019, 1, 16), "day"),
        ("2019年1月16日 15:18", _local(2019, 1, 16, 15, 18), "minute"),
        ("2019年01月16日15:18:02", _local(2019, 1, 16, 15, 18, 2), "second"),
        ("2019年01月16日 15时18分", _local(2019, 1, 16, 15, 18), "minute"),
        ("2019年01月16日 15时18分02秒", _local(2019, 1, 16, 15, 18, 2), "second"),
        ("2019年01月16日 15时", _local(2019, 1, 16, 15), "hour"),
        ("2019年01月16日 15点30分", _local(2019, 1, 16, 15, 30), "minute"),
        ("2019年1月16日 下午3:18", _local(2019, 1, 16, 15, 18), "minute"),
        ("2019年1月16日 晚上8点", _local(2019, 1, 16, 20), "hour"),
        ("2019年1月16日 上午9:30", _local(2019, 1, 16, 9, 30), "minute"),
        ("2019年1月16日 中午12:10", _local(2019, 1, 16, 12, 10), "minute"),
        ("2019年1月16日 凌晨12:10", _local(2019, 1, 16, 0, 10), "minute"),
        ("2019年1月16日 下午15:18", _local(2019, 1, 16, 15, 18), "minute"),
        ("2019年1月", _local(2019, 1, 1), "month"),
        ("2019-01-16T15:18:00", _local(2019, 1, 16, 15, 18), "second"),
        ("2019-01-16T15:18", _local(2019, 1, 16, 15, 18), "minute"),
        ("2019-01-16T15:18:00.123456", _local(2019, 1, 16, 15, 18), "second"),
        ("2019-01-16, 15:18", _local(2019, 1, 16, 15, 18), "minute"),
        ("２０１９－０１－１６　１５：１８", _local(2019, 1, 16, 15, 18), "minute"),
        ("２０１９年０１月１６日", _local(2019, 1, 16), "day"),
        ("2019-01-16\xa015:18", _local(2019, 1, 16, 15, 18), "minute"),
        ("2019 - 01 - 16", None, None),  # spaced dashes read as a range, not a date
        ("二〇一九年一月十六日", _local(2019, 1, 16), "day"),
        ("二零一九年十二月三十一日", _local(2019, 12, 31), "day"),
        ("二〇二〇年二月二十九日", _local(2020, 2, 29), "day"),
        ("二〇一九年十一月", _local(2019, 11, 1), "month"),
        ("二〇一九年二月三十日", None, None),
        ("一九八八年一月一日", None, None),
        ("Jan 16, 2019", _local(2019, 1, 16), "day"),
        ("January 16th, 2019 15:18", _local(2019, 1, 16, 15, 18), "minute"),
        ("16 Jan 2019", _local(2019, 1, 16), "day"),
        ("Sept. 3, 2020", _local(2020, 9, 3), "day"),
        ("Jan 16, 2019 3:18 PM", _local(2019, 1, 16, 15, 18), "minute"),
        ("Jan 16, 2019 12:18 a.m.", _local(2019, 1, 16, 0, 18), "minute"),
        ("2019-01-16 12:05 PM", _local(2019, 1, 16, 12, 5), "minute"),
        ("2019-01-16 15:05 PM", _local(2019, 1, 16, 15, 5), "minute"),
        ("2019-01-16 03:05:09 pm", _local(2019, 1, 16, 15, 5, 9), "second"),
        ("2024-02-29", _local(2024, 2, 29), "day"),
        ("2025-12-31", _local(2025, 12, 31), "day"),  # now.year + 1 is still plausible
        ("1990-01-01", _local(1990, 1, 1), "day"),
        # Day and month before the year: a number above 12 is the day, AM/PM marks the US
        # month/day order, a 24-hour clock the day/month order; unknowable without either.
        ("9/17/2004 5:54:13 AM", _local(2004, 9, 17, 5, 54, 13), "second"),
        ("7/5/2005 9:23:57 PM", _local(2005, 7, 5, 21, 23, 57), "second"),
        ("12/25/2019, 3:18 PM", _local(2019, 12, 25, 15, 18), "minute"),
        ("06/02/2022 - 13:48", _local(2022, 2, 6, 13, 48), "minute"),
        ("发表时间： 06/02/2022 - 13:48", _local(2022, 2, 6, 13, 48), "minute"),
        ("1/2/2019 10:00", _local(2019, 2, 1, 10), "minute"),
        ("17/09/2004", _local(2004, 9, 17), "day"),
        ("09/17/2004", _local(2004, 9, 17), "day"),
        ("05/05/2005", _local(2005, 5, 5), "day"),
        ("06/02/2022", None, None),
        ("13/13/2019 10:00", None, None),
        ("1998年3月号", _local(1998, 3, 1), "month"),
        ("2021 06/18 10:09:15", _local(2021, 6, 18, 10, 9, 15), "second"),
        ("2021  6/18  10:09", _local(2021, 6, 18, 10, 9), "minute"),
    ],
)
def test_absolute_dates(text: str, expected: datetime | None, precision: str | None) -> None:
    parsed = parse_date(text, now=NOW)
    if expected is None:
        assert parsed is None
        return
    assert parsed == ParsedDate(expected, precision)  # type: ignore[arg-type]
    assert parsed.value.tzinfo is SHANGHAI


@pytest.mark.parametrize(
    ("text", "expected_utc", "offset_hours", "precision"),
    [
        ("2019-01-16T15:18:00+08:00", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), 8, "second"),
        ("2019-01-16T07:18:00Z", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), 0, "second"),
        ("2019-01-16T07:18Z", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), 0, "minute"),
        ("2019-01-16T02:18:00-05:00", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), -5, "second"),
        ("2019-01-16T15:18:00+0800", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), 8, "second"),
        ("2019-01-16T15:18:00+08", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), 8, "second"),
        ("2019-01-16 15:18:00+08:00", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), 8, "second"),
        ("2019-01-16T15:18:00.5+08:00", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), 8, "second"),
        ("2019-01-16T15:18:00+05:30", datetime(2019, 1, 16, 9, 48, tzinfo=UTC), 5.5, "second"),
        ("2019-01-16 15:18:00 +0800", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), 8, "second"),
        ("2019-01-16 07:18:00 GMT", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), 0, "second"),
        ("2019-01-16 15:18 UTC+8", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), 8, "minute"),
        ("Wed, 16 Jan 2019 07:18:00 GMT", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), 0, "second"),
        ("Wed, 16 Jan 2019 15:18:00 +0800", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), 8, "second"),
        ("Jan 16, 2019 2:18 AM -0500", datetime(2019, 1, 16, 7, 18, tzinfo=UTC), -5, "minute"),
    ],
)
def test_iso_8601_keeps_its_zone(
    text: str, expected_utc: datetime, offset_hours: float, precision: str
) -> None:
    parsed = parse_date(text, now=NOW)
    assert parsed is not None
    assert parsed.value == expected_utc
    assert parsed.value.utcoffset() == timedelta(hours=offset_hours)
    assert parsed.precision == precision


def test_iso_with_impossible_offset_is_rejected() -> None:
    assert parse_date("2019-01-16T15:18:00+25:00", now=NOW) is None


def test_number_after_a_time_is_not_mistaken_for_a_zone() -> None:
    parsed = parse_date("2019-01-16 15:18 -2019", now=NOW)
    assert parsed == ParsedDate(_local(2019, 1, 16, 15, 18), "minute")


# ------------------------------------------------------------------------------------------
# Year-less and relative dates (resolved against NOW = 2024-03-10 15:18:30)
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("01-16 15:18", _local(2024, 1, 16, 15, 18), "minute"),
        ("1-6 08:00", _local(2024, 1, 6, 8, 0), "minute"),
        ("01/16 15:18", _local(2024, 1, 16, 15, 18), "minute"),
        ("1月16日 15:18", _local(2024, 1, 16, 15, 18), "minute"),
        ("1月16日", _local(2024, 1, 16), "day"),
        ("3月10日 23:59", _local(2024, 3, 10, 23, 59), "minute"),  # later today: this year
        ("3月11日 12:00", _local(2024, 3, 11, 12, 0), "minute"),  # within one day of slack
        ("3月12日", _local(2023, 3, 12), "day"),  # two days ahead: last year
        ("12-31 10:00", _local(2023, 12, 31, 10, 0), "minute"),
        ("12月31日", _local(2023, 12, 31), "day"),
        ("刚刚", _local(2024, 3, 10, 15, 18), "minute"),
        ("5分钟前", _local(2024, 3, 10, 15, 13), "minute"),
        ("5 分钟前", _local(2024, 3, 10, 15, 13), "minute"),
        ("30秒前", _local(2024, 3, 10, 15, 18), "second"),
        ("半小时前", _local(2024, 3, 10, 14, 48), "minute"),
        ("3小时前", _local(2024, 3, 10, 12, 0), "hour"),
        ("3个小时前", _local(2024, 3, 10, 12, 0), "hour"),
        ("16小时前", _local(2024, 3, 9, 23, 0), "hour"),
        ("2天前", _local(2024, 3, 8), "day"),
        ("三天前", _local(2024, 3, 7), "day"),
        ("两天前", _local(2024, 3, 8), "day"),
        ("十天前", _local(2024, 2, 29), "day"),
        ("十五分钟前", _local(2024, 3, 10, 15, 3), "minute"),
        ("二十分钟前", _local(2024, 3, 10, 14, 58), "minute"),
        ("四十二秒前", _local(2024, 3, 10, 15, 17, 48), "second"),
        ("1周前", _local(2024, 3, 3), "day"),
        ("2个星期前", _local(2024, 2, 25), "day"),
        ("3个月前", _local(2023, 12, 1), "month"),
        ("1年前", _local(2023, 1, 1), "year"),
        ("昨天 10:20", _local(2024, 3, 9, 10, 20), "minute"),
        ("昨天10:20", _local(2024, 3, 9, 10, 20), "minute"),
        ("前天 08:00", _local(2024, 3, 8, 8, 0), "minute"),
        ("今天 09:30", _local(2024, 3, 10, 9, 30), "minute"),
        ("今日 09:30:15", _local(2024, 3, 10, 9, 30, 15), "second"),
        ("昨日 下午3点", _local(2024, 3, 9, 15), "hour"),
        ("昨天", _local(2024, 3, 9), "day"),
        ("今天", _local(2024, 3, 10), "day"),
        ("01-16", _local(2024, 1, 16), "day"),
        ("发布时间：3小时前", _local(2024, 3, 10, 12, 0), "hour"),
    ],
)
def test_relative_and_yearless_dates(text: str, expected: datetime, precision: str) -> None:
    assert parse_date(text, now=NOW) == ParsedDate(expected, precision)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        (_local(2024, 1, 2, 10, 0), "12-31 10:00", _local(2023, 12, 31, 10, 0)),
        (_local(2024, 1, 2, 10, 0), "01-03 09:00", _local(2024, 1, 3, 9, 0)),
        (_local(2024, 1, 2, 10, 0), "01-05 09:00", _local(2023, 1, 5, 9, 0)),
        (_local(2024, 12, 31, 23, 0), "1月1日", _local(2024, 1, 1)),
        (_local(2024, 3, 1, 10, 0), "2月29日", _local(2024, 2, 29)),
        (_local(2025, 3, 1, 10, 0), "2月29日", _local(2024, 2, 29)),  # 2025 has no Feb 29
        (_local(2026, 3, 1, 10, 0), "2月29日", None),  # neither 2026 nor 2025 has one
        (_local(2024, 1, 1, 0, 30), "昨天 23:50", _local(2023, 12, 31, 23, 50)),
        (_local(2024, 1, 1, 0, 30), "3个月前", _local(2023, 10, 1)),
        (_local(2024, 3, 1, 0, 30), "2小时前", _local(2024, 2, 29, 22, 0)),
    ],
)
def test_year_inference_around_boundaries(
    now: datetime, text: str, expected: datetime | None
) -> None:
    parsed = parse_date(text, now=now)
    assert (parsed.value if parsed else None) == expected


def test_naive_now_is_taken_as_wall_clock_in_tz() -> None:
    parsed = parse_date("昨天 10:20", now=datetime(2024, 3, 10, 1, 0))
    assert parsed is not None
    assert parsed.value == _local(2024, 3, 9, 10, 20)


def test_aware_now_in_another_zone_is_converted_to_tz() -> None:
    # 2024-03-09 20:00 UTC is already 2024-03-10 04:00 in Shanghai.
    parsed = parse_date("昨天 10:20", now=datetime(2024, 3, 9, 20, 0, tzinfo=UTC))
    assert parsed is not None
    assert parsed.value == _local(2024, 3, 9, 10, 20)


@pytest.mark.parametrize(
    "now",
    [datetime(9999, 12, 31, 23, 59, tzinfo=SHANGHAI), datetime(1, 1, 1, 0, 0, tzinfo=SHANGHAI)],
)
@pytest.mark.parametrize(
    "text", ["12-31 10:00", "前天 08:00", "3个月前", "100天前", "刚刚", "2019"]
)
def test_extreme_now_never_raises(now: datetime, text: str) -> None:
    _ = parse_date(text, now=now)


def test_default_now_is_current_time() -> None:
    parsed = parse_date("刚刚")
    assert parsed is not None
    assert abs(parsed.value - datetime.now(SHANGHAI)) < timedelta(minutes=2)
    assert parse_date(f"{datetime.now(SHANGHAI).year + 2}-01-01") is None


def test_custom_timezone() -> None:
    tz = timezone(timedelta(hours=-5))
    parsed = parse_date("2019-01-16 15:18", now=NOW, tz=tz)
    assert parsed is not None
    assert parsed.value.utcoffset() == timedelta(hours=-5)
    assert (parsed.value.hour, parsed.value.minute) == (15, 18)


# ------------------------------------------------------------------------------------------
# Labels
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_label"),
    [
        ("发布时间：2019-01-16 15:18", "发布时间"),
        ("发布时间:2019-01-16 15:18", "发布时间"),
        ("发布日期: 2019-01-16", "发布日期"),
        ("时间：2019-01-16", "时间"),
        ("日期:2019-01-16", "日期"),
        ("日　期：2019-01-16", "日期"),
        ("发 布 时 间 ： 2019-01-16", "发布时间"),
        ("发表于 2019-01-16 15:18", "发表于"),
        ("发布于2019年1月16日", "发布于"),
        ("更新时间：2019-01-16", "更新时间"),
        ("修改时间：2019-01-16", "修改时间"),
        ("来源：2019-01-16", "来源"),
        ("发布时间：【2019-01-16】", "发布时间"),
        ("时间：[2019-01-16]", "时间"),
        ("Published: 2019-01-16", "published"),
        ("PUBLISHED ON 2019-01-16", "published on"),
        ("Last  updated: Jan 16, 2019", "last updated"),
        ("Date: 2019-01-16", "date"),
        ("update: 2019-01-16", None),  # "date" inside a word is not a label
        ("2019-01-16", None),
        ("新华网 2019-01-16", None),
        ("发布时间：新华网 2019-01-16", None),  # not right before the date
    ],
)
def test_labels(text: str, expected_label: str | None) -> None:
    matches = list(iter_date_matches(text, now=NOW))
    assert len(matches) == 1
    assert matches[0].label == expected_label
    assert matches[0].parsed.value.date() == date(2019, 1, 16)
    assert parse_date(text, now=NOW) == matches[0].parsed


@pytest.mark.parametrize(
    "text",
    ["发布时间：2019", "年份：2019", "2019年", "  2019  ", "Published: 2019", "(2019)"],
)
def test_bare_year_only_when_it_is_the_whole_text(text: str) -> None:
    expected = {
        "年份：2019": None,  # unknown label: not "basically just a year"
        "(2019)": None,
    }.get(text, ParsedDate(_local(2019, 1, 1), "year"))
    assert parse_date(text, now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("2019-02", _local(2019, 2, 1), "month"),
        ("2019/2", _local(2019, 2, 1), "month"),
        ("日期：2019.02", _local(2019, 2, 1), "month"),
    ],
)
def test_year_month_only_when_whole_text(text: str, expected: datetime, precision: str) -> None:
    assert parse_date(text, now=NOW) == ParsedDate(expected, precision)  # type: ignore[arg-type]
    assert list(iter_date_matches(f"价格 {text} 元", now=NOW)) == []


# ------------------------------------------------------------------------------------------
# Rejections
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "没有日期的文字",
        "hello world",
        "2019-13-01",
        "2019-00-10",
        "2019-01-32",
        "2019-02-30",
        "2023-02-29",
        "2019年13月1日",
        "2019年1月32日",
        "2019-01-16 25:00",
        "2019-01-16 15:60",
        "2019-01-16 15:18:61",
        "2019年1月16日 24时",
        "2019年1月16日 上午13:00",
        "13-01 10:00",
        "1850-01-01",
        "1989-12-31",
        "2026-01-01",  # > NOW.year + 1
        "3000年1月1日",
        "1800",
        "2030",
        "电话：010-12345678",
        "电话：0755-8888 8888",
        "手机 138-0013-8000",
        "热线 400-820-8820",
        "价格：2019.50元",
        "文章编号 152488",
        "浏览次数：152488",
        "他在2019年说过这句话",
        "2019年",  # accepted alone (whole text) -- see the bare-year test; here in a sentence:
        "第3-5名",
        "15:18",
        "今天天气很好",
        "刚刚结束的会议",
        "100年前的故事",
        "99999999天前",
        "一百二十天前",  # not understood: None rather than a misreading as "二十天前"
        "几分钟前",
        "1.5小时前",
        "１３：６０",
        "v2019.1.2.3",
        "192.168.1.1",
        "第1/2/2019期",
        "12/1/20190",
        "1/2/3/2019 10:00",
        "2021 06/18",
        "共2021 3/4",
    ],
)
def test_no_date(text: str) -> None:
    if text == "2019年":
        assert list(iter_date_matches("他在2019年说", now=NOW)) == []
        return
    assert parse_date(text, now=NOW) is None
    assert list(iter_date_matches(text, now=NOW)) == []


@pytest.mark.parametrize("junk", [None, 20190116, b"2019-01-16", ["2019-01-16"]])
def test_parse_date_non_string_input_is_none(junk: object) -> None:
    assert parse_date(junk, now=NOW) is None  # type: ignore[arg-type]
    assert list(iter_date_matches(junk, now=NOW)) == []  # type: ignore[arg-type]


def test_huge_input_is_handled_quickly() -> None:
    garbage = "数字123-45.6:7 年月日 " * 50_000  # ~1 M characters of date-ish noise
    started = time.perf_counter()
    assert parse_date(garbage, now=NOW) is None
    assert parse_date(garbage + "发布时间：2019-01-16", now=NOW) == ParsedDate(
        _local(2019, 1, 16), "day"
    )
    assert time.perf_counter() - started < 10


# ------------------------------------------------------------------------------------------
# iter_date_matches on whole info lines
# ------------------------------------------------------------------------------------------


def test_info_line_with_several_dates() -> None:
    line = "来源：新华网 更新时间：2019-01-17 发布时间：2019-01-16 15:18 浏览：152488 电话 010-12345678"
    matches = list(iter_date_matches(line, now=NOW))
    assert [(m.text, m.label, m.parsed.precision) for m in matches] == [
        ("2019-01-17", "更新时间", "day"),
        ("2019-01-16 15:18", "发布时间", "minute"),
    ]
    for match in matches:
        assert line[match.start : match.end] == match.text


def test_spans_refer_to_the_original_full_width_text() -> None:
    line = "发布时间：２０１９－０１－１６　１５：１８　来源：人民网"
    (match,) = iter_date_matches(line, now=NOW)
    assert match.text == "２０１９－０１－１６　１５：１８"
    assert line[match.start : match.end] == match.text
    assert match.label == "发布时间"
    assert match.parsed == ParsedDate(_local(2019, 1, 16, 15, 18), "minute")


@pytest.mark.parametrize(
    ("text", "expected_texts"),
    [
        ("2019-01-16 2019-01-17", ["2019-01-16", "2019-01-17"]),
        ("2019-01-16至2019-02-16", ["2019-01-16", "2019-02-16"]),
        ("1850-01-01 2019-01-16", ["2019-01-16"]),
        ("2019-01-32 10:00 2019-01-16", ["2019-01-16"]),
        ("作者：张三 3小时前 阅读 152488", ["3小时前"]),
        ("刚刚 来源：微博", ["刚刚"]),
        ("2019年1月16日 星期三 15:18", ["2019年1月16日"]),
        ("(2019-01-16)", ["2019-01-16"]),
        ("http://x.cn/2019/01/16/a.html", ["2019/01/16"]),
        (
            "2019-01-16T15:18:00+08:00 and 2019-01-16T15:18:00",
            [
                "2019-01-16T15:18:00+08:00",
                "2019-01-16T15:18:00",
            ],
        ),
        ("今天天气很好", []),
        ("共2019条 第1/16页", []),
        ("预计3-5天到货", []),
    ],
)
def test_iter_date_matches(text: str, expected_texts: list[str]) -> None:
    matches = list(iter_date_matches(text, now=NOW))
    assert [m.text for m in matches] == expected_texts
    assert all(isinstance(m, DateMatch) for m in matches)
    assert [m.start for m in matches] == sorted(m.start for m in matches)


def test_typical_info_line_is_fast() -> None:
    line = "发布时间：2019-01-16 15:18:02　来源：中国新闻网　作者：张三　浏览次数：152488"
    parse_date(line, now=NOW)
    rounds = 2000
    started = time.perf_counter()
    for _ in range(rounds):
        parse_date(line, now=NOW)
    per_call = (time.perf_counter() - started) / rounds
    assert per_call < 0.001


# ------------------------------------------------------------------------------------------
# to_datetime
# ------------------------------------------------------------------------------------------

_TS_2019 = int(datetime(2019, 1, 16, 15, 18, tzinfo=SHANGHAI).timestamp())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2019, 1, 16, 15, 18), _local(2019, 1, 16, 15, 18)),
        (
            datetime(2019, 1, 16, 7, 18, tzinfo=UTC),
            datetime(2019, 1, 16, 7, 18, tzinfo=UTC),
        ),
        (date(2019, 1, 16), _local(2019, 1, 16)),
        (_TS_2019, _local(2019, 1, 16, 15, 18)),
        (float(_TS_2019), _local(2019, 1, 16, 15, 18)),
        (_TS_2019 * 1000, _local(2019, 1, 16, 15, 18)),
        (_TS_2019 * 1000.0, _local(2019, 1, 16, 15, 18)),
        (str(_TS_2019), _local(2019, 1, 16, 15, 18)),
        (f" {_TS_2019 * 1000} ", _local(2019, 1, 16, 15, 18)),
        ("2019-01-16 15:18", _local(2019, 1, 16, 15, 18)),
        ("发布时间：2019年1月16日", _local(2019, 1, 16)),
        ("昨天 10:20", _local(2024, 3, 9, 10, 20)),
        ("152488", None),
        ("20190116", None),
        ("没有日期", None),
        ("", None),
        (0, None),  # "missing" marker in JSON APIs, not 1970
        (-1, None),
        (10**30, None),
        (float("nan"), None),
        (float("inf"), None),
        (True, None),
        (None, None),
        (b"2019-01-16", None),
        (["2019-01-16"], None),
        (object(), None),
    ],
)
def test_to_datetime(value: object, expected: datetime | None) -> None:
    result = to_datetime(value, now=NOW)
    assert result == expected
    if result is not None:
        assert result.tzinfo is not None
        if expected is not None and expected.tzinfo is SHANGHAI:
            assert result.utcoffset() == timedelta(hours=8)


def test_to_datetime_keeps_aware_datetime_object() -> None:
    aware = datetime(2019, 1, 16, 7, 18, tzinfo=UTC)
    assert to_datetime(aware) is aware


# ------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------

_DATE_ALPHABET = st.sampled_from(
    [
        *"0123456789０１２３４５６７８９-/.:： 　T+Z年月日号时分秒点前天小刚今昨上下午发布时间：",
        *("\n", "a", "中", "\ufeff", "\u2013"),
    ]
)


def _assert_well_formed(parsed: ParsedDate | None) -> None:
    if parsed is None:
        return
    assert parsed.value.tzinfo is not None
    assert parsed.value.utcoffset() is not None
    assert parsed.precision in PRECISION_ORDER
    assert 1990 <= parsed.value.year <= NOW.year + 1
    assert parsed.value.microsecond == 0
    finer = PRECISION_ORDER[PRECISION_ORDER.index(parsed.precision) + 1 :]
    defaults = {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0}
    for unit in finer:
        assert getattr(parsed.value, unit) == defaults[unit], (parsed, unit)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.text(alphabet=_DATE_ALPHABET, max_size=60)))
def test_parse_date_never_raises_and_results_are_well_formed(text: str) -> None:
    _assert_well_formed(parse_date(text, now=NOW))


@settings(max_examples=300)
@given(st.text(alphabet=_DATE_ALPHABET, max_size=80))
def test_iter_spans_point_into_the_original_text(text: str) -> None:
    previous_end = 0
    for match in iter_date_matches(text, now=NOW):
        assert previous_end <= match.start < match.end <= len(text)
        assert text[match.start : match.end] == match.text
        _assert_well_formed(match.parsed)
        previous_end = match.end


@settings(max_examples=300)
@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2025, 12, 31, 23, 59, 59)),
    st.sampled_from(
        [
            ("%Y-%m-%d %H:%M:%S", "second"),
            ("%Y-%m-%d %H:%M", "minute"),
            ("%Y/%m/%d", "day"),
            ("%Y.%m.%d", "day"),
            ("%Y年%m月%d日", "day"),
            ("%Y年%m月%d日 %H:%M", "minute"),
            ("%Y年%m月%d日%H时%M分%S秒", "second"),
            ("%Y-%m-%dT%H:%M:%S", "second"),
            ("发布时间：%Y-%m-%d %H:%M", "minute"),
        ]
    ),
)
def test_formatted_dates_round_trip(moment: datetime, fmt_and_precision: tuple[str, str]) -> None:
    fmt, precision = fmt_and_precision
    parsed = parse_date(moment.strftime(fmt), now=NOW)
    assert parsed is not None
    assert parsed.precision == precision
    expected = moment.replace(microsecond=0, tzinfo=SHANGHAI)
    if precision == "minute":
        expected = expected.replace(second=0)
    elif precision == "day":
        expected = expected.replace(hour=0, minute=0, second=0)
    assert parsed.value == expected


@settings(max_examples=300)
@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(),
        st.binary(),
        st.dates(),
        st.datetimes(),
        st.datetimes(timezones=st.just(UTC)),
    )
)
def test_to_datetime_never_raises(value: object) -> None:
    result = to_datetime(value, now=NOW)
    assert result is None or result.utcoffset() is not None
