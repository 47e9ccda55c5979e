"""``scrapy parse``, as Scrapy has it, except that it writes nothing to the database unless
``--pipelines`` asks for the item pipelines (the store among them)."""

from __future__ import annotations

import argparse

from scrapy.commands.parse import Command as ScrapyParseCommand

from crawler.commands import leave_database_alone


class Command(ScrapyParseCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        leave_database_alone(self.settings, keep_pipelines=bool(opts.pipelines))
