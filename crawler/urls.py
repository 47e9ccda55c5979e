"""Canonical URLs: one spelling per article, whatever tracking parameters it was linked with."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidURL(ValueError):
    """Not an absolute http(s) URL."""


def _is_tracking(name: str, patterns: tuple[str, ...]) -> bool:
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern) for pattern in patterns)


def canonicalize_url(url: str, tracking_parameters: Iterable[str] = ()) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters,
    remaining query parameters sorted; path and parameter values are kept as they are because
    portals' paths are case-sensitive."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidURL(f"{url!r} is not an absolute http(s) URL")
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"{url!r} has an invalid port: {exc}") from None
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    patterns = tuple(pattern.lower() for pattern in tracking_parameters)
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name, patterns)
    ]
    query.sort()
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))
