"""Tests for crawler.encoding: one test per decision rule, lying headers and metas, truncated
and garbage bodies, and properties over arbitrary bytes."""

from __future__ import annotations

import codecs
import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.encoding import (
    declared_meta_charset,
    decode_html,
    detect_html_encoding,
    normalize_encoding_name,
)

SIMPLIFIED = "中华人民共和国国务院新闻办公室今天举行新闻发布会，介绍经济运行情况。记者：张三"
TRADITIONAL = "中華民國行政院今天舉行記者會，說明經濟發展情況與新聞報導。記者：陳大文"
#: 镕 and 堃 are in GBK but not GB2312; 𠀀 (U+20000) only exists in GB18030 (4-byte form).
BEYOND_GB2312 = "朱镕基 王堃 𠀀"


def page(body_text: str, head: str = "") -> str:
    return f"<html><head>{head}<title>News</title></head><body><p>{body_text}</p></body></html>"


META_GB2312 = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
META_BIG5 = '<meta charset="big5">'
META_UTF8 = '<meta charset="utf-8">'


# ------------------------------------------------------------------------------------------
# normalize_encoding_name
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gbk", "gb18030"),
        ("GBK", "gb18030"),
        ("gb2312", "gb18030"),
        ("GB2312", "gb18030"),
        ("gb_2312-80", "gb18030"),
        ("GB_2312-80", "gb18030"),
        ("x-gbk", "gb18030"),
        ("cp936", "gb18030"),
        ("CP936", "gb18030"),
        ("euc-cn", "gb18030"),
        ("EUC-CN", "gb18030"),
        ("csgb2312", "gb18030"),
        ("gb18030", "gb18030"),
        ("GB18030", "gb18030"),
        ("windows-936", "gb18030"),
        ("big5", "big5hkscs"),
        ("Big5", "big5hkscs"),
        ("big5-hkscs", "big5hkscs"),
        ("BIG5-HKSCS", "big5hkscs"),
        ("big5hkscs", "big5hkscs"),
        ("cp950", "big5hkscs"),
        ("x-x-big5", "big5hkscs"),
        ("utf8", "utf-8"),
        ("UTF8", "utf-8"),
        ("utf-8", "utf-8"),
        ("UTF-8", "utf-8"),
        ("utf_8", "utf-8"),
        (" utf-8 ", "utf-8"),
        ('"gbk"', "gb18030"),
        ("'UTF-8'", "utf-8"),
        ("iso-8859-1", "iso8859-1"),
        ("latin1", "iso8859-1"),
        ("windows-1252", "cp1252"),
        ("shift_jis", "shift_jis"),
        ("euc-kr", "euc_kr"),
        ("utf-16", "utf-16"),
        ("nonsense", None),
        ("x-user-defined", None),
        ("base64", None),  # a codec, but not a character encoding
        ("rot13", None),
        ("zlib", None),
        ("", None),
        ("   ", None),
        (None, None),
        ("中文", None),
        ("utf-8\x00", None),
    ],
)
def test_normalize_encoding_name(name: str | None, expected: str | None) -> None:
    assert normalize_encoding_name(name) == expected
    if expected is not None:
        codecs.lookup(expected)


# ------------------------------------------------------------------------------------------
# declared_meta_charset
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta charset="gbk">', "gb18030"),
        ("<meta charset=gb2312>", "gb18030"),
        ("<META CHARSET='UTF-8'>", "utf-8"),
        ("<meta charset = utf-8 />", "utf-8"),
        (META_GB2312, "gb18030"),
        ('<meta http-equiv="content-type" content="text/html;charset=GBK" />', "gb18030"),
        ('<meta content="text/html; charset=big5" http-equiv="Content-Type">', "big5hkscs"),
        ('<meta name="viewport" content="width=device-width">\n<meta charset="utf-8">', "utf-8"),
        ('<meta charset="nonsense"><meta charset="gbk">', "gb18030"),
        ('<meta charset="utf-16">', "utf-8"),  # we read the tag as ASCII, so it is not UTF-16
        ('<meta charset="UTF-16LE">', "utf-8"),
        ('<?xml version="1.0" encoding="GB2312"?>', "gb18030"),
        ('<meta name="description" content="charset-free page">', None),
        ("<title>no meta</title>", None),
        ("", None),
    ],
)
def test_declared_meta_charset(head: str, expected: str | None) -> None:
    assert declared_meta_charset(page("正文", head).encode("utf-8")) == expected


def test_meta_beyond_the_sniffing_window_is_ignored() -> None:
    body = b"<!--" + b"x" * 5000 + b'--><meta charset="gbk">'
    assert declared_meta_charset(body) is None
    assert declared_meta_charset(b'<!-- short --><meta charset="gbk">') == "gb18030"


def test_meta_in_a_gbk_encoded_document() -> None:
    body = page(SIMPLIFIED, META_GB2312).encode("gbk")
    assert declared_meta_charset(body) == "gb18030"


# ------------------------------------------------------------------------------------------
# detect_html_encoding / decode_html: the decision rules
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "body", "header", "expected_encoding", "expected_text"),
    [
        # Rule 1: a BOM wins, whatever the header says.
        (
            "utf-8 bom",
            codecs.BOM_UTF8 + page(SIMPLIFIED).encode("utf-8"),
            "gbk",
            "utf-8",
            page(SIMPLIFIED),
        ),
        (
            "utf-16-le bom",
            codecs.BOM_UTF16_LE + page(SIMPLIFIED).encode("utf-16-le"),
            None,
            "utf-16-le",
            page(SIMPLIFIED),
        ),
        (
            "utf-16-be bom",
            codecs.BOM_UTF16_BE + page(SIMPLIFIED).encode("utf-16-be"),
            "utf-8",
            "utf-16-be",
            page(SIMPLIFIED),
        ),
        ("bom only", codecs.BOM_UTF8, None, "utf-8", ""),
        # Rule 2: valid UTF-8 with non-ASCII bytes is UTF-8, whatever is declared.
        ("utf-8, header gbk", page(SIMPLIFIED).encode("utf-8"), "gbk", "utf-8", page(SIMPLIFIED)),
        (
            "utf-8, meta gb2312",
            page(SIMPLIFIED, META_GB2312).encode("utf-8"),
            None,
            "utf-8",
            page(SIMPLIFIED, META_GB2312),
        ),
        (
            "utf-8, header big5",
            page(TRADITIONAL).encode("utf-8"),
            "big5",
            "utf-8",
            page(TRADITIONAL),
        ),
        # Rule 3: pure ASCII -> the declared encoding, or utf-8.
        ("ascii, no declaration", b"<html>hello</html>", None, "utf-8", "<html>hello</html>"),
        ("ascii, header gbk", b"<html>hello</html>", "gbk", "gb18030", "<html>hello</html>"),
        (
            "ascii, meta big5",
            b'<meta charset="big5">hi',
            None,
            "big5hkscs",
            '<meta charset="big5">hi',
        ),
        ("ascii, header wins over meta", b'<meta charset="big5">hi', "gbk", "gb18030", None),
        ("ascii, unknown header", b"hi", "x-nonsense", "utf-8", "hi"),
        ("ascii, header utf-16 without bom", b"hi", "utf-16", "utf-8", "hi"),
        ("empty body", b"", None, "utf-8", ""),
        ("empty body, header gbk", b"", "gbk", "gb18030", ""),
        # Rule 4: header, meta, gb18030, big5hkscs -- first strict decode wins.
        ("gbk, header gbk", page(SIMPLIFIED).encode("gbk"), "gbk", "gb18030", page(SIMPLIFIED)),
        (
            "gbk, header utf-8 (lie), meta gb2312",
            page(SIMPLIFIED, META_GB2312).encode("gbk"),
            "utf-8",
            "gb18030",
            page(SIMPLIFIED, META_GB2312),
        ),
        (
            "gbk, no header, no meta",
            page(SIMPLIFIED).encode("gbk"),
            None,
            "gb18030",
            page(SIMPLIFIED),
        ),
        (
            "gbk, meta utf-8 (lie)",
            page(SIMPLIFIED, META_UTF8).encode("gbk"),
            None,
            "gb18030",
            page(SIMPLIFIED, META_UTF8),
        ),
        (
            "gb2312 declared, GBK/GB18030-only characters",
            page(BEYOND_GB2312, META_GB2312).encode("gb18030"),
            "gb2312",
            "gb18030",
            page(BEYOND_GB2312, META_GB2312),
        ),
        (
            "gbk, header iso-8859-1 (Tomcat default)",
            page(SIMPLIFIED).encode("gbk"),
            "ISO-8859-1",
            "gb18030",
            page(SIMPLIFIED),
        ),
        (
            "gbk, header windows-1252, meta gbk",
            page(SIMPLIFIED, '<meta charset="gbk">').encode("gbk"),
            "windows-1252",
            "gb18030",
            page(SIMPLIFIED, '<meta charset="gbk">'),
        ),
        (
            "gbk, unknown header",
            page(SIMPLIFIED).encode("gbk"),
            "x-nonsense",
            "gb18030",
            page(SIMPLIFIED),
        ),
        (
            "big5, header big5",
            page(TRADITIONAL).encode("big5"),
            "big5",
            "big5hkscs",
            page(TRADITIONAL),
        ),
        (
            "big5, meta big5",
            page(TRADITIONAL, META_BIG5).encode("big5"),
            None,
            "big5hkscs",
            page(TRADITIONAL, META_BIG5),
        ),
        (
            "big5, no declaration (common-character tie-break)",
            page(TRADITIONAL).encode("big5"),
            None,
            "big5hkscs",
            page(TRADITIONAL),
        ),
        (
            "big5, no declaration, long ASCII head before the text",
            page(TRADITIONAL, "<script>var x = 1;</script>" * 2000).encode("big5"),
            None,
            "big5hkscs",
            page(TRADITIONAL, "<script>var x = 1;</script>" * 2000),
        ),
        (
            "one GBK character that is also valid UTF-8, declared gbk",
            page("院").encode("gbk"),
            "gbk",
            "gb18030",
            page("院"),
        ),
        (
            "the same bytes without a declaration follow rule 2",
            page("院").encode("gbk"),
            None,
            "utf-8",
            page("Ժ"),
        ),
        (
            "utf-8 without any Chinese, header gbk",
            "<p>café naïve</p>".encode(),
            "gbk",
            "utf-8",
            "<p>café naïve</p>",
        ),
        (
            "big5-hkscs characters",
            page("香港特別行政區 𨋢 嘅").encode("big5hkscs"),
            "big5-hkscs",
            "big5hkscs",
            page("香港特別行政區 𨋢 嘅"),
        ),
        (
            "genuine latin-1 page",
            "<p>café résumé naïve</p>".encode("latin-1"),
            "iso-8859-1",
            "iso8859-1",
            "<p>café résumé naïve</p>",
        ),
        (
            "shift_jis page declared",
            page("日本語のニュース").encode("shift_jis"),
            "shift_jis",
            "shift_jis",
            page("日本語のニュース"),
        ),
        # Truncated downloads: an incomplete last character does not disqualify an encoding.
        (
            "utf-8 truncated mid-character, header gbk",
            page(SIMPLIFIED).encode("utf-8") + "中".encode()[:2],
            "gbk",
            "utf-8",
            page(SIMPLIFIED) + "\ufffd",
        ),
        (
            "gbk truncated mid-character",
            page(SIMPLIFIED).encode("gbk") + "中".encode("gbk")[:1],
            None,
            "gb18030",
            page(SIMPLIFIED) + "\ufffd",
        ),
    ],
)
def test_decision_rules(
    description: str,
    body: bytes,
    header: str | None,
    expected_encoding: str,
    expected_text: str | None,
) -> None:
    assert detect_html_encoding(body, header) == expected_encoding, description
    text, encoding = decode_html(body, header)
    assert encoding == expected_encoding, description
    if expected_text is not None:
        assert text == expected_text, description


@pytest.mark.parametrize(
    "body",
    [
        b"\x00\x01\x02\xff\xfe\xfd",
        b"\xff" * 100,
        b"\x80",
        b"\x81\x30",
        b"<html>\xff\xff\xff</html>",
        b"\xfe\xff\xd8",  # UTF-16-BE BOM followed by half a character
        b"\xff\xfe\x00\xd8",  # UTF-16-LE BOM followed by a lone surrogate
        bytes(range(256)),
        bytes(range(256)) * 50,
        page(SIMPLIFIED).encode("gbk") + b"\xff\xff" + page(SIMPLIFIED).encode("gbk"),
    ],
)
@pytest.mark.parametrize("header", [None, "utf-8", "gbk", "big5", "nonsense", "utf-16"])
def test_garbage_never_raises(body: bytes, header: str | None) -> None:
    text, encoding = decode_html(body, header)
    assert isinstance(text, str)
    codecs.lookup(encoding)
    assert detect_html_encoding(body, header) == encoding


def test_mostly_gbk_with_a_corrupt_byte_keeps_the_chinese_text() -> None:
    good = page(SIMPLIFIED).encode("gbk")
    text, encoding = decode_html(good + b"\xff" + good, "utf-8")
    assert encoding == "gb18030"
    assert text.count(SIMPLIFIED) == 2
    assert "\ufffd" in text


def test_bytes_like_input_is_accepted() -> None:
    body = bytearray(page(SIMPLIFIED).encode("gbk"))
    assert decode_html(body, None) == (page(SIMPLIFIED), "gb18030")  # type: ignore[arg-type]
    assert detect_html_encoding(memoryview(body)) == "gb18030"  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# Speed: this runs on every response
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "header"),
    [("gbk", None), ("gbk", "utf-8"), ("utf-8", "gbk"), ("big5", None), ("ascii", None)],
)
def test_ten_megabyte_page_is_fast(encoding: str, header: str | None) -> None:
    text = TRADITIONAL if encoding == "big5" else SIMPLIFIED
    if encoding == "ascii":
        text = "plain ASCII news text, nothing else. "
    chunk = page(text).encode(encoding)
    body = chunk * (10_000_000 // len(chunk))
    started = time.perf_counter()
    decoded, _ = decode_html(body, header)
    elapsed = time.perf_counter() - started
    assert decoded.startswith(page(text))
    assert elapsed < 2.0


def test_ten_megabytes_of_random_bytes_is_fast() -> None:
    body = os.urandom(10_000_000)
    started = time.perf_counter()
    decode_html(body, None)
    assert time.perf_counter() - started < 3.0


# ------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------

HEADERS = st.sampled_from(
    [None, "utf-8", "gbk", "gb2312", "big5", "iso-8859-1", "utf-16", "nonsense", ""]
)


@settings(max_examples=400)
@given(st.binary(max_size=2000), HEADERS)
def test_arbitrary_bytes_never_raise(body: bytes, header: str | None) -> None:
    text, encoding = decode_html(body, header)
    assert isinstance(text, str)
    assert codecs.lookup(encoding)
    assert detect_html_encoding(body, header) == encoding


@settings(max_examples=300)
@given(st.binary(max_size=300), HEADERS, st.sampled_from(["gbk", "big5", "utf-8", "nonsense"]))
def test_arbitrary_bytes_after_a_meta_never_raise(
    tail: bytes, header: str | None, meta: str
) -> None:
    body = f'<meta charset="{meta}">'.encode() + tail
    text, encoding = decode_html(body, header)
    assert isinstance(text, str)
    assert codecs.lookup(encoding)


CHINESE_TEXT = st.text(
    alphabet=st.sampled_from(list(SIMPLIFIED + TRADITIONAL + "abc 123<>/=\n")), min_size=1
)


@settings(max_examples=200)
@given(CHINESE_TEXT, HEADERS)
def test_utf8_round_trips_whatever_the_header(text: str, header: str | None) -> None:
    decoded, encoding = decode_html(text.encode("utf-8"), header)
    assert decoded == text
    if not text.isascii():
        assert encoding == "utf-8"


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from(list(SIMPLIFIED + "abc 123<>")), min_size=1))
def test_declared_gbk_round_trips(text: str) -> None:
    body = (META_GB2312 + text).encode("gbk")
    decoded, _ = decode_html(body, "utf-8")
    assert decoded == META_GB2312 + text
