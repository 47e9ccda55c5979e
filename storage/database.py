"""Opening the database: one place that knows URLs, drivers, SQLite pragmas and failures.

A database server that vanishes without closing its connections (a crashed host, a dropped
route, a firewall forgetting the flow) must not block the crawl's writer forever: connections
to PostgreSQL and MariaDB get a connect timeout, TCP keepalives (a dead idle connection is
noticed) and a TCP user timeout (data the peer never acknowledges fails the connection), and
engines opened with a ``network_timeout`` also give up on a statement whose answer does not
arrive within that many seconds. The failed connection is closed, so the pool replaces it,
and the caller gets an OperationalError it can treat like any lost connection.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any, Literal, TypeVar

import psycopg
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from storage.schema import MigrationLockTimeout, SchemaTooNew, upgrade

# Seconds allowed to open a connection (libpq counts whole seconds, at least 2).
CONNECT_TIMEOUT = 10
# Seconds without an answer to a statement before the connection is given up as dead (the
# DATABASE_NETWORK_TIMEOUT setting and environment variable). Generous: a write statement that
# legitimately runs this long would be a problem of its own.
DEFAULT_NETWORK_TIMEOUT = 120.0
# TCP keepalives on otherwise idle connections: first probe after KEEPALIVE_IDLE seconds, then
# every KEEPALIVE_INTERVAL seconds, dead after KEEPALIVE_COUNT unanswered probes.
KEEPALIVE_IDLE = 30
KEEPALIVE_INTERVAL = 10
KEEPALIVE_COUNT = 3
# Unacknowledged data fails the connection after this long even without a network timeout.
TCP_USER_TIMEOUT = 60.0

R = TypeVar("R")


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be used; the message is one readable line."""


def resolve_database_url(setting: str | None) -> str:
    """The ``DATABASE_URL`` environment variable overrides the setting of the same name."""
    url = os.environ.get("DATABASE_URL") or setting
    if not url:
        raise DatabaseUnavailable("DATABASE_URL is not set")
    return url


def resolve_network_timeout(setting: float | str | None = None) -> float | None:
    """Seconds from the ``DATABASE_NETWORK_TIMEOUT`` environment variable, else the setting of
    the same name, else ``DEFAULT_NETWORK_TIMEOUT``; 0 waits forever (None)."""
    raw = os.environ.get("DATABASE_NETWORK_TIMEOUT") or setting
    if raw is None or raw == "":
        return DEFAULT_NETWORK_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not seconds >= 0 or math.isinf(seconds):
        raise DatabaseUnavailable(
            f"DATABASE_NETWORK_TIMEOUT must be a number of seconds (0 for none), got {raw!r}"
        )
    return seconds or None


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


class _NetworkTimedConnection(psycopg.Connection[Any]):
    """A psycopg connection that stops waiting for the server after ``network_timeout`` s.

    libpq has no read timeout, and TCP keepalives cannot help while something on the path
    (a proxy, a NAT box, a half-dead host) still acknowledges the packets but never answers.
    psycopg's own wait loop takes a timeout; this applies one to every wait that has none.
    """

    network_timeout: float | None = None

    def wait(
        self,
        gen: Generator[Any, Any, R],
        interval: float = 0.1,
        timeout: float | None = None,
    ) -> R:
        if timeout is None:
            timeout = self.network_timeout
        try:
            return super().wait(gen, interval=interval, timeout=timeout)
        except psycopg.errors._WaitTimeout:
            # Half-way through a protocol exchange: the connection cannot be used again.
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"no answer from the database server for {timeout:g} s: the connection is "
                "given up as dead"
            ) from None


def _postgres_connect_args(parsed: URL, network_timeout: float | None) -> dict[str, Any]:
    """libpq's timeout and keepalive parameters; values given in the URL win."""
    user_timeout = network_timeout if network_timeout is not None else TCP_USER_TIMEOUT
    wanted: dict[str, Any] = {
        "connect_timeout": _connect_timeout(network_timeout),
        "keepalives": 1,
        "keepalives_idle": KEEPALIVE_IDLE,
        "keepalives_interval": KEEPALIVE_INTERVAL,
        "keepalives_count": KEEPALIVE_COUNT,
        "tcp_user_timeout": int(user_timeout * 1000),
    }
    return {name: value for name, value in wanted.items() if name not in parsed.query}


def _mysql_connect_args(parsed: URL, network_timeout: float | None) -> dict[str, Any]:
    """PyMySQL's socket timeouts; values given in the URL win. No read timeout without a
    network timeout: the migration lock (storage.schema) waits up to 300 s for an answer."""
    wanted: dict[str, Any] = {"connect_timeout": _connect_timeout(network_timeout)}
    if network_timeout is not None:
        wanted["read_timeout"] = network_timeout
        wanted["write_timeout"] = network_timeout
    return {name: value for name, value in wanted.items() if name not in parsed.query}


def _connect_timeout(network_timeout: float | None) -> int:
    if network_timeout is None:
        return CONNECT_TIMEOUT
    return max(2, min(CONNECT_TIMEOUT, math.ceil(network_timeout)))


def create_database_engine(url: str, *, network_timeout: float | None = None) -> Engine:
    """An engine for ``url`` (no connection is made yet).

    ``network_timeout``: seconds a statement may wait for the server's answer before its
    connection is given up as dead (PostgreSQL and MariaDB/MySQL); None waits as long as the
    server takes, for migrations, whose lock waits and index builds may take minutes.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"DATABASE_URL is not a valid database URL: {exc}") from None
    # Category paths are Chinese text: keep them readable for people querying with SQL.
    options: dict[str, Any] = {"pool_pre_ping": True, "json_serializer": json_dumps}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        options = {"connect_args": {"timeout": 30}, "json_serializer": json_dumps}
    elif parsed.get_backend_name() in ("mysql", "mariadb"):
        options["pool_recycle"] = 3600
        options["connect_args"] = _mysql_connect_args(parsed, network_timeout)
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    elif parsed.get_backend_name() == "postgresql":
        options["connect_args"] = _postgres_connect_args(parsed, network_timeout)
    try:
        engine = create_engine(parsed, **options)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise DatabaseUnavailable(
            f"cannot use database {redact_url(parsed)}: {first_line(exc)}"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_wal)
    elif engine.dialect.driver == "psycopg" and network_timeout is not None:

        def connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
            connection = _NetworkTimedConnection.connect(*cargs, **cparams)
            connection.network_timeout = network_timeout
            return connection

        event.listen(engine, "do_connect", connect)
    return engine


def open_database(
    url: str, *, network_timeout: float | Literal["environment"] | None = "environment"
) -> Engine:
    """Connect, apply pending migrations, and fail fast with one readable line.

    Called before anything is crawled, so a wrong URL, a server that is down or a schema from a
    newer release stops the run at once instead of after minutes of fetching pages that could
    not be stored. Migrations run on a connection without ``network_timeout`` (they may wait
    minutes for another process's migration lock); the returned engine has it. Left out, it is
    ``resolve_network_timeout()``: the environment variable, else the default.
    """
    timeout = resolve_network_timeout() if isinstance(network_timeout, str) else network_timeout
    engine = create_database_engine(url)
    if engine.dialect.name != "sqlite" and timeout is not None:
        migrating, engine = engine, create_database_engine(url, network_timeout=timeout)
    else:
        migrating = engine
    try:
        upgrade(migrating)
    except (SchemaTooNew, MigrationLockTimeout) as exc:
        engine.dispose()
        raise DatabaseUnavailable(f"cannot use database {redact_url(engine.url)}: {exc}") from None
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseUnavailable(
            f"cannot open database {redact_url(engine.url)}: {first_line(exc)}"
        ) from None
    finally:
        if migrating is not engine:
            migrating.dispose()
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
            f"cannot open database {redact_url(engine.url)}: {first_line(exc)}"
        ) from None
    if not has_articles:
        engine.dispose()
        raise DatabaseUnavailable(
            f"database {redact_url(engine.url)} has no articles table yet: run a crawl or "
            "`alembic upgrade head` first"
        )
    return engine


def json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def first_line(exc: BaseException, *, unwrap: bool = True) -> str:
    """Drivers put multi-line diagnostics into exceptions; a log line wants the first one.

    With ``unwrap``, the message of the driver's exception that SQLAlchemy wrapped; without,
    SQLAlchemy's own, which names the driver's exception class first.
    """
    origin = (getattr(exc, "orig", None) or exc) if unwrap else exc
    text = str(origin).strip() or type(origin).__name__
    return text.splitlines()[0]
