"""``scrapy search "关键词" [--site S] [--limit N]``: find stored articles by title and body text.

Reads only (any role with SELECT will do) and never migrates. Exit status 0 when the search
ran (also with no hits), 1 when the database cannot be used, 2 for bad arguments (Scrapy's
usage error).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.commands import report_error
from storage.database import DatabaseUnavailable, open_existing_database, resolve_database_url
from storage.queries import search_articles


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return '"关键词 [更多关键词]" [--site SITE] [--limit N] [--all]'

    def short_desc(self) -> str:
        return "Search stored articles (title and body; every term must occur)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--site", help="only articles of this site")
        parser.add_argument("--limit", type=int, default=20, help="at most N results (default 20)")
        parser.add_argument(
            "--all",
            dest="include_copies",
            action="store_true",
            help="also list syndicated copies (rows with duplicate_of set)",
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args or not " ".join(args).strip():
            raise UsageError('give a search term, e.g. scrapy search "金融科技"')
        if opts.limit < 1:
            raise UsageError("--limit must be at least 1")
        assert self.settings is not None
        try:
            engine = open_existing_database(resolve_database_url(self.settings.get("DATABASE_URL")))
        except DatabaseUnavailable as exc:
            report_error(str(exc))
            self.exitcode = 1
            return
        try:
            hits = search_articles(
                engine,
                " ".join(args),
                site=opts.site,
                limit=opts.limit,
                include_copies=opts.include_copies,
            )
        finally:
            engine.dispose()
        out = sys.stdout
        for hit in hits:
            published = hit.published_at.strftime("%Y-%m-%d %H:%M") if hit.published_at else "-"
            copy = f"  (copy of {hit.duplicate_of})" if hit.duplicate_of else ""
            out.write(f"{hit.id}\t{published}\t{hit.site}\t{hit.title}{copy}\n")
            out.write(f"\t{hit.url}\n\t{hit.snippet}\n")
        out.flush()
        print(f"{len(hits)} article(s)", file=sys.stderr)
