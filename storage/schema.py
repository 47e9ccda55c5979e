"""Schema migrations (Alembic, ``migrations/``) applied by the code that opens the database.

Every crawl brings the database up to date before it fetches anything, so an operator never
has to remember a migration step; ``alembic upgrade head`` does the same by hand. Two crawls
starting at once against a fresh PostgreSQL or MariaDB database serialise on a lock instead of
both creating tables. A database migrated by a newer release (an Alembic revision this code
does not know) is refused untouched: an old crawler writing into a newer schema could lose or
corrupt data the newer code relies on.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
import zipfile
import zipimport
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, text

from storage.models import Base

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
MIGRATIONS = PROJECT_ROOT / "migrations"
# Arbitrary but fixed: the key of the PostgreSQL advisory lock / the MariaDB named lock.
LOCK_KEY = 7_420_190_116
LOCK_NAME = "portal_crawler_migrations"
LOCK_TIMEOUT_SECONDS = 300
# Made by migration 0003 on PostgreSQL for search; not expressible portably in the models.
SEARCH_INDEXES = frozenset({"ix_articles_title_trgm", "ix_articles_body_trgm"})


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer release than this one."""


class MigrationLockTimeout(RuntimeError):
    """Another process held the migration lock for too long."""


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Only our tables and indexes take part in autogenerate/compare: the search objects (the
    SQLite FTS5 table with its shadow tables, the PostgreSQL trigram indexes) are written by
    hand in a migration, and other applications' tables may share the database."""
    if type_ == "table":
        return name in Base.metadata.tables
    if type_ == "index":
        return name not in SEARCH_INDEXES
    return True


@functools.cache
def migration_files() -> tuple[Path, Path]:
    """``alembic.ini`` and ``migrations/`` as real files, wherever the code runs from.

    Scrapyd runs the project from a zipped egg, where both are members of the archive and
    Alembic cannot read them; they are extracted once per process to a temporary directory.
    """
    loader = globals().get("__loader__")
    if MIGRATIONS.is_dir() or not isinstance(loader, zipimport.zipimporter):
        return ALEMBIC_INI, MIGRATIONS
    target = Path(tempfile.mkdtemp(prefix="portal-crawler-migrations-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    with zipfile.ZipFile(loader.archive) as egg:
        for name in egg.namelist():
            if name == "alembic.ini" or name.startswith("migrations/"):
                egg.extract(name, target)
    return target / "alembic.ini", target / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    ini, migrations = migration_files()
    config = Config(str(ini))
    config.set_main_option("script_location", str(migrations))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


@contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """A session-level lock on the server, so concurrent starts migrate one after the other.

    SQLite needs none for the common case (one crawl per file) and has no named locks.
    """
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(
            text("SELECT set_config('lock_timeout', :timeout, true)"),
            {"timeout": f"{LOCK_TIMEOUT_SECONDS}s"},
        )
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
        connection.commit()
    elif dialect in ("mysql", "mariadb"):
        acquired = connection.execute(
            text("SELECT GET_LOCK(:name, :timeout)"),
            {"name": LOCK_NAME, "timeout": LOCK_TIMEOUT_SECONDS},
        ).scalar()
        connection.commit()
        if acquired != 1:
            raise MigrationLockTimeout(
                f"another process has been migrating the database for {LOCK_TIMEOUT_SECONDS} s"
            )
    try:
        yield
    finally:
        connection.rollback()
        if dialect == "postgresql":
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        elif dialect in ("mysql", "mariadb"):
            connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": LOCK_NAME})
        connection.commit()


def current_revisions(connection: Connection) -> tuple[str, ...]:
    heads = MigrationContext.configure(connection).get_current_heads()
    connection.commit()
    return tuple(heads)


def refuse_unknown_revisions(connection: Connection, script: ScriptDirectory) -> tuple[str, ...]:
    """The database's revisions, after checking this code knows every one of them."""
    revisions = current_revisions(connection)
    for revision in revisions:
        try:
            known = script.get_revision(revision)
        except (CommandError, RevisionError):
            known = None
        if known is None:
            raise SchemaTooNew(
                f"the database schema is at revision {revision}, which this version of the "
                f"crawler does not know (its newest is {script.get_current_head()}): it was "
                "migrated by a newer release; upgrade the crawler. Nothing was changed."
            )
    return revisions


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision, or refuse (SchemaTooNew) without a change."""
    script = script_directory()
    with engine.connect() as connection, migration_lock(connection):
        revisions = refuse_unknown_revisions(connection, script)
        if set(revisions) == set(script.get_heads()):
            return
        command.upgrade(alembic_config(connection), "head")
        connection.commit()
