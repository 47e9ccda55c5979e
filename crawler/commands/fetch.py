"""``scrapy fetch``, as Scrapy has it, except that looking writes nothing to the database."""

from __future__ import annotations

import argparse

from scrapy.commands.fetch import Command as ScrapyFetchCommand

from crawler.commands import leave_database_alone


class Command(ScrapyFetchCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        leave_database_alone(self.settings)
