"""Opening the database: one place that knows URLs, drivers, SQLite pragmas and failures."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from storage.schema import MigrationLockTimeout, SchemaTooNew, upgrade


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be used; the message is one readable line."""


def resolve_database_url(setting: str | None) -> str:
    """The ``DATABASE_URL`` environment variable overrides the setting of the same name."""
    url = os.environ.get("DATABASE_URL") or setting
    if not url:
        raise DatabaseUnavailable("DATABASE_URL is not set")
    return url


def redact_url(url: str | URL) -> str:
    """The URL with its password masked, for logs, summaries and error messages."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<unparseable database URL>"
    return parsed.render_as_string(hide_password=True)


def _enable_sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers query the file while a crawl writes; busy_timeout rides out a
    concurrent writer instead of failing at once."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_database_engine(url: str) -> Engine:
    """An engine for ``url`` (no connection is made yet)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"DATABASE_URL is not a valid database URL: {exc}") from None
    # Category paths are Chinese text: keep them readable for people querying with SQL.
    options: dict[str, Any] = {"pool_pre_ping": True, "json_serializer": _json_dumps}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        options = {"connect_args": {"timeout": 30}, "json_serializer": _json_dumps}
    elif parsed.get_backend_name() in ("mysql", "mariadb"):
        options["pool_recycle"] = 3600
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    try:
        engine = create_engine(parsed, **options)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise DatabaseUnavailable(
            f"cannot use database {redact_url(parsed)}: {_first_line(exc)}"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_wal)
    return engine


def open_database(url: str) -> Engine:
    """Connect, apply pending migrations, and fail fast with one readable line.

    Called before anything is crawled, so a wrong URL, a server that is down or a schema from a
    newer release stops the run at once instead of after minutes of fetching pages that could
    not be stored.
    """
    engine = create_database_engine(url)
    try:
        upgrade(engine)
    except (SchemaTooNew, MigrationLockTimeout) as exc:
        engine.dispose()
        raise DatabaseUnavailable(f"cannot use database {redact_url(engine.url)}: {exc}") from None
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseUnavailable(
            f"cannot open database {redact_url(engine.url)}: {_first_line(exc)}"
        ) from None
    return engine


def open_existing_database(url: str) -> Engine:
    """Connect for reading only: no migration, so consumers may use a read-only role.

    Fails with one readable line when the server is unreachable or holds no articles yet.
    """
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            has_articles = inspect(connection).has_table("articles")
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseUnavailable(
            f"cannot open database {redact_url(engine.url)}: {_first_line(exc)}"
        ) from None
    if not has_articles:
        engine.dispose()
        raise DatabaseUnavailable(
            f"database {redact_url(engine.url)} has no articles table yet: run a crawl or "
            "`alembic upgrade head` first"
        )
    return engine


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _first_line(exc: BaseException) -> str:
    """Drivers put multi-line diagnostics into exceptions; a log line wants the first one."""
    origin = getattr(exc, "orig", None) or exc
    text = str(origin).strip() or type(origin).__name__
    return text.splitlines()[0]
