"""A portal built from real Chinese pages of ../shared/corpus/cwced_zh, served on 127.0.0.1.

The article pages are the corpus files byte for byte (GBK and UTF-8, served without a charset
header, as many old portals do); the listing pages are generated in a common portal style
(ul/li with dates, 下一页 pagination, a navigation bar and a 热点 sidebar).
"""

from __future__ import annotations

import html
import json
import re
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from crawler.encoding import decode_html


@dataclass(frozen=True)
class CorpusArticle:
    path: str
    gold: dict[str, object]


def _title_of(page: bytes) -> str:
    text, _ = decode_html(page)
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.S | re.I)
    title = html.unescape(match.group(1)).strip() if match else ""
    return re.split(r"[-_|—]", title)[0].strip()[:40] or "无标题文章"


def build_pages(corpus: Path, page_size: int = 10) -> tuple[dict[str, bytes], list[CorpusArticle]]:
    records = [
        json.loads(line) for line in (corpus / "ground_truth.jsonl").read_text("utf-8").splitlines()
    ]
    pages: dict[str, bytes] = {}
    articles: list[CorpusArticle] = []
    for number, record in enumerate(records, start=1):
        path = f"/news/2020{number:04d}/{number + 100000}.html"
        pages[path] = (corpus / record["html_path"]).read_bytes()
        articles.append(CorpusArticle(path, record))
    chunks = [articles[i : i + page_size] for i in range(0, len(articles), page_size)]
    for index, chunk in enumerate(chunks, start=1):
        items = "\n".join(
            f'<li><a href="{a.path}" target="_blank">{html.escape(_title_of(pages[a.path]))}</a>'
            f'<span class="date">2020-01-{(i % 28) + 1:02d}</span></li>'
            for i, a in enumerate(chunk)
        )
        next_link = (
            f'<a href="/news/list_{index + 1}.html">下一页</a>' if index < len(chunks) else ""
        )
        pages[
            "/news/index.html" if index == 1 else f"/news/list_{index}.html"
        ] = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>新闻中心 第{index}页</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/news/index.html">新闻</a> <a href="/about.html">关于我们</a></div>
<div class="main"><ul class="news-list">
{items}
</ul>
<div class="pages"><a href="/news/index.html">首页</a> {next_link}</div></div>
<div class="side"><h3>热点排行</h3><ul>{"".join(f'<li><a href="{a.path}">{html.escape(_title_of(pages[a.path]))[:12]}</a></li>' for a in articles[:5])}</ul></div>
<div class="footer">Copyright 2020 新闻网 版权所有</div>
</body></html>""".encode()
    return pages, articles


class _Handler(BaseHTTPRequestHandler):
    server: CorpusPortalServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = self.server.pages.get(self.path.split("?")[0])
        status = HTTPStatus.OK if body is not None else HTTPStatus.NOT_FOUND
        body = body if body is not None else b"not found"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


class CorpusPortalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pages: dict[str, bytes]) -> None:
        self.pages = pages
        super().__init__(("127.0.0.1", 0), _Handler)


def start(pages: dict[str, bytes]) -> tuple[CorpusPortalServer, str]:
    server = CorpusPortalServer(pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
