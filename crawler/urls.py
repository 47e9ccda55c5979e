"""Canonical URLs: one spelling per article, whatever tracking parameters it was linked with,
and whichever of a portal's mirrors (mobile, desktop, print) it was fetched from."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidURL(ValueError):
    """Not an absolute http(s) URL."""


UrlAlias = tuple[re.Pattern[str], str]


def compile_url_aliases(aliases: Iterable[Sequence[str]]) -> tuple[UrlAlias, ...]:
    """``(regex, replacement)`` pairs as plain data (site rules, settings) -> compiled rules.

    A pattern is matched against the already canonical URL (lower-case host, no default port,
    sorted query without tracking parameters), so rules need not spell those variations; the
    replacement uses ``re.sub`` syntax (``\\1``, ``\\g<name>``). A bad rule fails here, when
    the crawl starts, with the rule in the message.
    """
    compiled = []
    for alias in aliases:
        if isinstance(alias, str) or len(alias) != 2:
            raise ValueError(f"URL alias {alias!r} is not a (regex, replacement) pair")
        pattern, replacement = alias
        try:
            compiled.append((re.compile(pattern), replacement))
        except re.error as exc:
            raise ValueError(f"URL alias pattern {pattern!r} is not a valid regex: {exc}") from None
    return tuple(compiled)


def apply_url_aliases(url: str, aliases: Iterable[UrlAlias]) -> str:
    """The first rule whose pattern matches rewrites the URL; later rules are not applied, so
    rule order decides and a rule cannot undo another."""
    for pattern, replacement in aliases:
        if pattern.search(url):
            return pattern.sub(replacement, url, count=1)
    return url


def _is_tracking(name: str, patterns: tuple[str, ...]) -> bool:
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern) for pattern in patterns)


def canonicalize_url(
    url: str, tracking_parameters: Iterable[str] = (), aliases: Sequence[UrlAlias] = ()
) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters,
    remaining query parameters sorted; path and parameter values are kept as they are because
    portals' paths are case-sensitive. Then the first matching alias rule (compiled with
    ``compile_url_aliases``) maps mirror URLs to one form, which is normalized again."""
    canonical = _canonicalize(url, tracking_parameters)
    if not aliases:
        return canonical
    aliased = apply_url_aliases(canonical, aliases)
    return canonical if aliased == canonical else _canonicalize(aliased, tracking_parameters)


def _canonicalize(url: str, tracking_parameters: Iterable[str]) -> str:
    try:
        parts = urlsplit(url.strip())
        hostname = parts.hostname
    except ValueError as exc:  # e.g. "Invalid IPv6 URL" for a broken [..] host
        raise InvalidURL(f"{url!r} is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not hostname:
        raise InvalidURL(f"{url!r} is not an absolute http(s) URL")
    host = hostname.lower().rstrip(".")
    if not host:
        raise InvalidURL(f"{url!r} has no host name")
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
    # A fragment or empty query after trailing whitespace leaves that whitespace at the end
    # (``/a\x0c#top``); strip it, or canonicalizing the result again would change it.
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), "")).rstrip()
