"""``scrapy shell``, as Scrapy has it, except that looking writes nothing to the database."""

from __future__ import annotations

import argparse

from scrapy.commands.shell import Command as ScrapyShellCommand

from crawler.commands import leave_database_alone


class Command(ScrapyShellCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        leave_database_alone(self.settings)
