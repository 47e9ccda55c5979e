"""Alembic migrations against real SQLite, PostgreSQL and MariaDB databases."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from storage.database import DatabaseUnavailable, open_database
from storage.models import Base
from storage.repository import ArticleRepository
from storage.schema import alembic_config, include_name, script_directory
from tests.conftest import PROJECT_ROOT, rows
from tests.test_storage import article

OUR_TABLES = {
    "articles",
    "article_bands",
    "article_fingerprints",
    "article_versions",
    "crawl_runs",
    "listing_pages",
}


def _revisions(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def test_open_database_migrates_to_head(database_url: str) -> None:
    open_database(database_url).dispose()
    assert _revisions(database_url) == set(script_directory().get_heads())
    engine = open_database(database_url)  # a second start finds nothing to do
    assert set(inspect(engine).get_table_names()) >= OUR_TABLES
    engine.dispose()


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"include_name": include_name, "compare_type": True},
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_newer_schema_is_refused_without_change(database_url: str) -> None:
    open_database(database_url).dispose()
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_future'"))
        tables_before = set(inspect(connection).get_table_names())
    with pytest.raises(DatabaseUnavailable) as caught:
        open_database(database_url)
    message = str(caught.value)
    assert "9999_from_future" in message
    assert "newer release" in message
    assert "\n" not in message
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == tables_before
    assert _revisions(database_url) == {"9999_from_future"}
    engine.dispose()


def test_pre_migration_database_is_upgraded_keeping_its_rows(database_url: str) -> None:
    """A database created by ``create_all`` before migrations existed: no alembic_version."""
    engine = create_engine(database_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    legacy = create_engine(database_url)
    with legacy.begin() as connection:
        connection.execute(
            Base.metadata.tables["articles"].insert(),
            [
                {
                    **article(1),
                    "first_seen_at": article(1)["published_at"],
                    "last_seen_at": article(1)["published_at"],
                }
            ],
        )
    legacy.dispose()

    repository = ArticleRepository(open_database(database_url))
    result = repository.save_batch([article(1), article(2)])
    assert (result.stored, result.unchanged) == (1, 1)
    assert len(rows(database_url)) == 2
    repository.engine.dispose()


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    open_database(database_url).dispose()
    engine = create_engine(database_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    with engine.connect() as connection:
        assert not OUR_TABLES & set(inspect(connection).get_table_names())
    engine.dispose()
    open_database(database_url).dispose()
    assert _revisions(database_url) == set(script_directory().get_heads())


def test_alembic_command_line_honours_database_url(sqlite_url: str) -> None:
    environment = {**os.environ, "DATABASE_URL": sqlite_url}
    completed = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert _revisions(sqlite_url) == set(script_directory().get_heads())
