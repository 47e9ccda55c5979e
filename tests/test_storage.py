"""The repository against real SQLite, PostgreSQL and MariaDB databases."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from storage.database import DatabaseUnavailable, open_database, redact_url, resolve_database_url
from storage.models import CrawlRun
from storage.repository import ArticleRepository, _is_retryable
from tests.conftest import rows

BEIJING = timezone(timedelta(hours=8))


def article(number: int, body: str | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "url": f"http://news.example.cn/a/{number}.html?utm_source=x",
        "canonical_url": f"http://news.example.cn/a/{number}.html",
        "site": "example",
        "title": f"标题{number}",
        "source": "新华社",
        "author": "张三",
        "published_at": datetime(2019, 1, 16, 15, 18, tzinfo=BEIJING),
        "summary": None,
        "category": ["金融科技", "云计算"],
        "body": body or f"正文第{number}篇。\n第二段。",
        "body_html": "<p>正文</p>",
        "content_hash": hashlib.sha256((body or str(number)).encode()).hexdigest(),
        **fields,
    }


def test_batch_outcomes_and_idempotent_recrawl(database_url: str) -> None:
    repository = ArticleRepository(open_database(database_url))
    first = repository.save_batch(
        [article(1), article(2), article(3, body="同一篇"), article(4, body="同一篇")]
    )
    assert (first.stored, first.duplicates, first.updated, first.unchanged) == (3, 1, 0, 0)

    again = repository.save_batch(
        [article(1), article(2), article(3, body="同一篇"), article(4, body="同一篇")]
    )
    assert (again.stored, again.duplicates, again.updated, again.unchanged) == (0, 0, 0, 4)

    changed = repository.save_batch([article(2, body="改过的正文"), article(5, body="同一篇")])
    assert (changed.stored, changed.duplicates, changed.updated) == (0, 1, 1)

    stored = {row["canonical_url"].rsplit("/", 1)[1]: row for row in rows(database_url)}
    assert len(stored) == 5
    assert stored["2.html"]["body"] == "改过的正文"
    assert stored["2.html"]["updated_at"] is not None
    assert stored["1.html"]["updated_at"] is None
    original = stored["3.html"]["id"]
    assert stored["3.html"]["duplicate_of"] is None
    assert stored["4.html"]["duplicate_of"] == original
    assert stored["5.html"]["duplicate_of"] == original
    assert stored["1.html"]["last_seen_at"] >= stored["1.html"]["first_seen_at"]
    repository.engine.dispose()


def test_values_round_trip_exactly(database_url: str) -> None:
    repository = ArticleRepository(open_database(database_url))
    long_body = "长" * 100_000  # more than MariaDB's 64 KB TEXT
    repository.save_batch([article(1, body=long_body)])
    (row,) = rows(database_url)
    assert row["published_at"] == datetime(2019, 1, 16, 15, 18, tzinfo=BEIJING)
    assert row["published_at"].utcoffset() == timedelta(hours=8)
    assert row["first_seen_at"].tzinfo is not None
    assert row["category"] == ["金融科技", "云计算"]
    assert row["body"] == long_body
    assert row["title"] == "标题1"
    repository.engine.dispose()


def test_utc_input_is_the_same_instant(sqlite_url: str) -> None:
    repository = ArticleRepository(open_database(sqlite_url))
    repository.save_batch([article(1, published_at=datetime(2019, 1, 16, 7, 18, tzinfo=UTC))])
    (row,) = rows(sqlite_url)
    assert row["published_at"] == datetime(2019, 1, 16, 15, 18, tzinfo=BEIJING)
    raw = rows(sqlite_url, "SELECT published_at FROM articles")[0]["published_at"]
    assert raw == "2019-01-16 15:18:00+08:00"  # readable for people using the sqlite3 shell


def test_unreachable_database_is_one_readable_line() -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        open_database("postgresql+psycopg://crawler:s3cret@127.0.0.1:1/test")
    message = str(caught.value)
    assert "\n" not in message
    assert "s3cret" not in message
    assert "127.0.0.1:1" in message
    with pytest.raises(DatabaseUnavailable, match="not a valid database URL"):
        open_database("no-such-scheme")


def test_password_is_redacted() -> None:
    assert redact_url("postgresql+psycopg://u:pw@h/db") == "postgresql+psycopg://u:***@h/db"


def test_environment_overrides_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///env.sqlite3")
    assert resolve_database_url("sqlite:///setting.sqlite3") == "sqlite:///env.sqlite3"
    monkeypatch.delenv("DATABASE_URL")
    assert resolve_database_url("sqlite:///setting.sqlite3") == "sqlite:///setting.sqlite3"


class _DriverError(Exception):
    def __init__(self, *args: object, sqlstate: str | None = None) -> None:
        super().__init__(*args)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (IntegrityError("INSERT", {}, _DriverError("duplicate key")), True),
        (OperationalError("INSERT", {}, _DriverError("deadlock", sqlstate="40P01")), True),
        (OperationalError("INSERT", {}, _DriverError("serialization", sqlstate="40001")), True),
        (OperationalError("INSERT", {}, _DriverError(1213, "Deadlock found")), True),
        (OperationalError("INSERT", {}, _DriverError("server closed the connection")), False),
        (OperationalError("INSERT", {}, _DriverError(2006, "MySQL server has gone away")), False),
    ],
)
def test_only_races_with_another_writer_are_retried(error: DBAPIError, retry: bool) -> None:
    """A lost race is retried at once; a dead database is the store pipeline's business."""
    assert _is_retryable(error) is retry


def test_same_page_twice_in_one_batch_is_stored_once(sqlite_url: str) -> None:
    repository = ArticleRepository(open_database(sqlite_url))
    result = repository.save_batch([article(1), article(1, title="again")])
    assert (result.stored, result.unchanged) == (1, 1)
    assert [row["title"] for row in rows(sqlite_url)] == ["标题1"]
    repository.engine.dispose()


def test_every_column_survives_the_set_based_insert(database_url: str) -> None:
    """One INSERT per batch (a JSON document on PostgreSQL, multi-row VALUES elsewhere): ids
    come back in input order, naive times mean Beijing time, NULLs stay NULL, the run id is
    kept, and a later change of the text never touches ``first_run_id``."""
    engine = open_database(database_url)
    with engine.begin() as connection:
        run_id = connection.execute(
            insert(CrawlRun).returning(CrawlRun.id),
            {
                "spider": "portal",
                "started_at": datetime(2019, 1, 16, tzinfo=UTC),
                "status": "running",
            },
        ).scalar_one()
    repository = ArticleRepository(engine)
    batch = [
        article(3, published_at=datetime(2019, 1, 16, 15, 18), first_run_id=run_id),  # naive
        article(1, published_at=datetime(2019, 1, 16, 7, 18, tzinfo=UTC), first_run_id=run_id),
        article(2, published_at=None, category=None, source=None, body_html=None),
    ]
    result = repository.save_batch(batch)
    stored = {row["id"]: row for row in rows(database_url)}
    assert [stored[i]["canonical_url"] for i in result.new_ids] == [
        a["canonical_url"] for a in batch
    ]
    first, second, third = (stored[i] for i in result.new_ids)
    assert first["published_at"] == second["published_at"]
    assert first["published_at"] == datetime(2019, 1, 16, 15, 18, tzinfo=BEIJING)
    assert (first["first_run_id"], second["first_run_id"], third["first_run_id"]) == (
        run_id,
        run_id,
        None,
    )
    assert third["published_at"] is None and third["category"] is None
    assert third["source"] is None and third["body_html"] is None
    assert first["category"] == ["金融科技", "云计算"]

    changed = repository.save_batch([article(3, body="新的正文", first_run_id=None)])
    assert changed.updated == 1
    (row,) = [r for r in rows(database_url) if r["id"] == result.new_ids[0]]
    assert row["body"] == "新的正文" and row["first_run_id"] == run_id
    engine.dispose()


def test_awkward_text_round_trips(database_url: str) -> None:
    """Quotes, backslashes, braces and commas (array and JSON syntax), control characters and
    characters outside the BMP arrive unchanged whatever the backend's batch insert path."""
    awkward = "He said \"云\\计算\", {a,b} 'x'\t\n😀 \u2028 end"
    repository = ArticleRepository(open_database(database_url))
    repository.save_batch(
        [
            article(
                1,
                body=awkward * 3,
                title=awkward,
                summary=awkward,
                author="张\\三",
                category=[awkward, "{}", ","],
            )
        ]
    )
    (row,) = rows(database_url)
    assert (row["title"], row["summary"], row["author"]) == (awkward, awkward, "张\\三")
    assert row["body"] == awkward * 3
    assert row["category"] == [awkward, "{}", ","]
    repository.engine.dispose()
