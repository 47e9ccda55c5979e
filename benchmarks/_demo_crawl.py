"""The demo-site crawl both crawl benchmarks run: ``scrapy crawl portal -a site=demo`` into a
SQLite file, against the demo portal they serve on 127.0.0.1 (not a benchmark of its own)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def demo_crawl_command(
    base_url: str,
    database: Path,
    *settings: str,
    log_level: str,
    python_options: tuple[str, ...] = (),
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment; ``settings`` are ``NAME=VALUE`` for ``-s``, and
    ``python_options`` go to the interpreter (``-m cProfile -o FILE``)."""
    command = [
        sys.executable,
        *python_options,
        "-m",
        "scrapy",
        "crawl",
        "portal",
        "-a",
        "site=demo",
        "-s",
        "ALLOW_PRIVATE_NETWORKS=True",
        "-s",
        f"LOG_LEVEL={log_level}",
        "-s",
        f"STORE_SPILL_PATH={database.parent / 'spill-{database}.jsonl'}",
    ]
    for setting in settings:
        command += ["-s", setting]
    environment = {
        **os.environ,
        "DEMO_PORTAL_URL": base_url,
        "DATABASE_URL": f"sqlite:///{database}",
    }
    return command, environment
