"""Column types that keep timestamps timezone-aware on every backend.

PostgreSQL has ``timestamptz``; SQLite and MariaDB have no zone in their date types, and a
plain ``DateTime`` silently returns naive values there. Portals publish in Beijing time, so on
those backends we store Asia/Shanghai wall time (SQLite keeps the ``+08:00`` suffix in the
text, which also keeps lexicographic order chronological because Shanghai has had a fixed
offset since 1991) and attach the zone again when reading.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, String
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

STORAGE_ZONE = ZoneInfo("Asia/Shanghai")


class AwareDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime on PostgreSQL, MariaDB/MySQL and SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TIMESTAMP(timezone=True))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None:
            value = value.replace(tzinfo=STORAGE_ZONE)
        local = value.astimezone(STORAGE_ZONE)
        if dialect.name == "sqlite":
            return local.isoformat(sep=" ")
        if dialect.name in ("mysql", "mariadb"):
            return local.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if stored.tzinfo is None:
            return stored.replace(tzinfo=STORAGE_ZONE)
        return stored.astimezone(STORAGE_ZONE)
