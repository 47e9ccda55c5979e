"""``scrapy export --format jsonl|csv [--site S] [--since ISO] [--until ISO] [-o FILE]``.

Streams the ``articles`` rows (every column of design.md's table) with a server-side cursor, so
exporting millions of rows needs no more memory than a few hundred. ``--since`` is inclusive,
``--until`` exclusive; times without a zone are Beijing time. ``--by seen`` compares with
``first_seen_at`` instead of ``published_at``: what a nightly incremental export wants, since
published_at can be missing or backdated.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, TextIO

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.commands import report_error
from storage.database import DatabaseUnavailable, open_existing_database, resolve_database_url
from storage.queries import (
    EXPORT_COLUMNS,
    TIME_FIELDS,
    iter_articles,
    parse_time,
    to_csv_cells,
    to_jsonable,
)


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "--format jsonl|csv [--site S] [--since ISO] [--until ISO] [--by B] [-o FILE]"

    def short_desc(self) -> str:
        return "Export stored articles as JSON lines or CSV, streaming"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
        parser.add_argument("--site", help="only articles of this site")
        parser.add_argument("--since", help="from this time on (inclusive), ISO 8601")
        parser.add_argument("--until", help="before this time (exclusive), ISO 8601")
        parser.add_argument(
            "--by",
            choices=sorted(TIME_FIELDS),
            default="published",
            help="the time --since/--until compare with: published_at (default), "
            "first_seen_at (seen) or updated_at (changed)",
        )
        parser.add_argument(
            "--originals-only",
            action="store_true",
            help="leave out syndicated copies (rows with duplicate_of set)",
        )
        parser.add_argument("-o", "--output", metavar="FILE", help="write here, not stdout")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError(f"unexpected argument(s): {' '.join(args)}")
        try:
            since = parse_time(opts.since) if opts.since else None
            until = parse_time(opts.until) if opts.until else None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        assert self.settings is not None
        try:
            engine = open_existing_database(resolve_database_url(self.settings.get("DATABASE_URL")))
        except DatabaseUnavailable as exc:
            report_error(str(exc))
            self.exitcode = 1
            return
        rows = iter_articles(
            engine,
            site=opts.site,
            since=since,
            until=until,
            by=opts.by,
            originals_only=opts.originals_only,
        )
        try:
            if opts.output:
                # Written next to the target and renamed at the end: a failed export never
                # leaves a truncated file where a complete one is expected.
                target = Path(opts.output)
                partial = target.with_name(f".{target.name}.partial")
                with partial.open("w", encoding="utf-8", newline="") as out:
                    count = _write(out, rows, opts.format)
                os.replace(partial, target)
            else:
                count = _write(sys.stdout, rows, opts.format)
                sys.stdout.flush()
        finally:
            engine.dispose()
        print(f"exported {count} article(s)", file=sys.stderr)


def _write(out: TextIO, rows: Iterable[dict[str, Any]], format_: str) -> int:
    count = 0
    if format_ == "csv":
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            writer.writerow(to_csv_cells(row))
            count += 1
    else:
        for row in rows:
            out.write(json.dumps(to_jsonable(row), ensure_ascii=False) + "\n")
            count += 1
    return count
