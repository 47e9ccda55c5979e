"""Shared fixtures: real databases, the demo portal on 127.0.0.1, and real crawls.

Database servers come from POSTGRES_URL / MARIADB_URL (defaults: the local test servers).
When one is unreachable its tests are skipped on a developer machine, but fail under CI=true:
a CI run that silently skipped the PostgreSQL tests would prove nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

POSTGRES_URL = os.environ.get("POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


def unavailable(reason: str) -> None:
    """Skip on a developer machine, fail in CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)


def _server_reachable(url: str) -> str | None:
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any driver error means: not usable here
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'articles.sqlite3'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the PostgreSQL test database, dropped afterwards."""
    problem = _server_reachable(POSTGRES_URL)
    if problem:
        unavailable(
            f"PostgreSQL at {make_url(POSTGRES_URL).render_as_string()} unreachable: {problem}"
        )
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A fresh database on the MariaDB server, dropped afterwards."""
    problem = _server_reachable(MARIADB_URL)
    if problem:
        unavailable(f"MariaDB at {make_url(MARIADB_URL).render_as_string()} unreachable: {problem}")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(MARIADB_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    yield make_url(MARIADB_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name}"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once per real database backend."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_scrapy(
    *args: str,
    database_url: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 240,
) -> CrawlResult:
    """Run ``scrapy`` in a real subprocess from the project root, as a user would."""
    environment = {**os.environ, **(env or {})}
    environment.pop("DATABASE_URL", None)
    if database_url is not None:
        environment["DATABASE_URL"] = database_url
    completed = subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CrawlResult(completed.returncode, completed.stdout, completed.stderr)


def crawl_portal(base_url: str, database_url: str, *arguments: str) -> CrawlResult:
    """``scrapy crawl portal`` with ``arguments`` (``-a site=demo``, ``-s …``) into
    ``database_url``, against a portal served at ``base_url`` on loopback: the demo site's
    URL comes from ``DEMO_PORTAL_URL``, and the SSRF guard is told to allow it."""
    return run_scrapy(
        "crawl",
        "portal",
        *arguments,
        "-s",
        "ALLOW_PRIVATE_NETWORKS=True",
        "-s",
        "LOG_LEVEL=INFO",
        database_url=database_url,
        env={"DEMO_PORTAL_URL": base_url},
    )


def rows(url: str, query: str = "SELECT * FROM articles ORDER BY id") -> list[dict[str, Any]]:
    """Stored rows read back through the ORM types (timezone-aware datetimes, JSON lists)."""
    from sqlalchemy import select

    from storage.models import Article

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if query.startswith("SELECT * FROM articles"):
                result = connection.execute(select(Article.__table__).order_by(Article.id))
            else:
                result = connection.execute(text(query))
            return [dict(row._mapping) for row in result]
    finally:
        engine.dispose()
