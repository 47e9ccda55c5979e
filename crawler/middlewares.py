"""Downloader middlewares."""

from __future__ import annotations

from scrapy.http import Request, Response, TextResponse

from crawler.encoding import detect_html_encoding, normalize_encoding_name


class CharsetCorrectionMiddleware:
    """Decode pages with the encoding they are really in.

    Chinese portals often send GBK pages with ``charset=utf-8`` in the header (or none at all);
    Scrapy trusts the header, which turns the text into mojibake. We check the bytes and the
    page's own declaration and re-label the response when the header is wrong.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        header_charset = None
        for parameter in content_type.split(";")[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "charset":
                header_charset = value.strip().strip("\"'")
        detected = detect_html_encoding(response.body, header_charset)
        if normalize_encoding_name(response.encoding) == normalize_encoding_name(detected):
            return response
        return response.replace(encoding=detected)
