"""Labelled fields of an article's info line: 来源 (source), 作者/记者/文 (author).

Portals print one line such as ``来源：新华社  作者：张三  发布时间：2019-01-16 15:18`` under
the headline. Splitting it on the labels themselves (not on spaces) is what keeps one field
from swallowing the next; each value is then cut at the first date, bracket or pipe.
These are pure functions of text so they can be tested with plain tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from crawler.extraction.dom import normalize_space
from crawler.extraction.patterns import (
    AUTHOR_LABELS,
    BRACKETED_NAME_RE,
    BRACKETED_REPORTER_RE,
    BYLINE_OUTLET_RE,
    DATE_HINT_RE,
    DATE_LABELS,
    DATELINE_CREDIT_RE,
    EDITOR_LABELS,
    HAN_NAME_RE,
    LABEL_RE,
    NAME_TOKEN_RE,
    NOT_A_NAME_RE,
    NUMERAL_RE,
    ORGANISATION_SUFFIX_RE,
    POSTED_BY_RES,
    PUBLISHER_NAME_RE,
    REPORTER_RE,
    REPRINT_CREDIT_RE,
    SOURCE_LABELS,
    TRAILING_BRACKETED_NAMES_RE,
    VALUE_STOP_RE,
)

MAX_INFO_LINE_CHARS = 160
MAX_SOURCE_CHARS = 30
MAX_AUTHOR_CHARS = 40
# Chinese personal names are two to four characters; pen names run a little longer.
MAX_HAN_NAME_CHARS = 6
# A bare, unlabelled name is only believed when it is short: four-character words are
# more often headings (会议议程) than names.
MAX_BARE_NAME_CHARS = 3
# Reporter credits continue over this many consecutive lines.
REPORTER_LINES = 3
MAX_POSTED_BY_LINE_CHARS = 80
# What is left of a dateline once its date and labels are removed, at most.
MAX_DATELINE_REST_CHARS = 40
# A reporter credit standing as a line of its own is at most this long.
MAX_BYLINE_CHARS = 40
_OPENING_BRACKETS = ("（", "(", "【", "[")
PUNCTUATION_IN_PROSE_RE = re.compile(r"[，。；！？,;!?]")

_LEADING_JUNK_RE = re.compile(r"^[\s:：/|｜\[\]【】()（）<>《》“”\"'·,，、;；-]+")
_TRAILING_JUNK_RE = re.compile(r"[\s:：/|｜\[\]【】()（）<>《》“”\"'·,，、;；.。-]+$")
_BYLINE_WORD_RE = re.compile(r"(?:本报|本台|特约)?(?:记者|通讯员|实习生|作者|编辑|责编|摄影)")
# Attribute debris of broken markup printed as text: 来源： size="20".
_MARKUP_DEBRIS_RE = re.compile(r"[=<>\"]")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
# Widget words that can end like a publisher ("返回首页网"), never a publisher's name.
_NOT_A_PUBLISHER_RE = re.compile(
    r"首页|登录|注册|返回|更多|分享|打印|评论|阅读|浏览|点击|收藏|关注"
)
_LABEL_MARK_RE = re.compile(r"[:：/｜丨|]|来源于")
_NAME_SEPARATOR_RE = re.compile(r"[\s、，,;；/]+")
_SOURCE_LABEL_SET = frozenset(SOURCE_LABELS)
_AUTHOR_LABEL_SET = frozenset(
    label.replace("\u3000", "").replace(" ", "") for label in AUTHOR_LABELS
)
_EDITOR_LABEL_SET = frozenset(EDITOR_LABELS)
# Credits that end a reporter list: the editors, proofreaders and photographers after it.
_EDITOR_WORDS = ("责任编辑", "编辑", "责编", "校对", "审校", "审核", "编审", "监制", "摄影", "统筹")
_DATE_LABEL_SET = frozenset(DATE_LABELS)


def _canonical_label(label: str) -> str:
    return label.replace("\u3000", "").replace(" ", "").replace("\xa0", "")


def iter_labelled_values(line: str) -> Iterator[tuple[str, str]]:
    """Split a line on its labels: ``来源：A 作者：B`` -> (来源, " A "), (作者, " B ").

    The value of a label runs until the next label, so neighbouring fields never bleed
    into each other whatever spacing the page used.
    """
    if not _LABEL_MARK_RE.search(line):
        return  # every label ends in a colon, slash or bar, or is "来源于": none here
    matches = list(LABEL_RE.finditer(line))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
        label = match.group("label") or match.group("barred") or match.group("barred_short")
        yield _canonical_label(label), line[match.end() : end]


def _cut_value(raw: str) -> str:
    """Trim a raw label value at the first date, bracket, pipe or wide gap."""
    value = _LEADING_JUNK_RE.sub("", raw.replace("\xa0", " ").replace("\u3000", " "))
    date = DATE_HINT_RE.search(value)
    if date:
        value = value[: date.start()]
    stop = VALUE_STOP_RE.search(value)
    if stop:
        value = value[: stop.start()]
    return _TRAILING_JUNK_RE.sub("", value).strip()


def clean_source(raw: str) -> str | None:
    """The publisher named after a 来源 label, or None when the value is not a name.

    Sources are single names (新华社, 21世纪经济报道), so only the first space-separated
    token is kept: whatever follows it on the line is another widget.
    """
    value = _cut_value(raw)
    if not value:
        return None
    value = value.split(" ")[0]
    # "来源：亿欧网</span><span>记者 黄晓明": adjacent spans run the byline into the source.
    value = _BYLINE_WORD_RE.split(value, maxsplit=1)[0]
    value = _TRAILING_JUNK_RE.sub("", value)
    if not value or len(value) > MAX_SOURCE_CHARS or value.lower().startswith("http"):
        return None
    if value.isdigit() or _MARKUP_DEBRIS_RE.search(value):
        return None
    return value


def clean_author(raw: str) -> str | None:
    """Names after an author label, as printed (``张三 李四``), or None.

    Tokens are kept while they look like names; the first token that is a widget word
    (分享, 评论) or too long ends the byline.
    """
    value = _cut_value(raw)
    if not value:
        return None
    names: list[str] = []
    for token in _merge_spaced_name([token for token in _NAME_SEPARATOR_RE.split(value) if token]):
        if NOT_A_NAME_RE.search(token) or not NAME_TOKEN_RE.match(token):
            break
        if _HAN_RE.search(token) and len(token) > MAX_HAN_NAME_CHARS and "·" not in token:
            break
        names.append(token)
    if not names:
        return None
    separator = "、" if "、" in value and " " not in value else " "
    author = separator.join(names)
    return author if len(author) <= MAX_AUTHOR_CHARS else None


def _merge_spaced_name(tokens: list[str]) -> list[str]:
    """Portals pad two-character names to three columns: "赵 培" is one name, "赵培"."""
    merged: list[str] = []
    for token in tokens:
        if (
            merged
            and len(token) == 1
            and len(merged[-1]) == 1
            and HAN_NAME_RE.match(merged[-1] + token)
        ):
            merged[-1] += token
        else:
            merged.append(token)
    return merged


def _person_names(text: str) -> list[str]:
    tokens = _merge_spaced_name([token for token in _NAME_SEPARATOR_RE.split(text) if token])
    return [
        token
        for token in tokens
        if HAN_NAME_RE.match(token)
        and not NUMERAL_RE.match(token)
        and not NOT_A_NAME_RE.search(token)
        and not ORGANISATION_SUFFIX_RE.search(token)
    ]


def reporter_names(line: str) -> str | None:
    """Names after an unlabelled 记者/通讯员 (``本报记者 张三 李四``, ``（记者张三）``)."""
    names: list[str] = []
    for match in [*REPORTER_RE.finditer(line), *BRACKETED_REPORTER_RE.finditer(line)]:
        found = match.group("names") or match.groupdict().get("joined") or ""
        tokens = _NAME_SEPARATOR_RE.split(found)
        if match.group("names") and line.startswith("报道", match.end("names")):
            tokens = tokens[:-1]  # "张三 山东冠县报道": the last "name" is the place
        if match.group("names") and line.startswith(_EDITOR_WORDS, match.end("names")):
            tokens = tokens[:-1]  # "每经记者 张三 每经编辑 李四": "每经" opens the next credit
        kept: list[str] = []
        for token in tokens:
            if token.startswith(_EDITOR_WORDS):
                break  # "新京报记者 张三 编辑 李四 校对 王五": the credits that follow are not
            kept.append(token)
        tokens = kept
        for token in _person_names(" ".join(tokens)):
            if token not in names:
                names.append(token)
    return " ".join(names) or None


def reporters_across(lines: Iterable[str]) -> str | None:
    """Reporter credits spread over several lines (``本报实习生 甲 乙`` / ``本报记者 丙``)."""
    names: list[str] = []
    for line in lines:
        for name in (reporter_names(line) or "").split():
            if name not in names:
                names.append(name)
    return " ".join(names) or None


def dateline_credit(line: str) -> str | None:
    """``C114讯 1月16日消息（水易）……``: the writer bracketed after the opening dateline."""
    match = DATELINE_CREDIT_RE.match(line)
    if not match:
        return None
    return " ".join(_person_names(match.group("names"))) or None


def trailing_bracketed_names(line: str) -> str | None:
    """``……的决心。（常书香 马丹阳）``: reporters credited at the end of the text."""
    match = TRAILING_BRACKETED_NAMES_RE.search(line)
    if not match:
        return None
    names = [name for name in _person_names(match.group("names")) if not name.endswith("报道")]
    return " ".join(names) or None


def posted_by(line: str) -> str | None:
    """Forum/blog bylines: ``ggjjzhzz 发表于 …``, ``by duscha``, ``本贴由大卫于…发表``."""
    if len(line) > MAX_POSTED_BY_LINE_CHARS:
        return None
    for pattern in POSTED_BY_RES:
        match = pattern.search(line)
        if match and not NOT_A_NAME_RE.search(match.group("names")):
            return match.group("names")
    return None


def bracketed_name(line: str) -> str | None:
    """``[ 黄宇 ]`` on a dateline (elsewhere brackets hold menu items like ``[原创]``)."""
    if not DATE_HINT_RE.search(line):
        return None
    for match in BRACKETED_NAME_RE.finditer(line):
        names = _person_names(match.group("names"))
        if names:
            return names[0]
    return None


def bare_names(line: str) -> str | None:
    """A line that is nothing but one or a few personal names (``胡平``, ``赵延东、风笑天``)."""
    text = line.strip(" []【】()（）")
    if not text or len(text) > MAX_AUTHOR_CHARS:
        return None
    tokens = [token for token in _NAME_SEPARATOR_RE.split(text) if token]
    names = _person_names(text)
    if not names or len(names) != len(_merge_spaced_name(tokens)) or len(names) > 5:
        return None
    if any(len(name) > MAX_BARE_NAME_CHARS for name in names):
        return None
    return text if "、" in text else " ".join(names)


def byline_outlet(lines: Iterable[str]) -> str | None:
    """The outlet naming its reporters on the info line: ``新京报记者 张三``,
    ``21世纪经济报道 记者 张三 北京报道`` -> the publisher, when the page labels none."""
    for line in lines:
        match = BYLINE_OUTLET_RE.search(line)
        if match and PUBLISHER_NAME_RE.match(match.group("outlet")):
            return match.group("outlet")
    return None


def reprint_source(lines: Iterable[str]) -> str | None:
    """The account a text is reprinted from: ``本文来自微信公众号“晚点LatePost”，…``."""
    for line in lines:
        match = REPRINT_CREDIT_RE.match(line)
        if match:
            return match.group("name")
    return None


def unlabelled_source(lines: Iterable[str]) -> str | None:
    """A publisher named without a label on a dateline: ``C114通信网  水易  2019/1/16 15:18``.

    Only lines that are datelines (a date, no labels) are read, and only a token shaped like
    a publisher's name (ending in 网, 报, 社, 日报, 新闻 ...) is taken."""
    for line in lines:
        if len(line) > MAX_INFO_LINE_CHARS or not DATE_HINT_RE.search(line):
            continue
        first_label = LABEL_RE.search(line)
        if first_label is not None:
            line = line[: first_label.start()]
        for token in DATE_HINT_RE.sub(" ", line).split():
            if PUBLISHER_NAME_RE.match(token) and not _NOT_A_PUBLISHER_RE.search(token):
                return token
    return None


def source_from_lines(lines: Iterable[str]) -> str | None:
    """The first labelled source on the given lines."""
    for line in lines:
        for label, raw in iter_labelled_values(line):
            if label in _SOURCE_LABEL_SET:
                source = clean_source(raw)
                if source:
                    return source
    return None


def author_from_lines(
    lines: Iterable[str], *, reporters: bool = True, loose: bool = False
) -> str | None:
    """The first author credited on the given lines (never the 责任编辑/编辑).

    ``loose`` also accepts the weaker forms only trusted on an info line or right after the
    text: forum "posted by" bylines, bracketed names, names closing the last paragraph.
    """
    lines = list(lines)
    for index, line in enumerate(lines):
        for label, raw in iter_labelled_values(line):
            if label in _AUTHOR_LABEL_SET or label.lower() == "by":
                author = clean_author(raw)
                if author:
                    return author
        if reporters and reporter_names(line):
            return reporters_across(lines[index : index + REPORTER_LINES])
        if loose:
            names = posted_by(line) or bracketed_name(line)
            if names:
                return names
    return None


def looks_like_info_line(text: str) -> bool:
    """True for bylines, datelines and editor lines: a short line made of labels and dates
    rather than sentences. Used to keep them out of the body."""
    if len(text) > MAX_INFO_LINE_CHARS:
        return False
    if REPRINT_CREDIT_RE.match(text):
        return True
    if "。" in text:
        return False
    labels = [label for label, _ in iter_labelled_values(text)]
    if any(
        label in _SOURCE_LABEL_SET
        or label in _AUTHOR_LABEL_SET
        or label in _EDITOR_LABEL_SET
        or label in _DATE_LABEL_SET
        for label in labels
    ):
        return True
    if (
        len(text) <= MAX_BYLINE_CHARS
        and not text.startswith(_OPENING_BRACKETS)
        and not PUNCTUATION_IN_PROSE_RE.search(text)
        and reporter_names(text)
    ):
        return True  # "证券时报记者 张伟 王莹", "本报记者 张三 北京报道": a byline of its own
    if DATE_HINT_RE.search(text):
        rest = DATE_HINT_RE.sub("", text)
        rest = LABEL_RE.sub("", rest)
        return len(normalize_space(rest)) <= MAX_DATELINE_REST_CHARS and "，" not in rest
    return False
