"""A tiny threaded HTTP server that serves a pre-rendered ``Portal`` from memory.

Like a real portal behind nginx it sends ``ETag`` and ``Last-Modified`` with every page and
answers conditional requests (``If-None-Match``, ``If-Modified-Since``) with ``304 Not
Modified`` when the page is unchanged, so incremental re-crawls can be measured against it.

Why the standard library server: the demo and the test suite must run offline with no
extra dependencies, and all pages are rendered up front, so a request is just a dict
lookup plus a write.  HTTP/1.1 keep-alive is enabled because Scrapy reuses connections;
without it every request pays a TCP handshake and the crawl tests slow down noticeably.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections import Counter
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from demo_portal.content import Page, Portal, build_portal

__all__ = ["DemoPortalServer", "start_server", "stop_server"]


class DemoPortalServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that also holds the page table and counts requests per path.

    The counters let tests assert crawl behaviour (e.g. that a page was fetched only
    once, or that robots.txt was consulted) without parsing logs.
    """

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: with a crawler's 8-32 connections the kernel
    # drops SYNs and the client retries after a second, which looks like a slow crawler.
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], portal: Portal, *, log_requests: bool = False
    ) -> None:
        self.portal = portal
        self.page_table: dict[str, Page] = portal.pages()
        self.log_requests = log_requests
        self.request_counts: Counter[str] = Counter()
        self.not_modified_counts: Counter[str] = Counter()
        # False: behave like a server without validators (no ETag/Last-Modified, never 304)
        self.conditional_requests = True
        # paths answered 500 Internal Server Error, for tests of failing pages
        self.failing_paths: set[str] = set()
        self._count_lock = threading.Lock()
        self._started = time.time()
        # path -> (ETag, Last-Modified as a Unix time): a body served for the first time
        # counts as modified when the server started or, when a test swaps it, at that moment
        self._versions: dict[str, tuple[str, float]] = {}
        super().__init__(address, _PortalRequestHandler)

    def count(self, path: str) -> None:
        with self._count_lock:
            self.request_counts[path] += 1

    def count_not_modified(self, path: str) -> None:
        with self._count_lock:
            self.not_modified_counts[path] += 1

    def validators(self, path: str, body: bytes) -> tuple[str, str]:
        """``(ETag, Last-Modified)`` of the body now served at ``path``."""
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"'
        with self._count_lock:
            known = self._versions.get(path)
            if known is None or known[0] != etag:
                known = (etag, self._started if known is None else time.time())
                self._versions[path] = known
        return etag, formatdate(known[1], usegmt=True)


class _PortalRequestHandler(BaseHTTPRequestHandler):
    """Serves exact bytes and the stored Content-Type, including the deliberately wrong ones."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, the second one
    # waits for the client's delayed ACK (~40 ms) and keep-alive throughput collapses.
    disable_nagle_algorithm = True
    server: DemoPortalServer
    server_version = "nginx/1.14.0"
    sys_version = ""

    def do_GET(self) -> None:
        self._respond(include_body=True)

    def do_HEAD(self) -> None:
        self._respond(include_body=False)

    def _respond(self, *, include_body: bool) -> None:
        path = urlsplit(self.path).path or "/"
        self.server.count(path)
        page = self.server.page_table.get(path)
        if path in self.server.failing_paths:
            error = Page(b"<html><body>500 Internal Server Error</body></html>", "text/html")
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, error, include_body=include_body)
            return
        if page is not None:
            if self.server.conditional_requests:
                etag, last_modified = self.server.validators(path, page.body)
                if self._not_modified(etag, last_modified):
                    self.server.count_not_modified(path)
                    self.send_response(HTTPStatus.NOT_MODIFIED)
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", last_modified)
                    self.end_headers()
                    return
                extra = {"ETag": etag, "Last-Modified": last_modified}
            else:
                extra = {}
            self._send(HTTPStatus.OK, page, include_body=include_body, extra_headers=extra)
            return
        if not path.endswith("/") and f"{path}/" in self.server.page_table:
            # Real servers redirect directory URLs without the trailing slash.
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", f"{path}/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(
            HTTPStatus.NOT_FOUND, self.server.portal.not_found_page(path), include_body=include_body
        )

    def _not_modified(self, etag: str, last_modified: str) -> bool:
        """RFC 9110 13.2.2: If-None-Match decides when present, else If-Modified-Since."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since is None:
            return False
        try:
            return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False  # an unparseable date is ignored, as nginx does

    def _send(
        self,
        status: HTTPStatus,
        page: Page,
        *,
        include_body: bool,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", page.content_type_header)
        self.send_header("Content-Length", str(len(page.body)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if include_body:
            self.wfile.write(page.body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent unless asked: a crawl makes hundreds of requests and would flood stderr."""
        if self.server.log_requests:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


def start_server(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    portal: Portal | None = None,
    log_requests: bool = False,
) -> tuple[ThreadingHTTPServer, str]:
    """Start serving ``portal`` (default: ``build_portal()``) on a daemon thread.

    ``port=0`` picks a free port, which is what tests should use; the returned base URL
    (no trailing slash) carries the real port.
    """
    server = DemoPortalServer((host, port), portal or build_portal(), log_requests=log_requests)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    if isinstance(bound_host, bytes):
        bound_host = bound_host.decode()
    return server, f"http://{bound_host}:{bound_port}"


def stop_server(server: ThreadingHTTPServer) -> None:
    """Stop the serve loop and release the socket (safe to call from any thread)."""
    server.shutdown()
    server.server_close()
