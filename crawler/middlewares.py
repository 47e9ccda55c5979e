"""Downloader middlewares."""

from __future__ import annotations

import logging
from typing import NoReturn

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

from crawler.encoding import detect_html_encoding, normalize_encoding_name
from crawler.security import Refusal, parse_allowlist, refused_host_reason, request_refusal

logger = logging.getLogger(__name__)


class RefusedRequest(IgnoreRequest):
    """The SSRF guard refused a request; it is counted and logged where it is raised."""


class AddressGuardMiddleware:
    """Refuse non-http(s) URLs and, unless ALLOW_PRIVATE_NETWORKS, non-public addresses.

    Runs after RetryMiddleware on the way out (priority 560) so a refused request is never
    retried, and sees every request again after a redirect, so a public page cannot bounce
    the crawler into a private network. Names that only *resolve* to private addresses are
    refused by ``crawler.security.GuardedResolver``; their failed lookups come back through
    ``process_exception`` and are counted here as refusals, not as network errors.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.allow_private = settings.getbool("ALLOW_PRIVATE_NETWORKS")
        self.allowlist = parse_allowlist(settings.getlist("PRIVATE_NETWORK_ALLOWLIST"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        refusal = request_refusal(
            request.url, allow_private=self.allow_private, allowlist=self.allowlist
        )
        if refusal is not None:
            self._refuse(request, refusal)

    def process_exception(self, request: Request, exception: Exception) -> None:
        # Scrapy's HTTP handler re-raises Twisted's DNSLookupError as CannotResolveHostError.
        if self.allow_private or not isinstance(exception, CannotResolveHostError | DNSLookupError):
            return None
        reason = refused_host_reason(urlparse_cached(request).hostname)
        if reason is not None:
            self._refuse(request, Refusal("refused_address", reason))
        return None

    def _refuse(self, request: Request, refusal: Refusal) -> NoReturn:
        # robots.txt lookups are the crawler's own requests; the page behind them is counted.
        if request.meta.get("dont_obey_robotstxt"):
            logger.debug("Refused %s: %s", request.url, refusal.detail)
        else:
            self.crawler.stats.inc_value(f"pages/skipped/{refusal.kind}")
            logger.warning("Refused %s: %s", request.url, refusal.detail)
        raise RefusedRequest(f"refused: {refusal.detail}")


# Signatures of formats that are never HTML, whatever the Content-Type says.
_BINARY_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"PK\x03\x04",  # zip, docx, xlsx
    b"\x1f\x8b",  # gzip that was not decoded
    b"RIFF",  # webp, wav, avi
    b"\xd0\xcf\x11\xe0",  # doc, xls
    b"7z\xbc\xaf",
    b"Rar!",
)


def looks_binary(body: bytes) -> bool:
    """True for bodies that are files, not text: a known file signature, or NUL bytes early on.

    HTML in any charset a Chinese portal uses (UTF-8, GBK, GB18030, Big5) never contains NUL;
    UTF-16 pages would, so a UTF-16 byte order mark is let through.
    """
    head = body[:1024].lstrip()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return head.startswith(_BINARY_MAGIC) or b"\x00" in head


class BinaryContentMiddleware:
    """Turn binary bodies served as text (an image behind ``/news/123.html``) into plain
    Responses, so the spider skips them as ``not_html`` instead of extracting noise from them.

    Sits between decompression (590) and charset correction (580) on the way in.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BinaryContentMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not looks_binary(response.body):
            return response
        self.crawler.stats.inc_value("pages/binary_as_text")
        logger.info("%s is binary content served as text; treating it as a file", response.url)
        headers = response.headers.copy()
        headers[b"Content-Type"] = b"application/octet-stream"
        return Response(
            url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            flags=response.flags,
            request=response.request,
            certificate=response.certificate,
            ip_address=response.ip_address,
            protocol=response.protocol,
        )


class RedirectLoopCounter:
    """Count redirects that lead back to a URL already requested, which Scrapy drops silently.

    A redirect loop (A -> B -> A, or A -> A) ends in the scheduler's duplicate filter with
    only a DEBUG line, so the page would vanish from the run summary. The ``request_dropped``
    signal sees it; a target inside the request's own redirect chain is a loop
    (``pages/skipped/redirect_loop``), any other already-seen target is an ordinary page
    reached twice (``pages/skipped/redirect_to_seen``). Not a downloader hook: it is listed
    with the downloader middlewares only because that is where redirects are configured.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLoopCounter:
        return cls(crawler)

    def request_dropped(self, request: Request) -> None:
        chain = request.meta.get("redirect_urls")
        if not chain:
            return
        if request.url in chain:
            self.crawler.stats.inc_value("pages/skipped/redirect_loop")
            logger.warning("Redirect loop: %s -> %s", " -> ".join(chain), request.url)
        else:
            self.crawler.stats.inc_value("pages/skipped/redirect_to_seen")
            logger.info("%s redirects to %s, already requested", chain[0], request.url)


class CharsetCorrectionMiddleware:
    """Decode pages with the encoding they are really in.

    Chinese portals often send GBK pages with ``charset=utf-8`` in the header (or none at all);
    Scrapy trusts the header, which turns the text into mojibake. We check the bytes and the
    page's own declaration and re-label the response when the header is wrong.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        header_charset = None
        for parameter in content_type.split(";")[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "charset":
                header_charset = value.strip().strip("\"'")
        detected = detect_html_encoding(response.body, header_charset)
        if normalize_encoding_name(response.encoding) == normalize_encoding_name(detected):
            return response
        return response.replace(encoding=detected)
