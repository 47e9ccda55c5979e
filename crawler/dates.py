"""Publication dates as printed on Chinese portal pages, turned into timezone-aware datetimes.

Why a hand-written, regex-first parser instead of ``dateutil.parser`` / ``dateparser``:
Chinese portals print dates in a small set of very regular shapes (``2019-01-16 15:18``,
``2019年1月16日``, ``昨天 10:20``, ``3小时前`` ...) embedded in "info lines" full of other numbers
(phone numbers, view counts, article ids).  General-purpose parsers are fuzzy: they happily turn
``152488`` or ``2019`` into a date and silently fill missing fields from "today".  Here every
accepted shape is an explicit, anchored regular expression, every field is range-checked, and
nothing that was not printed is invented (the ``precision`` field says what was printed).

Conventions shared by every function in this module:

* Text is folded first: full-width digits / colons / dashes / spaces (``２０１９－０１－１６　１５：１８``)
  become their ASCII forms.  The folding is one character to one character, so match offsets
  refer to the caller's original string.
* A printed date without an offset is wall-clock time in ``tz`` (default Asia/Shanghai); an ISO
  8601 date with ``Z`` / ``+08:00`` keeps its own offset.
* ``ParsedDate.value`` has every field finer than ``precision`` set to zero (``2019-01-16`` is
  midnight; ``3小时前`` at 15:18 is 12:00 of that day).  Fractional seconds are dropped.
* Years outside ``1990 .. now.year + 1`` and impossible fields (month 13, day 32, hour 25,
  Feb 30) make the whole candidate rejected rather than repaired.
* Relative forms (``刚刚``, ``5分钟前``, ``昨天 10:20``) and year-less forms (``01-16 15:18``) are
  resolved against ``now`` (default ``datetime.now(tz)``).  A year-less date gets ``now``'s
  year, or the previous year when that would put it more than one day in the future (pages
  printed in late December are read in early January).

Shapes found anywhere in a text (``iter_date_matches``), each optionally followed by a time
(``15:18``, ``15:18:02``, ``15时18分``, ``下午3点``, ``3:18 PM``):

* ``2019-01-16``, ``2019/1/16``, ``2019.01.16``, ``2019-01-16T15:18:00`` (local time);
* ISO 8601 / RFC 2822 style with an offset: ``...T15:18:00+08:00``, ``...Z``, ``... +0800``,
  ``... GMT``, ``... UTC+8`` (the offset is kept);
* ``2021 06/18 10:09:15`` (year apart from month/day; the time is required);
* ``2019年1月16日`` (``号`` too), ``2019年1月`` (month precision), ``二〇一九年一月十六日``;
* ``Jan 16, 2019`` and ``16 January 2019`` (English pages, RSS ``pubDate``);
* ``9/17/2004 5:54:13 AM`` and ``06/02/2022 - 13:48`` (ASP and European CMS templates): a
  number above 12 is the day, else AM/PM means month/day and a 24-hour clock day/month;
  an ambiguous pair without a clock (``06/02/2022``) is rejected;
* year-less ``1月16日`` and ``01-16 15:18`` (the numeric one needs a time: ``3-5`` is a range);
* ``今天/昨天/前天 10:20`` (time required), ``N秒/分钟/小时/天/周/个月/年前`` with digits or a
  small Chinese number, ``半小时前``, and ``刚刚`` unless it is the adverb (``刚刚结束``).

``parse_date`` additionally accepts, only as the whole text after an optional label, a bare
year (``2019``, precision "year"), ``2019-01``, ``01-16`` and a bare ``今天/昨天/前天``.

Labels: ``DateMatch.label`` is the label printed right before a date with padding removed
(``日　期：`` -> ``日期``); English labels are lower-cased (``Published:`` -> ``published``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = [
    "SHANGHAI",
    "DateMatch",
    "ParsedDate",
    "Precision",
    "iter_date_matches",
    "parse_date",
    "to_datetime",
]

SHANGHAI: ZoneInfo = ZoneInfo("Asia/Shanghai")

Precision = Literal["year", "month", "day", "hour", "minute", "second"]

#: Portals did not exist before this; anything older printed on a page is an id or a typo.
EARLIEST_PLAUSIBLE_YEAR = 1990

#: How far in the future a year-less date may lie before we assume it belongs to last year.
#: One day of slack absorbs time-zone differences between the portal and the crawler.
YEARLESS_FUTURE_TOLERANCE = timedelta(days=1)

#: A unix timestamp this large cannot be in seconds (it would be year 5138), so it is milliseconds.
MILLISECOND_TIMESTAMP_THRESHOLD = 100_000_000_000


@dataclass(frozen=True)
class ParsedDate:
    """A parsed date plus how much of it the page actually printed.

    ``precision`` matters downstream: ``2019-01-16`` must not be stored as if the article had
    been published at exactly 00:00, and comparing two dates is only meaningful down to the
    coarser of the two precisions.
    """

    value: datetime  # always tz-aware
    precision: Precision  # the finest unit the text actually printed


@dataclass(frozen=True)
class DateMatch:
    """One date found inside a longer text, with the label printed right before it.

    The label (``发布时间``, ``更新时间``, ``来源`` ...) is what lets a caller prefer the
    publication date over an update date or a date quoted in the article body.
    """

    start: int  # span of the matched date text inside the searched string
    end: int
    text: str  # the matched date text
    parsed: ParsedDate
    label: str | None  # normalised label right before the date, e.g. "发布时间"; None if absent


class _ImpossibleDate(ValueError):
    """Raised internally when a regex matched but the fields do not form a plausible date."""


# --------------------------------------------------------------------------------------------
# Text folding
# --------------------------------------------------------------------------------------------

_CHAR_FOLDING: dict[int, str] = {0xFF10 + digit: str(digit) for digit in range(10)}
_CHAR_FOLDING.update(
    {
        ord("："): ":",
        ord("－"): "-",
        ord("／"): "/",
        ord("．"): ".",
        ord("＋"): "+",
        ord("Ｔ"): "T",
        ord("Ｚ"): "Z",
        ord("\u2010"): "-",  # hyphen
        ord("\u2011"): "-",  # non-breaking hyphen
        ord("\u2013"): "-",  # en dash
        ord("\u2212"): "-",  # minus sign
        ord("\u3000"): " ",  # ideographic space, used to pad labels like "日　期"
        ord("\u00a0"): " ",  # &nbsp;
        ord("\u200b"): " ",  # zero-width space
        ord("\ufeff"): " ",  # stray BOM
    }
)
_CHAR_FOLDING.update({codepoint: " " for codepoint in range(0x2000, 0x200B)})


#: Below this length ``str.translate`` beats ``re.sub`` (per-call overhead dominates).
_TRANSLATE_MAX_CHARS = 256
_FOLDABLE_RE = re.compile("[" + re.escape("".join(map(chr, _CHAR_FOLDING))) + "]")


def _fold(text: str) -> str:
    """Fold full-width and exotic characters to ASCII, keeping the length (offsets stay valid).

    ``re.sub`` touches only the few foldable characters; ``str.translate`` with a dict costs
    ~130 ns for *every* character of a CJK page.
    """
    if len(text) <= _TRANSLATE_MAX_CHARS:
        return text.translate(_CHAR_FOLDING)
    return _FOLDABLE_RE.sub(lambda found: _CHAR_FOLDING[ord(found.group())], text)


# --------------------------------------------------------------------------------------------
# Regular expressions
# --------------------------------------------------------------------------------------------


def _time_pattern(prefix: str) -> str:
    """A clock time (``15:18``, ``15:18:02.5``, ``15时18分``, ``下午3点``, ``3:18 PM``) with
    prefixed group names.

    Each date shape embeds its own copy because Python's ``re`` forbids duplicate group names.
    """
    return (
        rf"(?:(?P<{prefix}_ampm>上午|中午|下午|晚上|傍晚|凌晨|早上)\s*)?"
        rf"(?P<{prefix}_h>\d{{1,2}}+)"
        r"(?:"
        rf"\s*:\s*(?P<{prefix}_mi>\d{{2}})"
        rf"(?:\s*:\s*(?P<{prefix}_s>\d{{2}})(?:[.,]\d{{1,9}})?)?(?!\d)"
        rf"(?:\s*(?P<{prefix}_meridiem>[AaPp]\.?[Mm]\.?)(?![A-Za-z]))?"
        rf"|\s*[时点]\s*(?:(?P<{prefix}_mi2>\d{{1,2}}+)\s*分"
        rf"(?:\s*(?P<{prefix}_s2>\d{{1,2}}+)\s*秒)?)?"
        r")"
    )


_ENGLISH_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_ENGLISH_MONTH_PATTERN = (
    r"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)

_CHINESE_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_CHINESE_DIGITS.update({"六": 6, "七": 7, "八": 8, "九": 9})
_SMALL_CHINESE_NUMBERS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}

#: A UTC offset printed after a space, as in RFC 2822 (``+0800``) or ``GMT`` / ``UTC+8``.
#: Unlike an offset glued to an ISO time, it is range-checked in the pattern itself so that
#: "2019-01-16 15:18 -2019" stays a plain local time instead of a bogus -20:19 zone.
_SPACED_ZONE = (
    r"\s?(?:GMT|UTC)(?:[+-](?:0?\d|1[0-4])(?::?[0-5]\d)?)?"
    r"|\s[+-](?:0\d|1[0-4]):?[0-5]\d"
)

# Each branch is one printed shape; group names are prefixed with the branch name.  Order
# matters only between branches that can start at the same position (most specific first).
_BRANCHES: tuple[tuple[str, str], ...] = (
    (
        # ISO 8601 with an explicit offset: the only shape whose zone we do not replace.
        "iso",
        r"(?<![\d.-])(?P<iso_y>\d{4})-(?P<iso_mo>\d{1,2}+)-(?P<iso_d>\d{1,2}+)[T ]"
        r"(?P<iso_h>\d{1,2}+):(?P<iso_mi>\d{2})(?::(?P<iso_s>\d{2})(?:[.,]\d{1,9})?)?"
        rf"(?P<iso_tz>Z|[+-]\d{{2}}(?::?\d{{2}})?|{_SPACED_ZONE})(?![\dA-Za-z])",
    ),
    (
        # 2019-01-16, 2019/1/16, 2019.01.16, optionally followed by a time.
        "num",
        r"(?<![\d.-])(?P<num_y>\d{4})(?P<num_sep>[-/.])(?P<num_mo>\d{1,2}+)(?P=num_sep)"
        r"(?P<num_d>\d{1,2}+)(?![\d]|[-/.]\d)"
        rf"(?:(?:T|\s+|\s*[,，]\s*){_time_pattern('num')})?",
    ),
    (
        # 2021 06/18 10:09:15 -- the year set apart from month/day (xinhuanet's split date
        # widget read as one line); the time is required, "2021 3/4" alone is no date.
        "ysd",
        r"(?<![\d./:-])(?P<ysd_y>\d{4})\s+(?P<ysd_mo>\d{1,2}+)/(?P<ysd_d>\d{1,2}+)(?![\d/])"
        rf"\s+{_time_pattern('ysd')}",
    ),
    (
        # 2019年1月16日 [15:18], or just 2019年1月 (month precision).
        "zh",
        r"(?<!\d)(?P<zh_y>\d{4})\s*年\s*(?P<zh_mo>\d{1,2}+)\s*月"
        rf"(?:\s*(?P<zh_d>\d{{1,2}}+)\s*[日号](?:\s*{_time_pattern('zh')})?)?",
    ),
    (
        # 二〇一九年一月十六日 -- government documents print dates in Chinese numerals.
        "cn",
        r"(?<![〇零一二三四五六七八九十])(?P<cn_y>[〇零一二三四五六七八九]{4})\s*年\s*"
        r"(?P<cn_mo>十[一二]?|[一二三四五六七八九])\s*月"
        r"(?:\s*(?P<cn_d>[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])\s*[日号])?",
    ),
    (
        # Jan 16, 2019 [15:18] -- English-language pages of the same portals.
        "en",
        rf"(?<![A-Za-z])(?P<en_mon>{_ENGLISH_MONTH_PATTERN})\.?\s+(?P<en_d>\d{{1,2}}+)"
        r"(?:st|nd|rd|th)?,?\s+(?P<en_y>\d{4})(?!\d)"
        rf"(?:(?:\s+|\s*,\s*){_time_pattern('en')}(?:(?P<en_tz>{_SPACED_ZONE})(?![\dA-Za-z]))?)?",
    ),
    (
        # 16 January 2019 [15:18]
        "end",
        rf"(?<!\d)(?P<end_d>\d{{1,2}}+)\s+(?P<end_mon>{_ENGLISH_MONTH_PATTERN})\.?,?\s+"
        r"(?P<end_y>\d{4})(?!\d)"
        rf"(?:(?:\s+|\s*,\s*){_time_pattern('end')}(?:(?P<end_tz>{_SPACED_ZONE})(?![\dA-Za-z]))?)?",
    ),
    (
        # 1月16日 [15:18] -- year inferred.
        "zmd",
        r"(?<![\d年])(?P<zmd_mo>\d{1,2}+)\s*月\s*(?P<zmd_d>\d{1,2}+)\s*[日号]"
        rf"(?:\s*{_time_pattern('zmd')})?",
    ),
    (
        # 9/17/2004 5:54:13 AM, 06/02/2022 - 13:48, 17/09/2004 -- day and month both first.
        # Which is which: a number above 12 can only be the day; otherwise a 12-hour clock
        # (AM/PM) marks the US month/day order and a 24-hour clock the day/month order used
        # everywhere else; with no time at all the order is unknowable and the date rejected.
        "slash",
        r"(?<![\d./:-])(?P<slash_a>\d{1,2}+)/(?P<slash_b>\d{1,2}+)/(?P<slash_y>\d{4})(?![\d/])"
        rf"(?:(?:\s+-\s+|\s+|\s*,\s*){_time_pattern('slash')})?",
    ),
    (
        # 01-16 15:18 -- year inferred; the time is required because "3-5" alone is rarely a date.
        "nmd",
        r"(?<![\d./:-])(?P<nmd_mo>\d{1,2}+)[-/](?P<nmd_d>\d{1,2}+)(?![\d/-])"
        rf"(?:T|\s+){_time_pattern('nmd')}",
    ),
    (
        # 今天 09:30 / 昨天 10:20 / 前天 08:00 -- the time is required inside longer texts.
        "word",
        rf"(?P<word_w>今天|今日|昨天|昨日|前天|前日)\s*{_time_pattern('word')}",
    ),
    (
        # 5分钟前 / 3小时前 / 2天前 / 半小时前 / 三天前 / 二十分钟前
        "ago",
        r"(?<![\d.一二两三四五六七八九十百千万几])"
        r"(?P<ago_n>\d{1,6}+|半|[一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九])\s*"
        r"(?P<ago_u>秒钟?|分钟|分|个?小时|个?钟头|天|日|个?星期|周|个月|年)\s*前(?![天日年])",
    ),
    (
        # 刚刚 -- but not the adverb in "刚刚结束的会议".
        "now",
        r"(?P<now_w>刚刚)(?![\u4e00-\u9fff])",
    ),
)


def _compile_branches(*names: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """One alternation over the named branches (kept in ``_BRANCHES`` order), plus the names."""
    chosen = tuple((name, pattern) for name, pattern in _BRANCHES if name in names)
    alternation = "|".join(f"(?P<{name}>{pattern})" for name, pattern in chosen)
    return re.compile(alternation), tuple(name for name, _ in chosen)


# Why candidates plus per-kind regexes instead of one ``search`` over the big alternation:
# trying ten look-behind-guarded branches at every character costs ~1.5 us/char, which is
# far too slow for whole pages.  Every date starts at the beginning of a digit run, of a
# Latin-letter run (English month), or at one of a few Chinese characters, and the length of
# the digit run already tells which shapes can start there.  A cheap scanner finds those
# starts and only the relevant branches are tried (~10x faster, same matches).
_CANDIDATE_RE = re.compile(r"[0-9]++|[A-Za-z]++|[刚今昨前半〇零一二两三四五六七八九十]")
_YEAR_FIRST = _compile_branches("iso", "num", "ysd", "zh", "ago")
_DAY_OR_MONTH_FIRST = _compile_branches("end", "zmd", "slash", "nmd", "ago")
_NUMBER_FIRST = _compile_branches("ago")
_MONTH_NAME_FIRST = _compile_branches("en")
_WORD_FIRST = _compile_branches("cn", "word", "ago", "now")
_MONTH_NAME_PREFIXES = frozenset(_ENGLISH_MONTHS)

_LABELS: tuple[str, ...] = (
    "发布时间",
    "发布日期",
    "发表时间",
    "发表日期",
    "发文时间",
    "发文日期",
    "发稿时间",
    "发稿日期",
    "更新时间",
    "更新日期",
    "修改时间",
    "修改日期",
    "编辑时间",
    "创建时间",
    "上传时间",
    "录入时间",
    "添加时间",
    "出版日期",
    "成文日期",
    "发布于",
    "发表于",
    "更新于",
    "发布",
    "发表",
    "更新",
    "日期",
    "时间",
    "来源",
    "published on",
    "published",
    "posted on",
    "posted",
    "last updated",
    "updated on",
    "updated",
    "date",
    "time",
)


def _label_pattern(label: str) -> str:
    """Chinese labels are often padded (``日　期``), English ones are case-insensitive words."""
    if label.isascii():
        words = r"\s+".join(re.escape(word) for word in label.split())
        return rf"(?<![A-Za-z])(?i:{words})"
    return r"\s*".join(re.escape(char) for char in label)


def _reversed_label_pattern(label: str) -> str:
    """``_label_pattern`` for the label spelled backwards (see ``_LABEL_BEFORE_REVERSED_RE``)."""
    if label.isascii():
        words = r"\s+".join(re.escape(word[::-1]) for word in reversed(label.split()))
        return rf"(?i:{words})(?![A-Za-z])"
    return r"\s*".join(re.escape(char) for char in reversed(label))


_LABELS_LONGEST_FIRST = sorted(_LABELS, key=len, reverse=True)
_LABEL_ALTERNATION = "|".join(_label_pattern(label) for label in _LABELS_LONGEST_FIRST)
#: The label must end right before the date (only a colon, brackets or spaces in between).
#: Matched with an anchored ``match`` on the reversed look-back window: searching forwards for
#: a label that ends at the window's end tries every position and cost ~10 us per date.
_LABEL_BEFORE_REVERSED_RE = re.compile(
    r"\s*[\[【(（]?\s*:?\s*(?P<label>"
    + "|".join(_reversed_label_pattern(label) for label in _LABELS_LONGEST_FIRST)
    + ")"
)
_LABEL_LOOKBACK_CHARS = 32
_LEADING_LABEL_RE = re.compile(rf"\s*(?:{_LABEL_ALTERNATION})\s*:?\s*[\[【(（]?\s*")

#: Shapes only accepted when they are the whole text (after a label): a bare year, year-month,
#: month-day without time, or a bare 今天/昨天/前天.  Inside a sentence they are too ambiguous.
_WHOLE_TEXT_RE = re.compile(
    r"(?:"
    r"(?P<year>\d{4})\s*年?"
    r"|(?P<ym_y>\d{4})(?P<ym_sep>[-/.])(?P<ym_mo>\d{1,2}+)"
    r"|(?P<md_mo>\d{1,2}+)[-/](?P<md_d>\d{1,2}+)"
    r"|(?P<word>今天|今日|昨天|昨日|前天|前日)"
    r")\s*[\])】）]?\s*[.,;。；]?\s*"
)

_TIMESTAMP_STRING_RE = re.compile(r"1\d{9}|1\d{12}")

_DAY_WORD_OFFSETS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "前日": 2}
_PM_MARKERS = frozenset({"下午", "晚上", "傍晚"})


# --------------------------------------------------------------------------------------------
# Field interpretation
# --------------------------------------------------------------------------------------------


def _reference_now(now: datetime | None, tz: tzinfo) -> datetime:
    """The moment relative/year-less dates are resolved against, expressed in ``tz``."""
    if now is None:
        return datetime.now(tz)
    if now.tzinfo is None or now.utcoffset() is None:
        return now.replace(tzinfo=tz)
    try:
        return now.astimezone(tz)
    except OverflowError:  # within a day of datetime.min/max: keep the caller's own zone
        return now


def _check_year(year: int, now: datetime) -> None:
    if not EARLIEST_PLAUSIBLE_YEAR <= year <= now.year + 1:
        raise _ImpossibleDate(f"implausible year {year}")


def _truncate(value: datetime, precision: Precision) -> datetime:
    """Zero every field finer than ``precision`` so the value never claims unprinted detail."""
    if precision == "year":
        return value.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if precision == "month":
        return value.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if precision == "day":
        return value.replace(hour=0, minute=0, second=0, microsecond=0)
    if precision == "hour":
        return value.replace(minute=0, second=0, microsecond=0)
    if precision == "minute":
        return value.replace(second=0, microsecond=0)
    return value.replace(microsecond=0)


def _read_time(match: re.Match[str], prefix: str) -> tuple[int, int, int, Precision] | None:
    """(hour, minute, second, precision) of the branch's time part, None if none was printed."""
    hour_text = match.group(f"{prefix}_h")
    if hour_text is None:
        return None
    hour = int(hour_text)
    minute_text = match.group(f"{prefix}_mi") or match.group(f"{prefix}_mi2")
    second_text = match.group(f"{prefix}_s") or match.group(f"{prefix}_s2")
    ampm = match.group(f"{prefix}_ampm")
    meridiem = match.group(f"{prefix}_meridiem")
    if meridiem is not None:  # "3:18 PM" -- the English marker comes after the time
        ampm = "下午" if meridiem[0] in "Pp" else "凌晨"
    if ampm is not None:
        # 下午3点 is 15:00, 下午15点 is also 15:00, 中午1点 is 13:00, 凌晨12点 is 00:00.
        if hour > 12 and ampm not in _PM_MARKERS and ampm != "中午":
            raise _ImpossibleDate("24-hour clock value after a morning marker")
        afternoon = ampm in _PM_MARKERS or (ampm == "中午" and hour < 6)
        if afternoon and 1 <= hour < 12:
            hour += 12
        elif ampm == "凌晨" and hour == 12:
            hour = 0
    minute = int(minute_text) if minute_text is not None else 0
    second = int(second_text) if second_text is not None else 0
    if hour > 23 or minute > 59 or second > 59:
        raise _ImpossibleDate("impossible clock time")
    if second_text is not None:
        return hour, minute, second, "second"
    if minute_text is not None:
        return hour, minute, 0, "minute"
    return hour, 0, 0, "hour"


def _absolute(
    year: int,
    month: int,
    day: int | None,
    clock: tuple[int, int, int, Precision] | None,
    now: datetime,
    tz: tzinfo,
) -> ParsedDate:
    """Build a date whose year was printed; ``day`` None means month precision."""
    _check_year(year, now)
    if not 1 <= month <= 12:
        raise _ImpossibleDate("impossible month")
    if day is None:
        return ParsedDate(datetime(year, month, 1, tzinfo=tz), "month")
    hour, minute, second, precision = clock if clock is not None else (0, 0, 0, "day")
    try:
        value = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError as error:
        raise _ImpossibleDate(str(error)) from error
    return ParsedDate(value, precision)


def _slash_date(match: re.Match[str], now: datetime, tz: tzinfo) -> ParsedDate:
    """``A/B/YYYY [time]``: settle which of A and B is the month (see the branch comment)."""
    first, second = int(match.group("slash_a")), int(match.group("slash_b"))
    clock = _read_time(match, "slash")
    if first > 12 >= second:
        day, month = first, second
    elif second > 12 >= first:
        month, day = first, second
    elif clock is None or first == second:
        if first != second:
            raise _ImpossibleDate("day/month order unknowable without a clock")
        month = day = first
    elif match.group("slash_meridiem") is not None:
        month, day = first, second
    else:
        day, month = first, second
    return _absolute(int(match.group("slash_y")), month, day, clock, now, tz)


def _yearless(
    month: int,
    day: int,
    clock: tuple[int, int, int, Precision] | None,
    now: datetime,
    tz: tzinfo,
) -> ParsedDate:
    """Build a date printed without a year: this year unless that is clearly in the future."""
    hour, minute, second, precision = clock if clock is not None else (0, 0, 0, "day")
    for year in (now.year, now.year - 1):
        try:
            value = datetime(year, month, day, hour, minute, second, tzinfo=tz)
        except ValueError:
            continue
        if value <= now + YEARLESS_FUTURE_TOLERANCE:
            _check_year(year, now)
            return ParsedDate(value, precision)
    raise _ImpossibleDate("no plausible year for a year-less date")


def _on_relative_day(
    word: str, clock: tuple[int, int, int, Precision] | None, now: datetime
) -> ParsedDate:
    """今天/昨天/前天 with an optional time, counted in calendar days of ``now``'s zone."""
    day = now.date() - timedelta(days=_DAY_WORD_OFFSETS[word])
    hour, minute, second, precision = clock if clock is not None else (0, 0, 0, "day")
    value = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=now.tzinfo)
    _check_year(value.year, now)
    return ParsedDate(value, precision)


def _small_number(text: str) -> int:
    """Digits, or a Chinese number below 100 (``三`` 3, ``十五`` 15, ``二十`` 20, ``四十二`` 42)."""
    if text.isdigit():
        return int(text)
    tens, ten, units = text.partition("十")
    if not ten:
        return _SMALL_CHINESE_NUMBERS[text]
    return (_SMALL_CHINESE_NUMBERS[tens] if tens else 1) * 10 + (
        _SMALL_CHINESE_NUMBERS[units] if units else 0
    )


def _ago(amount_text: str, unit: str, now: datetime) -> ParsedDate:
    """``N<unit>前``: subtract from ``now`` and truncate to the printed unit."""
    if amount_text == "半":
        if "时" not in unit:
            raise _ImpossibleDate("半 is only understood for hours")
        return ParsedDate(_truncate(now - timedelta(minutes=30), "minute"), "minute")
    amount = _small_number(amount_text)
    precision: Precision
    try:
        if unit.startswith("秒"):
            value, precision = now - timedelta(seconds=amount), "second"
        elif unit.startswith("分"):
            value, precision = now - timedelta(minutes=amount), "minute"
        elif "时" in unit or "钟头" in unit:
            value, precision = now - timedelta(hours=amount), "hour"
        elif unit in ("天", "日"):
            value, precision = now - timedelta(days=amount), "day"
        elif "星期" in unit or unit == "周":
            value, precision = now - timedelta(weeks=amount), "day"
        elif unit == "个月":
            months = now.year * 12 + now.month - 1 - amount
            if months < 12:
                raise _ImpossibleDate("too many months ago")
            value = now.replace(year=months // 12, month=months % 12 + 1, day=1)
            precision = "month"
        else:
            if now.year - amount < 1:
                raise _ImpossibleDate("too many years ago")
            value, precision = now.replace(year=now.year - amount, month=1, day=1), "year"
    except OverflowError as error:
        raise _ImpossibleDate(str(error)) from error
    _check_year(value.year, now)
    return ParsedDate(_truncate(value, precision), precision)


def _utc_offset(text: str) -> tzinfo:
    """``Z``, ``+08:00``, ``+0800``, ``+08``, ``GMT``, ``UTC+8``, ``GMT-05:30`` -> a tzinfo."""
    offset = text.strip().removeprefix("GMT").removeprefix("UTC")
    if offset in ("", "Z"):
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:]
    if ":" in digits:
        hours_text, _, minutes_text = digits.partition(":")
    elif len(digits) > 2:
        hours_text, minutes_text = digits[:-2], digits[-2:]
    else:
        hours_text, minutes_text = digits, "0"
    hours, minutes = int(hours_text), int(minutes_text)
    if hours > 23 or minutes > 59:
        raise _ImpossibleDate("impossible UTC offset")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _interpret(
    match: re.Match[str], branch_names: tuple[str, ...], now: datetime, tz: tzinfo
) -> ParsedDate | None:
    """Turn a regex match into a ParsedDate, or None when its fields are impossible."""
    branch = next(name for name in branch_names if match.group(name) is not None)
    group = match.group
    try:
        if branch == "iso":
            iso_precision: Precision = "second" if group("iso_s") else "minute"
            clock = (
                int(group("iso_h")),
                int(group("iso_mi")),
                int(group("iso_s") or 0),
                iso_precision,
            )
            if clock[0] > 23 or clock[1] > 59 or clock[2] > 59:
                raise _ImpossibleDate("impossible clock time")
            zone = _utc_offset(group("iso_tz"))
            return _absolute(
                int(group("iso_y")), int(group("iso_mo")), int(group("iso_d")), clock, now, zone
            )
        if branch in ("num", "zh", "ysd"):
            day_text = group(f"{branch}_d")
            return _absolute(
                int(group(f"{branch}_y")),
                int(group(f"{branch}_mo")),
                int(day_text) if day_text is not None else None,
                _read_time(match, branch) if day_text is not None else None,
                now,
                tz,
            )
        if branch == "cn":
            day_text = group("cn_d")
            return _absolute(
                int("".join(str(_CHINESE_DIGITS[char]) for char in group("cn_y"))),
                _small_number(group("cn_mo")),
                _small_number(day_text) if day_text is not None else None,
                None,
                now,
                tz,
            )
        if branch in ("en", "end"):
            month = _ENGLISH_MONTHS[group(f"{branch}_mon")[:3].lower()]
            zone_text = group(f"{branch}_tz")
            return _absolute(
                int(group(f"{branch}_y")),
                month,
                int(group(f"{branch}_d")),
                _read_time(match, branch),
                now,
                _utc_offset(zone_text) if zone_text is not None else tz,
            )
        if branch == "slash":
            return _slash_date(match, now, tz)
        if branch in ("zmd", "nmd"):
            return _yearless(
                int(group(f"{branch}_mo")),
                int(group(f"{branch}_d")),
                _read_time(match, branch),
                now,
                tz,
            )
        if branch == "word":
            return _on_relative_day(group("word_w"), _read_time(match, "word"), now)
        if branch == "ago":
            return _ago(group("ago_n"), group("ago_u"), now)
        return ParsedDate(_truncate(now, "minute"), "minute")  # 刚刚
    except (_ImpossibleDate, OverflowError):  # OverflowError: a `now` near datetime.max
        return None


def _label_before(folded: str, start: int) -> str | None:
    """The normalised label printed right before ``start`` (``日　期：`` -> ``日期``), if any."""
    window = folded[max(0, start - _LABEL_LOOKBACK_CHARS) : start]
    found = _LABEL_BEFORE_REVERSED_RE.match(window[::-1])
    if found is None:
        return None
    label = found.group("label")[::-1]
    if label.isascii():
        return " ".join(label.lower().split())
    return "".join(label.split())


def _parse_whole_text(folded: str, now: datetime, tz: tzinfo) -> ParsedDate | None:
    """Shapes accepted only when they are all the text holds (see ``_WHOLE_TEXT_RE``)."""
    label = _LEADING_LABEL_RE.match(folded)
    body_start = label.end() if label is not None else 0
    stripped = folded[body_start:].strip()
    match = _WHOLE_TEXT_RE.fullmatch(stripped)
    if match is None:
        return None
    try:
        if match.group("year") is not None:
            year = int(match.group("year"))
            _check_year(year, now)
            return ParsedDate(datetime(year, 1, 1, tzinfo=tz), "year")
        if match.group("ym_y") is not None:
            return _absolute(
                int(match.group("ym_y")), int(match.group("ym_mo")), None, None, now, tz
            )
        if match.group("md_mo") is not None:
            return _yearless(int(match.group("md_mo")), int(match.group("md_d")), None, now, tz)
        return _on_relative_day(match.group("word"), None, now)
    except (_ImpossibleDate, OverflowError):  # OverflowError: a `now` near datetime.max
        return None


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def iter_date_matches(
    text: str, *, now: datetime | None = None, tz: tzinfo = SHANGHAI
) -> Iterator[DateMatch]:
    """Every date-like substring in a longer text (a whole info line or page text), in order.

    Why this exists next to ``parse_date``: an info line such as
    ``来源：新华网 更新时间：2019-01-17 发布时间：2019-01-16 15:18 浏览：152488`` holds several
    dates, and the caller picks one by its ``label``.  Only unambiguous shapes are reported
    here: bare years, ``3-5`` style pairs without a time, and bare ``今天`` are not, because in
    running text they are usually not dates.  Matches never overlap; a candidate whose fields
    are impossible is skipped as a whole (its inner digits are not re-tried).  Never raises.
    """
    if not isinstance(text, str) or not text:
        return
    folded = _fold(text)
    reference = _reference_now(now, tz)
    position = 0
    while True:
        candidate = _CANDIDATE_RE.search(folded, position)
        if candidate is None:
            return
        start, position = candidate.span()
        branches = _branches_starting_with(candidate.group())
        if branches is None:
            continue
        pattern, branch_names = branches
        match = pattern.match(folded, start)
        if match is None:
            continue
        # Skip the whole candidate even when its fields are impossible: re-trying its inner
        # digits would turn "2019-01-32 10:00" into a bogus "01-32 10:00" style match.
        position = max(position, match.end())
        parsed = _interpret(match, branch_names, reference, tz)
        if parsed is not None:
            yield DateMatch(
                start=start,
                end=match.end(),
                text=text[start : match.end()],
                parsed=parsed,
                label=_label_before(folded, start),
            )


def _branches_starting_with(
    candidate: str,
) -> tuple[re.Pattern[str], tuple[str, ...]] | None:
    """The date shapes that can start with this digit run / letter run / Chinese character."""
    first = candidate[0]
    if first.isdigit():
        if len(candidate) == 4:
            return _YEAR_FIRST
        if len(candidate) <= 2:
            return _DAY_OR_MONTH_FIRST
        return _NUMBER_FIRST if len(candidate) <= 6 else None
    if first.isascii():
        return _MONTH_NAME_FIRST if candidate[:3].lower() in _MONTH_NAME_PREFIXES else None
    return _WORD_FIRST


def parse_date(
    text: str, *, now: datetime | None = None, tz: tzinfo = SHANGHAI
) -> ParsedDate | None:
    """Parse the first date in ``text`` (labels like 发布时间：/发布日期:/日期：/时间:/Published: allowed
    before it).

    Accepts everything ``iter_date_matches`` finds, plus shapes that are only trustworthy when
    they are the whole text (after an optional label): a bare year (``2019`` -> precision
    "year"), ``2019-01`` (month), ``01-16`` (day, year inferred) and a bare ``今天``/``昨天``/
    ``前天`` (day).  Returns None when nothing parses; never raises, whatever the input.
    """
    if not isinstance(text, str) or not text:
        return None
    reference = _reference_now(now, tz)
    first = next(iter_date_matches(text, now=reference, tz=tz), None)
    if first is not None:
        return first.parsed
    if len(text) > 200:  # the whole-text shapes are short; skip the work on page-sized input
        return None
    return _parse_whole_text(_fold(text), reference, tz)


def to_datetime(
    value: object, *, now: datetime | None = None, tz: tzinfo = SHANGHAI
) -> datetime | None:
    """Processor-friendly: accepts datetime (naive -> tz, aware kept), date, int/float unix
    timestamp (seconds or milliseconds), or str (via parse_date); returns None when nothing
    parses.

    Details that keep item loaders simple:

    * ``date`` -> midnight in ``tz``.
    * Numbers of magnitude >= 1e11 are milliseconds (1e11 seconds would be year 5138).
      ``bool``, NaN and infinities are rejected, and so is a timestamp outside the plausible
      year window (``0`` is a "missing" marker in many JSON APIs, not 1970).
    * A string of exactly 10 or 13 digits starting with ``1`` is a unix timestamp (as JSON
      APIs send them); other digit strings are ids and go through ``parse_date`` (-> None).
    * Any other type -> None.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=tz)
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_timestamp(value, _reference_now(now, tz), tz)
    if isinstance(value, str):
        stripped = value.strip()
        if _TIMESTAMP_STRING_RE.fullmatch(stripped):
            return _from_timestamp(int(stripped), _reference_now(now, tz), tz)
        parsed = parse_date(value, now=now, tz=tz)
        return parsed.value if parsed is not None else None
    return None


def _from_timestamp(seconds_or_millis: float, now: datetime, tz: tzinfo) -> datetime | None:
    if not math.isfinite(seconds_or_millis):
        return None
    seconds = seconds_or_millis
    if abs(seconds) >= MILLISECOND_TIMESTAMP_THRESHOLD:
        seconds = seconds / 1000
    try:
        value = datetime.fromtimestamp(seconds, tz)
    except (OverflowError, OSError, ValueError):
        return None
    if not EARLIEST_PLAUSIBLE_YEAR <= value.year <= now.year + 1:
        return None
    return value
