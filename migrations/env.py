"""Alembic environment: one database, the URL from DATABASE_URL like every other command.

``storage.schema.upgrade`` passes an open connection in ``config.attributes["connection"]``
(it holds the migration lock on it); the ``alembic`` command line opens its own.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from storage.models import Base
from storage.schema import include_name

config = context.config
target_metadata = Base.metadata
# The command line logs what it migrates (alembic.ini); inside a crawl, Scrapy's logging rules.
if config.config_file_name and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    from scrapy.utils.project import get_project_settings

    from storage.database import resolve_database_url

    return resolve_database_url(get_project_settings().get("DATABASE_URL"))


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=include_name,
        # SQLite cannot ALTER most things: future migrations rebuild tables in batch mode.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        include_name=include_name,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from storage.database import create_database_engine
    from storage.schema import migration_lock

    engine = create_database_engine(_database_url())
    try:
        with engine.connect() as own_connection, migration_lock(own_connection):
            _configure(own_connection)
            with context.begin_transaction():
                context.run_migrations()
            own_connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
