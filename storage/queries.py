"""Read side for consumers: search and streaming export (``scrapy search``, ``scrapy export``).

Search has to find Chinese words, which have no spaces around them, so word tokenizers do not
work; each backend gets a substring index instead (migration 0003):
- SQLite: the FTS5 ``articles_fts`` table with the trigram tokenizer; terms shorter than three
  characters (``金融``) cannot use trigrams and fall back to LIKE;
- PostgreSQL: ``ILIKE`` served by the pg_trgm GIN indexes on title and body;
- MariaDB: plain ``LIKE`` (a full scan: fine for a few hundred thousand articles, not more).
Several space-separated terms must all occur (in the title or the body).

Export streams rows with a server-side cursor (``stream_results``), so its memory does not grow
with the table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    case,
    inspect,
    literal_column,
    or_,
    select,
    text,
)

from storage.models import Article
from storage.types import STORAGE_ZONE

ARTICLES = Article.__table__
EXPORT_COLUMNS = tuple(column.name for column in ARTICLES.columns)
# `scrapy export --by`: which timestamp --since/--until compare with.
TIME_FIELDS = {
    "published": ARTICLES.c.published_at,
    "seen": ARTICLES.c.first_seen_at,
    "changed": ARTICLES.c.updated_at,
}
STREAM_ROWS = 500
SNIPPET_CHARS = 30


@dataclass(frozen=True)
class SearchHit:
    id: int
    site: str
    title: str
    url: str
    published_at: datetime | None
    duplicate_of: int | None
    snippet: str


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column: Any, term: str, dialect: str) -> ColumnElement[bool]:
    pattern = _like_pattern(term)
    if dialect == "postgresql":
        return column.ilike(pattern, escape="\\")  # type: ignore[no-any-return]
    return column.like(pattern, escape="\\")  # type: ignore[no-any-return]


def _fts_phrase(term: str) -> str:
    """A quoted FTS5 string: the term is matched as a substring, never parsed as syntax."""
    return '"' + term.replace('"', '""') + '"'


def _has_fts(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and inspect(engine).has_table("articles_fts")


def search_articles(
    engine: Engine,
    query: str,
    *,
    site: str | None = None,
    limit: int = 20,
    include_copies: bool = False,
) -> list[SearchHit]:
    """Articles whose title or body contains every term of ``query``; title hits first, then
    the newest. Copies of a story (``duplicate_of`` set) are left out unless asked for."""
    terms = [term for term in query.split() if term]
    if not terms:
        raise ValueError("give at least one search term")
    dialect = engine.dialect.name
    conditions: list[ColumnElement[bool]] = []
    fts_terms = [term for term in terms if len(term) >= 3] if _has_fts(engine) else []
    if fts_terms:
        conditions.append(
            ARTICLES.c.id.in_(
                select(literal_column("rowid"))
                .select_from(text("articles_fts"))
                .where(text("articles_fts MATCH :fts_query"))
            )
        )
    for term in terms:
        if term not in fts_terms:
            conditions.append(
                or_(
                    _contains(ARTICLES.c.title, term, dialect),
                    _contains(ARTICLES.c.body, term, dialect),
                )
            )
    if site:
        conditions.append(ARTICLES.c.site == site)
    if not include_copies:
        conditions.append(ARTICLES.c.duplicate_of.is_(None))
    title_hit = and_(*(_contains(ARTICLES.c.title, term, dialect) for term in terms))
    statement = (
        select(
            ARTICLES.c.id,
            ARTICLES.c.site,
            ARTICLES.c.title,
            ARTICLES.c.url,
            ARTICLES.c.published_at,
            ARTICLES.c.duplicate_of,
            ARTICLES.c.body,
        )
        .where(*conditions)
        .order_by(
            case((title_hit, 0), else_=1),
            case((ARTICLES.c.published_at.is_(None), 1), else_=0),
            ARTICLES.c.published_at.desc(),
            ARTICLES.c.id.desc(),
        )
        .limit(limit)
    )
    if fts_terms:
        statement = statement.params(fts_query=" AND ".join(map(_fts_phrase, fts_terms)))
    with engine.connect() as connection:
        return [
            SearchHit(
                id=row.id,
                site=row.site,
                title=row.title,
                url=row.url,
                published_at=row.published_at,
                duplicate_of=row.duplicate_of,
                snippet=snippet(row.body, terms),
            )
            for row in connection.execute(statement)
        ]


def snippet(body: str, terms: Sequence[str]) -> str:
    """The body around the first occurrence of a term, on one line."""
    flat = " ".join(body.split())
    lowered = flat.casefold()
    positions = [lowered.find(term.casefold()) for term in terms]
    found = [position for position in positions if position >= 0]
    if not found:
        return flat[: 2 * SNIPPET_CHARS] + ("…" if len(flat) > 2 * SNIPPET_CHARS else "")
    start = max(0, min(found) - SNIPPET_CHARS)
    end = min(len(flat), min(found) + SNIPPET_CHARS)
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")


def iter_articles(
    engine: Engine,
    *,
    site: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    by: str = "published",
    originals_only: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every matching row, oldest id first, streamed ``STREAM_ROWS`` at a time.

    ``since`` is inclusive and ``until`` exclusive, so consecutive daily exports neither
    overlap nor leave gaps.
    """
    column = TIME_FIELDS[by]
    conditions: list[ColumnElement[bool]] = []
    if site:
        conditions.append(ARTICLES.c.site == site)
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    if originals_only:
        conditions.append(ARTICLES.c.duplicate_of.is_(None))
    statement = select(ARTICLES).where(*conditions).order_by(ARTICLES.c.id)
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(
            statement
        )
        for row in result:
            yield dict(row._mapping)


def parse_time(value: str) -> datetime:
    """ISO 8601 date or date-time; without a zone it is Beijing time, as on the portals."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO date or time (e.g. 2019-01-16 or 2019-01-16T08:00+08:00)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=STORAGE_ZONE)


def to_jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in row.items()
    }


def to_csv_cells(row: dict[str, Any]) -> list[Any]:
    """CSV has no lists or zones: category becomes a JSON array, datetimes ISO strings."""
    cells = []
    for name in EXPORT_COLUMNS:
        value = row[name]
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, list):
            value = json.dumps(value, ensure_ascii=False)
        cells.append("" if value is None else value)
    return cells
