"""Extraction quality metrics, shared by ``benchmarks/extraction.py`` and the quality gate.

One copy of each metric so that the benchmark's figures and the CI floors can never drift
apart. The definitions follow the evaluation corpus README:

* Chinese bodies: character-bigram precision/recall/F1 (word tokenisers see a whole Han
  clause as one token, so word metrics are meaningless for Chinese).
* English bodies: the Article Extraction Benchmark's own metric, 4-token shingles with
  per-page normalised TP/FP/FN, precision and recall averaged over pages, F1 of the means.
* Dates: correct when every unit the gold label printed (year ... second) matches.
* Authors: the set of names, whatever separator the page used; null means "no author".
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from crawler.dates import SHANGHAI

_WHITESPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_GOLD_DATE_RE = re.compile(
    r"^\s*(\d{4})(?:\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s+(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[:：]\s*(\d{2}))?)?)?)?\s*$"
)
_AUTHOR_SEPARATOR_RE = re.compile(r"[\s、，,;；/]+")
_PARENTHESISED_RE = re.compile(r"\s*[(（][^)）]*[)）]")
SHINGLE_SIZE = 4


@dataclass(frozen=True, slots=True)
class PRF:
    precision: float
    recall: float
    f1: float


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def char_bigrams(text: str) -> Counter[str]:
    """Multiset of adjacent character pairs, whitespace removed first."""
    compact = _WHITESPACE_RE.sub("", text or "")
    return Counter(compact[index : index + 2] for index in range(len(compact) - 1))


def char_bigram_prf(gold: str | None, predicted: str | None) -> PRF:
    """Bigram overlap of a predicted body with the gold body (README "Scoring Chinese")."""
    gold_bigrams = char_bigrams(gold or "")
    predicted_bigrams = char_bigrams(predicted or "")
    if not gold_bigrams and not predicted_bigrams:
        return PRF(1.0, 1.0, 1.0)
    overlap = sum((gold_bigrams & predicted_bigrams).values())
    precision = overlap / sum(predicted_bigrams.values()) if predicted_bigrams else 0.0
    recall = overlap / sum(gold_bigrams.values()) if gold_bigrams else 0.0
    return PRF(precision, recall, _f1(precision, recall))


def _shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    tokens = _WORD_RE.findall(text or "")
    if not tokens:
        return Counter()
    return Counter(
        tuple(tokens[index : index + size]) for index in range(max(1, len(tokens) - size + 1))
    )


def shingle_tp_fp_fn(gold: str | None, predicted: str | None) -> tuple[float, float, float]:
    """Per-page TP/FP/FN of 4-token shingles, normalised to sum to 1 so that long
    articles weigh no more than short ones (as upstream ``string_shingle_matching``)."""
    gold_shingles = _shingles(gold or "")
    predicted_shingles = _shingles(predicted or "")
    tp = float(sum((gold_shingles & predicted_shingles).values()))
    fp = float(sum((predicted_shingles - gold_shingles).values()))
    fn = float(sum((gold_shingles - predicted_shingles).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def shingle_prf(counts: Iterable[tuple[float, float, float]]) -> PRF:
    """Mean precision and recall over pages, and the F1 of those means (upstream rules: a
    page with nothing predicted has no precision, a page with no gold text has no recall)."""
    precisions: list[float] = []
    recalls: list[float] = []
    for tp, fp, fn in counts:
        perfect = fp == fn == 0
        if tp + fp > 0:
            precisions.append(1.0 if perfect else tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(1.0 if perfect else tp / (tp + fn))
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    return PRF(precision, recall, _f1(precision, recall))


def gold_date_units(raw: str | None, ymd: str | None = None) -> tuple[int, ...] | None:
    """The units a gold date label printed, e.g. ``2005-5-7 21:23`` -> (2005, 5, 7, 21, 23).

    Returns None for unusable labels (a name or ``UNKNWON`` where a date should be)."""
    for text in (raw, ymd):
        if not text:
            continue
        match = _GOLD_DATE_RE.match(text)
        if match:
            return tuple(int(unit) for unit in match.groups() if unit is not None)
    return None


def date_correct(gold_units: tuple[int, ...], predicted: datetime | None) -> bool:
    """True when the prediction agrees with every unit the gold label printed, in Beijing
    time (a page that prints a time prints local time)."""
    if predicted is None:
        return False
    local = predicted.astimezone(SHANGHAI) if predicted.tzinfo else predicted
    units = (local.year, local.month, local.day, local.hour, local.minute, local.second)
    return units[: len(gold_units)] == gold_units


def author_set(value: str | None) -> frozenset[str]:
    """Names in an author string: ``张三 李四``, ``张三、李四`` and ``张三,李四`` are equal;
    a parenthesised alias (``周思博 (Joel Spolsky)``) is part of the name before it."""
    if not value:
        return frozenset()
    text = _PARENTHESISED_RE.sub("", value)
    return frozenset(name for name in _AUTHOR_SEPARATOR_RE.split(text) if name)


def author_correct(gold: str | None, predicted: str | None) -> bool:
    """Exact set match; a null gold expects no author."""
    return author_set(gold) == author_set(predicted)
