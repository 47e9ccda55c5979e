"""A portal on 127.0.0.1 whose article links each hit one fault real portals produce.

Why a separate server from ``demo_portal``: the demo serves a well-behaved site from a page
table, while these tests need behaviour per request (fail the first attempt, stall, reset the
connection, lie about the length) and per-path request counts to prove what was retried.

``FaultPortal.start()`` serves on a free port; ``listing_path`` lists every route in
``ARTICLE_FAULTS`` in a plain news-list layout the generic link finder recognises. Every route
is bounded in time (no handler waits longer than ``STALL_SECONDS``) so a broken test cannot
hang the suite.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from demo_portal import pools
from demo_portal.content import _fill

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The longest any handler keeps a client waiting (the timeout fault); tests set a smaller
# DOWNLOAD_TIMEOUT so the crawler gives up first.
STALL_SECONDS = 4.0
HUGE_PAGE_BYTES = 10 * 1024 * 1024
OVERSIZE_DECLARED_BYTES = 20 * 1024 * 1024

PNG_BYTES = (
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
    + bytes(range(256)) * 16
)

SENTENCES = pools.FINTECH_SENTENCES + pools.CLOUD_SENTENCES + pools.DATACENTER_SENTENCES


def article_paragraphs(title: str, count: int = 5) -> list[str]:
    """Paragraphs of their own for every title, drawn from the demo portal's sentence pools.

    Articles sharing most of their text would be stored as (near-)duplicates of each other,
    which is not what these tests are about.
    """
    rng = random.Random(title)
    templates = rng.sample(SENTENCES, count * 2)
    return [_fill(templates[2 * i], rng) + _fill(templates[2 * i + 1], rng) for i in range(count)]


def article_html(title: str, *, paragraphs: int = 5, published: str = "2019年1月16日 15:18") -> str:
    """A complete, ordinary article page: headline, 来源 line, date, body paragraphs."""
    body = "\n".join(f"<p>{line}</p>" for line in article_paragraphs(title, paragraphs))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}_故障测试网</title></head>
<body>
<div class="nav"><a href="/">首页</a> <a href="/list.html">资讯</a></div>
<div class="article">
<h1>{title}</h1>
<div class="info"><span>来源：新华社</span> <span>作者：张三</span> <span>{published}</span></div>
<div class="content">
{body}
</div>
</div>
<div class="footer">版权所有 故障测试网</div>
</body></html>"""


class FaultPortalServer(ThreadingHTTPServer):
    """Threaded server holding the routes, per-path counters and a stop flag for stalls."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.request_counts: Counter[str] = Counter()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _FaultHandler)

    def count(self, path: str) -> int:
        """Count a request for ``path`` and return how many there have been, this one included."""
        with self._lock:
            self.request_counts[path] += 1
            return self.request_counts[path]


Route = Callable[["_FaultHandler", int], None]
"""A handler for one path: gets the request handler and the attempt number (1, 2, ...)."""


class _FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: FaultPortalServer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path or "/"
        attempt = self.server.count(path)
        route = self.server.routes.get(path)
        if route is None:
            self.send_page("<html><body><h1>404 页面不存在</h1></body></html>", status=404)
            return
        route(self, attempt)

    def send_page(
        self,
        html: str | bytes,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        encoding: str = "utf-8",
        content_length: int | None = None,
    ) -> None:
        body = html.encode(encoding) if isinstance(html, str) else html
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header(
            "Content-Length", str(len(body) if content_length is None else content_length)
        )
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def reset_connection(self) -> None:
        """Close with SO_LINGER 0: the client sees a TCP RST, not an orderly end."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def stall(self) -> None:
        """Answer nothing for STALL_SECONDS (or until the server stops), then close."""
        self.server.stopping.wait(STALL_SECONDS)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the tests read request_counts, not access logs."""


# --- The faults ------------------------------------------------------------------------------


def _ok(title: str) -> Route:
    return lambda handler, attempt: handler.send_page(article_html(title))


def _fail_first(title: str, failures: int = 1) -> Route:
    def route(handler: _FaultHandler, attempt: int) -> None:
        if attempt <= failures:
            handler.send_page("<html><body>503 Service Unavailable</body></html>", status=503)
        else:
            handler.send_page(article_html(title))

    return route


def _always_500(handler: _FaultHandler, attempt: int) -> None:
    handler.send_page("<html><body>500 Internal Server Error</body></html>", status=500)


def _timeout(handler: _FaultHandler, attempt: int) -> None:
    handler.stall()


def _reset(handler: _FaultHandler, attempt: int) -> None:
    handler.reset_connection()


def _truncated_article(handler: _FaultHandler, attempt: int) -> None:
    """The HTML stops mid-paragraph (no closing tags), but the transfer itself is complete."""
    html = article_html("截断页面仍含完整正文的文章", paragraphs=5)
    cut = html.index("</div>\n</div>")  # inside the content div, after all paragraphs
    handler.send_page(html[: cut - 20])


def _truncated_head(handler: _FaultHandler, attempt: int) -> None:
    """The HTML stops before the article starts: nothing left to store."""
    html = article_html("这篇文章在标题之前就被截断了")
    handler.send_page(html[: html.index('<div class="article">')])


def _data_loss(handler: _FaultHandler, attempt: int) -> None:
    """The connection closes before Content-Length bytes arrived (a transfer cut short)."""
    body = article_html("传输中断的文章").encode("utf-8")
    handler.send_page(body[: len(body) // 2], content_length=len(body))
    handler.close_connection = True


def _huge(handler: _FaultHandler, attempt: int) -> None:
    """A 10 MB article page: an ordinary article plus 10 MB of inline comment data (JSON in a
    <script>, as many portals embed their comment threads)."""
    html = article_html("评论区超大的十兆字节页面")
    head, tail = html.split('<div class="footer">')
    entry = '{"user":"网友","text":"支持金融科技发展，期待更多好消息。"}'
    count = (HUGE_PAGE_BYTES - len(html.encode("utf-8"))) // (len(entry.encode("utf-8")) + 1)
    blob = f"var comments = [{','.join([entry] * count)}];"
    handler.send_page(f'{head}<script>{blob}</script>\n<div class="footer">{tail}')


def huge_comment_list_html() -> str:
    """A 10 MB article page whose bulk is 100,000+ ``<li>`` comments in the HTML itself.

    Not served by the fault portal: extracting it still takes seconds of reactor time (its
    100,000 lines are walked once), enough to time out concurrent downloads of a small test
    crawl. Removing the comments used to be quadratic (~15 s, one sibling at a time); since
    ``crawler.extraction.dom.drop_all_keeping_tails`` it is linear, which
    tests/test_extraction_perf_cases.py keeps so.
    """
    html = article_html("评论区超大的十兆字节页面")
    comment = "<li class='comment'>网友评论：支持金融科技发展，期待更多好消息。</li>\n"
    head, tail = html.split('<div class="footer">')
    count = (HUGE_PAGE_BYTES - len(html.encode("utf-8"))) // len(comment.encode("utf-8")) + 1
    return f'{head}<ul class="comments">\n{comment * count}</ul>\n<div class="footer">{tail}'


def _oversize(handler: _FaultHandler, attempt: int) -> None:
    """Declares 20 MB, more than DOWNLOAD_MAXSIZE: the crawler must cancel, not buffer it."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(OVERSIZE_DECLARED_BYTES))
    handler.end_headers()
    with contextlib.suppress(OSError):
        handler.wfile.write(b"<html><body>" + b" " * 65536)
    handler.close_connection = True


def _redirect_loop(target: str) -> Route:
    return lambda handler, attempt: handler.redirect(target)


def _lying_gbk(handler: _FaultHandler, attempt: int) -> None:
    """GBK bytes behind ``charset=utf-8``; only the page's own <meta> tells the truth."""
    html = article_html("国产数据库在银行核心系统落地应用").replace(
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Type" content="text/html; charset=gbk">',
    )
    handler.send_page(html, encoding="gbk", content_type="text/html; charset=utf-8")


def _binary_as_html(handler: _FaultHandler, attempt: int) -> None:
    """A PNG image served as text/html from an .html URL."""
    handler.send_page(PNG_BYTES, content_type="text/html")


def _binary_octet_stream(handler: _FaultHandler, attempt: int) -> None:
    handler.send_page(PNG_BYTES, content_type="application/octet-stream")


def _empty(handler: _FaultHandler, attempt: int) -> None:
    handler.send_page(b"")


@dataclass(frozen=True)
class Fault:
    path: str
    title: str  # the link text on the listing page
    route: Route


ARTICLE_FAULTS: tuple[Fault, ...] = (
    Fault("/a/ok.html", "正常文章：金融科技助力普惠金融发展", _ok("金融科技助力普惠金融发展")),
    Fault(
        "/a/flaky-503.html",
        "第一次返回503然后成功的文章",
        _fail_first("第一次返回503然后成功的文章"),
    ),
    Fault("/a/always-500.html", "始终返回500错误的文章页面", _always_500),
    Fault("/a/timeout.html", "服务器长时间不响应的文章页面", _timeout),
    Fault("/a/reset.html", "连接被服务器重置的文章页面", _reset),
    Fault("/a/truncated-article.html", "截断页面仍含完整正文的文章", _truncated_article),
    Fault("/a/truncated-head.html", "这篇文章在标题之前就被截断了", _truncated_head),
    Fault("/a/data-loss.html", "传输中断的文章页面内容不完整", _data_loss),
    Fault("/a/huge.html", "评论区超大的十兆字节页面", _huge),
    Fault("/a/oversize.html", "声明长度超过下载上限的页面", _oversize),
    Fault("/a/loop-1.html", "两个地址互相重定向的循环页面", _redirect_loop("/a/loop-2.html")),
    Fault(
        "/a/self-redirect.html",
        "重定向到自身的文章页面地址",
        _redirect_loop("/a/self-redirect.html"),
    ),
    Fault("/a/lying-charset.html", "国产数据库在银行核心系统落地应用", _lying_gbk),
    Fault("/a/binary.html", "伪装成网页的二进制图片文件", _binary_as_html),
    Fault("/a/octet-stream.html", "以二进制流发送的网页地址", _binary_octet_stream),
    Fault("/a/empty.html", "返回空白内容的文章页面地址", _empty),
)
EXTRA_ROUTES: dict[str, Route] = {"/a/loop-2.html": _redirect_loop("/a/loop-1.html")}


def listing_html(links: list[tuple[str, str]]) -> str:
    """A plain news list: one <li> per article with its title and date."""
    items = "\n".join(
        f'<li><a href="{href}" target="_blank">{text}</a><span class="date">2019-01-16</span></li>'
        for href, text in links
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>资讯列表_故障测试网</title></head>
<body>
<div class="nav"><a href="/">首页</a> <a href="/list.html">资讯</a></div>
<div class="main"><ul class="news-list">
{items}
</ul></div>
<div class="footer">版权所有 故障测试网</div>
</body></html>"""


@dataclass
class FaultPortal:
    """The running portal: base URL, request counters, and extra routes tests can add."""

    routes: dict[str, Route] = field(default_factory=dict)
    listing_path: str = "/list.html"
    server: FaultPortalServer | None = None
    robots_txt: str = "User-agent: *\nAllow: /\n"

    @classmethod
    def with_faults(cls, faults: tuple[Fault, ...] = ARTICLE_FAULTS) -> FaultPortal:
        portal = cls()
        portal.add_listing([(fault.path, fault.title) for fault in faults])
        for fault in faults:
            portal.routes[fault.path] = fault.route
        portal.routes.update(EXTRA_ROUTES)
        return portal

    def add_listing(self, links: list[tuple[str, str]], path: str = "/list.html") -> None:
        html = listing_html(links)
        self.routes[path] = lambda handler, attempt: handler.send_page(html)

    def start(self) -> FaultPortal:
        robots = self.robots_txt
        self.routes.setdefault(
            "/robots.txt",
            lambda handler, attempt: handler.send_page(robots, content_type="text/plain"),
        )
        self.server = FaultPortalServer(self.routes)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stopping.set()
            self.server.shutdown()
            self.server.server_close()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def request_counts(self) -> Counter[str]:
        assert self.server is not None
        return self.server.request_counts

    def wait_idle(self, seconds: float = 0.2) -> None:
        """Give in-flight handler threads a moment to record their requests."""
        time.sleep(seconds)


_STAT_LINE = re.compile(r"^\s*[{ ]?'([^']+)': (-?\d+)[,}]?\s*$")


def crawl_stats(output: str) -> dict[str, int]:
    """The integer stats from the 'Dumping Scrapy stats' block of a run with STATS_DUMP=True."""
    _, _, dump = output.rpartition("Dumping Scrapy stats:")
    assert dump, "run the crawl with -s STATS_DUMP=True"
    stats = {}
    for line in dump.splitlines()[1:]:
        match = _STAT_LINE.match(line)
        if match:
            stats[match.group(1)] = int(match.group(2))
        if line.rstrip().endswith("}"):
            break
    return stats


def start_scrapy(
    *args: str, database_url: str, log_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``scrapy`` in a subprocess that keeps running while the test acts on it (cuts the
    database, kills the process); the output goes to ``log_path``. Same environment rules as
    ``tests.conftest.run_scrapy``."""
    environment = {**os.environ, **(env or {})}
    environment["DATABASE_URL"] = database_url
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "scrapy", *args],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; True when it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


class TcpProxy:
    """A TCP proxy on 127.0.0.1 in front of a database server, which a test can cut and restore.

    Cutting closes every proxied connection and answers new ones with an immediate reset, as a
    network failure or a database restart would; the server itself keeps running.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.up = threading.Event()
        self.up.set()
        self.stopped = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self.up.clear()
        with self._lock:
            for sock in self._sockets:
                _abort(sock)
            self._sockets.clear()

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.stopped.set()
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                _abort(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _abort(client)
                continue
            with self._lock:
                self._sockets.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _relay(self, chunk: bytes, sink: socket.socket) -> None:
        """Forward what one side sent to the other (subclasses may hold it back)."""
        sink.sendall(chunk)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                self._relay(chunk, sink)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            with self._lock:
                self._sockets.discard(source)
                self._sockets.discard(sink)


def _abort(sock: socket.socket) -> None:
    """Abort the connection. ``shutdown`` first: closing alone would not wake a thread blocked
    in ``recv`` on it, and the peer would never learn the connection is gone."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
