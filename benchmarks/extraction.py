"""Benchmark the generic article extractor against trafilatura and GNE on the shared corpus.

Usage::

    .venv/bin/python benchmarks/extraction.py [--dataset cwced_zh|scrapinghub_aeb|seed|all]
                                              [--limit N] [--extractors ours,trafilatura,gne]

All extractors get the same input: the page bytes decoded once with
``crawler.encoding.decode_html``; only the extraction call is timed. Metrics come from
``crawler.extraction.metrics`` (the quality gate uses the same functions and loaders).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from crawler.dates import parse_date  # noqa: E402
from crawler.encoding import decode_html  # noqa: E402
from crawler.extraction import extract_article  # noqa: E402
from crawler.extraction.metrics import (  # noqa: E402
    author_correct,
    char_bigram_prf,
    date_correct,
    gold_date_units,
    shingle_prf,
    shingle_tp_fp_fn,
)

CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
DATASETS = ("seed", "cwced_zh", "scrapinghub_aeb")
EXTRACTORS = ("ours", "trafilatura", "gne")
SEED_FIELDS = ("title", "source", "author", "published_at", "summary", "category", "body")


@dataclass(slots=True)
class Page:
    """One corpus page, decoded, with its gold answer."""

    page_id: str
    url: str
    html: str
    gold: dict[str, Any]


@dataclass(slots=True)
class Prediction:
    """The fields every extractor is scored on; None where it has no such field."""

    title: str | None = None
    source: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    summary: str | None = None
    category: list[str] | None = None
    body: str | None = None


@dataclass(slots=True)
class Run:
    """One extractor over one dataset: predictions in page order and per-page timings."""

    predictions: list[Prediction] = field(default_factory=list)
    milliseconds: list[float] = field(default_factory=list)
    # CPU time of this process: wall time swings with whatever else the machine runs.
    cpu_milliseconds: list[float] = field(default_factory=list)


# -- corpus --------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    text, _ = decode_html(raw, None)
    return text


def load_seed(corpus: Path = CORPUS_DIR) -> list[Page]:
    expected = json.loads((corpus / "seed" / "expected.json").read_text(encoding="utf-8"))
    return [
        Page(name, expected["url"], _decode((corpus / "seed" / name).read_bytes()), expected)
        for name in ("article-utf8.html", "article-gbk.html")
    ]


def load_cwced(corpus: Path = CORPUS_DIR, limit: int | None = None) -> list[Page]:
    folder = corpus / "cwced_zh"
    pages: list[Page] = []
    with (folder / "ground_truth.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            gold = json.loads(line)
            raw = (folder / gold["html_path"]).read_bytes()
            pages.append(
                Page(gold["id"], f"http://cwced.invalid/{gold['id']}.html", _decode(raw), gold)
            )
            if limit and len(pages) >= limit:
                break
    return pages


def load_aeb(corpus: Path = CORPUS_DIR, limit: int | None = None) -> list[Page]:
    folder = corpus / "scrapinghub_aeb"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages: list[Page] = []
    for page_id in sorted(truth):
        raw = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(Page(page_id, truth[page_id].get("url") or "", _decode(raw), truth[page_id]))
        if limit and len(pages) >= limit:
            break
    return pages


def load_dataset(name: str, limit: int | None = None, corpus: Path = CORPUS_DIR) -> list[Page]:
    if name == "seed":
        return load_seed(corpus)
    if name == "cwced_zh":
        return load_cwced(corpus, limit)
    if name == "scrapinghub_aeb":
        return load_aeb(corpus, limit)
    raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


# -- extractors ----------------------------------------------------------------------------


def run_ours(html: str, url: str) -> Prediction:
    article = extract_article(html, url)
    return Prediction(
        title=article.title,
        source=article.source,
        author=article.author,
        published_at=article.published_at,
        summary=article.summary,
        category=article.category,
        body=article.body,
    )


def _parsed_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    parsed = parse_date(value)
    return parsed.value if parsed else None


def run_trafilatura(html: str, url: str) -> Prediction:
    import trafilatura

    output = trafilatura.extract(html, url=url or None, output_format="json", with_metadata=True)
    if not output:
        return Prediction()
    data = json.loads(output)
    categories = data.get("categories")
    return Prediction(
        title=data.get("title"),
        author=data.get("author"),
        published_at=_parsed_datetime(data.get("date")),
        summary=data.get("description"),
        category=[part for part in categories.split(";") if part] if categories else None,
        body=data.get("text"),
    )


_GNE_EXTRACTOR: Any = None


def run_gne(html: str, url: str) -> Prediction:
    global _GNE_EXTRACTOR
    if _GNE_EXTRACTOR is None:
        from gne import GeneralNewsExtractor

        _GNE_EXTRACTOR = GeneralNewsExtractor()
    try:
        data = _GNE_EXTRACTOR.extract(html)
    except Exception:  # GNE raises on pages it cannot parse; that page scores zero
        return Prediction()
    return Prediction(
        title=data.get("title") or None,
        author=data.get("author") or None,
        published_at=_parsed_datetime(data.get("publish_time")),
        body=data.get("content") or None,
    )


RUNNERS: dict[str, Callable[[str, str], Prediction]] = {
    "ours": run_ours,
    "trafilatura": run_trafilatura,
    "gne": run_gne,
}


def run_extractor(name: str, pages: Iterable[Page]) -> Run:
    runner = RUNNERS[name]
    run = Run()
    for page in pages:
        started = time.perf_counter()
        cpu_started = time.process_time()
        try:
            prediction = runner(page.html, page.url)
        except Exception:  # a crashing extractor scores zero on the page, the run goes on
            prediction = Prediction()
        run.milliseconds.append((time.perf_counter() - started) * 1000)
        run.cpu_milliseconds.append((time.process_time() - cpu_started) * 1000)
        run.predictions.append(prediction)
    return run


# -- scoring -------------------------------------------------------------------------------


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def score_cwced(pages: list[Page], predictions: list[Prediction]) -> dict[str, float]:
    body = [
        char_bigram_prf(p.gold["body"], pred.body)
        for p, pred in zip(pages, predictions, strict=True)
    ]
    dates = [
        date_correct(units, pred.published_at)
        for p, pred in zip(pages, predictions, strict=True)
        if (units := gold_date_units(p.gold.get("date_raw"), p.gold.get("date_ymd")))
    ]
    authors = [
        author_correct(p.gold.get("author"), pred.author)
        for p, pred in zip(pages, predictions, strict=True)
    ]
    return {
        "body F1 (char bigram)": _mean([score.f1 for score in body]),
        "body precision": _mean([score.precision for score in body]),
        "body recall": _mean([score.recall for score in body]),
        "date @gold precision": _mean([float(ok) for ok in dates]),
        "author (set match)": _mean([float(ok) for ok in authors]),
    }


def score_aeb(pages: list[Page], predictions: list[Prediction]) -> dict[str, float]:
    counts = [
        shingle_tp_fp_fn(p.gold.get("articleBody"), pred.body)
        for p, pred in zip(pages, predictions, strict=True)
    ]
    scores = shingle_prf(counts)
    return {
        "body F1 (shingle)": scores.f1,
        "body precision": scores.precision,
        "body recall": scores.recall,
    }


def seed_field_value(prediction: Prediction, name: str) -> Any:
    value = getattr(prediction, name)
    return value.isoformat() if isinstance(value, datetime) else value


def score_seed(pages: list[Page], predictions: list[Prediction]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for name in SEED_FIELDS:
        scores[name] = _mean(
            [
                float(seed_field_value(pred, name) == p.gold[name])
                for p, pred in zip(pages, predictions, strict=True)
            ]
        )
    scores["body F1 (char bigram)"] = _mean(
        [
            char_bigram_prf(p.gold["body"], pred.body).f1
            for p, pred in zip(pages, predictions, strict=True)
        ]
    )
    scores["body clean (must-not)"] = _mean(
        [
            float(
                not any(banned in (pred.body or "") for banned in p.gold["body_must_not_contain"])
            )
            for p, pred in zip(pages, predictions, strict=True)
        ]
    )
    return scores


SCORERS: dict[str, Callable[[list[Page], list[Prediction]], dict[str, float]]] = {
    "seed": score_seed,
    "cwced_zh": score_cwced,
    "scrapinghub_aeb": score_aeb,
}


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def print_table(dataset: str, count: int, results: dict[str, tuple[dict[str, float], Run]]) -> None:
    names = list(results)
    print(f"\n== {dataset} ({count} pages)")
    print(f"{'field':<26}" + "".join(f"{name:>13}" for name in names))
    rows = list(next(iter(results.values()))[0])
    for row in rows:
        print(f"{row:<26}" + "".join(f"{results[name][0][row]:>13.3f}" for name in names))
    for label, fraction, cpu in (
        ("ms/page median", 0.5, False),
        ("ms/page p95", 0.95, False),
        ("cpu ms/page median", 0.5, True),
        ("cpu ms/page p95", 0.95, True),
    ):
        print(
            f"{label:<26}"
            + "".join(
                f"{_percentile(_timings(results[name][1], cpu), fraction):>13.1f}" for name in names
            )
        )


def _timings(run: Run, cpu: bool) -> list[float]:
    return run.cpu_milliseconds if cpu else run.milliseconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=(*DATASETS, "all"), default="all")
    parser.add_argument("--limit", type=int, default=None, help="at most N pages per dataset")
    parser.add_argument("--extractors", default=",".join(EXTRACTORS))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    for noisy in ("trafilatura", "htmldate", "courlan", "readability"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    if not CORPUS_DIR.is_dir():
        print(f"corpus not found at {CORPUS_DIR}", file=sys.stderr)
        return 2
    extractors = [name.strip() for name in args.extractors.split(",") if name.strip()]
    datasets = DATASETS if args.dataset == "all" else (args.dataset,)
    for dataset in datasets:
        pages = load_dataset(dataset, args.limit)
        results = {}
        for name in extractors:
            run = run_extractor(name, pages)
            results[name] = (SCORERS[dataset](pages, run.predictions), run)
        print_table(dataset, len(pages), results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
