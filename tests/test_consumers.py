"""The consumer side: `scrapy search`, `scrapy export` and the read-only role recipe."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from pipelines.normalize import content_hash
from storage.database import open_database
from storage.models import Article
from storage.queries import iter_articles, search_articles
from storage.repository import ArticleRepository
from tests.conftest import PROJECT_ROOT, run_scrapy

BEIJING = timezone(timedelta(hours=8))

TEXTS = {
    1: (
        "液冷技术走向规模商用",
        "随着高功率芯片普及，液冷技术正从试点走向规模商用，数据中心能耗有望下降。",
    ),
    2: (
        "东数西算工程加速落地",
        "西部枢纽节点数据中心机架规模快速增长，上架率仍有待提高，网络时延是主要原因。",
    ),
    3: ("数字人民币试点扩容", "数字人民币试点范围扩大，新增地区将围绕公共交通和政务缴费开展测试。"),
    4: (
        "云厂商再掀降价潮",
        "国内主要云服务商下调核心产品价格，对象存储和数据库降价，中小企业上云成本下降。",
    ),
}


def _article(number: int, site: str = "demo", **fields: Any) -> dict[str, Any]:
    title, body = TEXTS[number]
    body = fields.pop("body", body)
    return {
        "url": f"https://{site}.example.cn/{number}.html",
        "canonical_url": f"https://{site}.example.cn/{number}.html",
        "site": site,
        "title": title,
        "source": "新华社",
        "author": None,
        "published_at": datetime(2019, 1, 10 + number, 9, 30, tzinfo=BEIJING),
        "summary": None,
        "category": ["数据中心"],
        "body": body,
        "body_html": f"<p>{body}</p>",
        "content_hash": content_hash(body),
        **fields,
    }


def _seed(url: str) -> None:
    repository = ArticleRepository(open_database(url))
    repository.save_batch([_article(number) for number in TEXTS])
    # an exact copy of article 1 on another portal: a duplicate row
    repository.save_batch([_article(1, site="mirror")])
    repository.engine.dispose()


def _ids(output: str) -> list[int]:
    return [int(line.split("\t")[0]) for line in output.splitlines() if re.match(r"^\d+\t", line)]


def test_search_command(database_url: str) -> None:
    _seed(database_url)
    found = run_scrapy("search", "数据中心", database_url=database_url)
    assert found.returncode == 0, found.output
    assert _ids(found.stdout) == [2, 1]  # both mention it in the body; newest first
    assert "https://demo.example.cn/2.html" in found.stdout
    assert "2 article(s)" in found.stderr

    short = run_scrapy("search", "液冷", database_url=database_url)  # two characters
    assert _ids(short.stdout) == [1]
    every_term = run_scrapy("search", "数据中心 时延", database_url=database_url)
    assert _ids(every_term.stdout) == [2]
    title_first = run_scrapy("search", "数字人民币", "--limit", "1", database_url=database_url)
    assert _ids(title_first.stdout) == [3]
    copies = run_scrapy("search", "液冷技术", "--all", database_url=database_url)
    assert sorted(_ids(copies.stdout)) == [1, 5]
    assert "(copy of 1)" in copies.stdout
    other_site = run_scrapy(
        "search", "液冷技术", "--all", "--site", "mirror", database_url=database_url
    )
    assert _ids(other_site.stdout) == [5]
    nothing = run_scrapy("search", "区块链", database_url=database_url)
    assert (nothing.returncode, nothing.stdout, "0 article(s)" in nothing.stderr) == (0, "", True)


@pytest.mark.parametrize("query", ["数据中心", "液冷", "100%", 'a"b', "O'Brien", "_"])
def test_search_terms_are_data_not_syntax(sqlite_url: str, query: str) -> None:
    _seed(sqlite_url)
    engine = open_database(sqlite_url)
    hits = search_articles(engine, query)
    engine.dispose()
    assert all(query in hit.snippet or query in hit.title for hit in hits)


def test_sqlite_search_index_follows_changes_and_deletes(sqlite_url: str) -> None:
    _seed(sqlite_url)
    engine = open_database(sqlite_url)
    assert [hit.id for hit in search_articles(engine, "数字人民币")] == [3]
    with engine.begin() as connection:
        connection.execute(
            update(Article)
            .where(Article.id == 3)
            .values(title="央行数字货币", body="法定数字货币研发进展顺利")
        )
    assert search_articles(engine, "数字人民币") == []
    assert [hit.id for hit in search_articles(engine, "法定数字货币")] == [3]
    with engine.begin() as connection:
        connection.execute(delete(Article).where(Article.id == 3))
    assert search_articles(engine, "法定数字货币") == []
    engine.dispose()


def test_search_and_export_refuse_missing_database_readably(tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'nothing.sqlite3'}"
    for command in (["search", "数据中心"], ["export"]):
        result = run_scrapy(*command, database_url=empty)
        assert result.returncode == 1
        assert result.stderr.strip().startswith("error:")
        assert "no articles table" in result.stderr
    bad = run_scrapy("search", "", database_url=empty)
    assert bad.returncode == 2


def test_export_jsonl_and_csv(database_url: str, tmp_path: Path) -> None:
    _seed(database_url)
    jsonl = run_scrapy("export", "--format", "jsonl", database_url=database_url)
    assert jsonl.returncode == 0, jsonl.output
    exported = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [row["id"] for row in exported] == [1, 2, 3, 4, 5]
    assert exported[0]["published_at"] == "2019-01-11T09:30:00+08:00"
    assert exported[0]["category"] == ["数据中心"]
    assert exported[4]["duplicate_of"] == 1
    assert "exported 5 article(s)" in jsonl.stderr

    target = tmp_path / "jan.csv"
    window = run_scrapy(
        "export",
        "--format",
        "csv",
        "--site",
        "demo",
        "--since",
        "2019-01-12",
        "--until",
        "2019-01-14T09:30:00+08:00",
        "-o",
        str(target),
        database_url=database_url,
    )
    assert window.returncode == 0, window.output
    table = list(csv.DictReader(io.StringIO(target.read_text("utf-8"))))
    assert [row["id"] for row in table] == ["2", "3"]  # since inclusive, until exclusive
    assert table[0]["title"] == "东数西算工程加速落地"
    assert json.loads(table[0]["category"]) == ["数据中心"]
    assert table[0]["duplicate_of"] == ""
    assert not list(tmp_path.glob(".*partial"))

    originals = run_scrapy("export", "--originals-only", "--by", "seen", database_url=database_url)
    assert len(originals.stdout.splitlines()) == 4
    bad = run_scrapy("export", "--since", "yesterday", database_url=database_url)
    assert bad.returncode == 2
    assert "not an ISO date" in bad.stderr


def test_export_streams_in_bounded_chunks(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the rows come from a server-side cursor, a chunk at a time."""
    import storage.queries

    repository = ArticleRepository(open_database(postgres_url))
    repository.save_batch(
        [
            _article(1, canonical_url=f"https://demo.example.cn/{n}.html", body=f"第{n}篇正文")
            for n in range(120)
        ]
    )
    monkeypatch.setattr(storage.queries, "STREAM_ROWS", 25)
    engine = repository.engine
    fetched_sizes: list[int] = []
    from psycopg import ServerCursor

    original_fetchmany = ServerCursor.fetchmany

    def spy(self: Any, size: int = 0) -> Any:
        fetched_sizes.append(size)
        return original_fetchmany(self, size)

    monkeypatch.setattr(ServerCursor, "fetchmany", spy)
    rows = iter_articles(engine)
    assert next(rows)["id"] == 1
    assert sum(1 for _ in rows) == 119
    assert fetched_sizes and max(fetched_sizes) <= 25
    engine.dispose()


def _recipe() -> str:
    document = (PROJECT_ROOT / "docs" / "consumers.md").read_text("utf-8")
    block = document.split("<!-- read-only-role", 1)[1]
    return block.split("```sql", 1)[1].split("```", 1)[0]


def test_read_only_role_recipe(postgres_url: str) -> None:
    _seed(postgres_url)
    schema = re.search(r"search_path%3D(\w+)|search_path=(\w+)", postgres_url)
    assert schema is not None
    schema_name = schema.group(1) or schema.group(2)
    role = f"ro_{uuid.uuid4().hex[:10]}"
    url = make_url(postgres_url)
    recipe = (
        _recipe()
        .replace("analyst", role)
        .replace("change-me", "s3cret")
        .replace("DATABASE news", f"DATABASE {url.database}")
        .replace("SCHEMA public", f"SCHEMA {schema_name}")
        .replace("FOR ROLE crawler", f"FOR ROLE {url.username}")
    )
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    reader_url = url.set(username=role, password="s3cret").render_as_string(hide_password=False)
    try:
        with admin.connect() as connection:
            for statement in recipe.split(";"):
                lines = [line for line in statement.splitlines() if not line.startswith("--")]
                if "".join(lines).strip():
                    connection.execute(text("\n".join(lines)))
        reader = create_engine(reader_url)
        with reader.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM articles")).scalar() == 5
            assert connection.execute(text("SELECT current_user")).scalar() == role
        with (
            reader.connect() as connection,
            pytest.raises(DBAPIError, match=r"read-only|permission"),
        ):
            connection.execute(text("DELETE FROM articles"))
        with reader.connect() as connection:
            # even with the read-only default switched off, the grants stop writes
            connection.execute(text("SET default_transaction_read_only = off"))
            connection.commit()
            with pytest.raises(DBAPIError, match="permission denied"):
                connection.execute(
                    text(
                        "INSERT INTO article_versions (article_id, title, body, content_hash, "
                        "captured_at, replaced_at) VALUES (1, 't', 'b', 'h', now(), now())"
                    )
                )
        reader.dispose()
        found = run_scrapy("search", "数据中心", database_url=reader_url)
        assert found.returncode == 0, found.output
        assert _ids(found.stdout) == [2, 1]
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))
        admin.dispose()
