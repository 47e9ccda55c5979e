"""Per-site rules as data, and the registry that finds them.

A site is one small module in this package that defines ``SITE = Site(...)``: its listing URLs
and, optionally, selectors for article links, the next listing page and any article field. Every
field a site leaves out is filled by the generic extractor, so most sites need only a name and
their listing URLs. When a site's layout changes, define the new layout with
``dataclasses.replace(OLD, ...)`` changing only what changed and keep the old one in
``versions``; the spider tries versions newest first, falling back when a version's selectors
find nothing.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from crawler.urls import compile_url_aliases

ARTICLE_FIELDS = (
    "title",
    "source",
    "author",
    "published_at",
    "summary",
    "category",
    "body",
)


class UnknownSite(LookupError):
    """``-a site=NAME`` names no configured site."""


@dataclass(frozen=True)
class Site:
    """A configured portal.

    Selectors are CSS, or XPath when they start with ``/`` or ``(``. Field selectors may pick
    elements (their text is used; for ``body`` their HTML too) or text nodes.
    """

    name: str
    start_urls: tuple[str, ...]
    article_links: str | None = None
    next_page: str | None = None
    fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Elements removed from the body container before its text is taken (share bars, ads).
    body_exclude: tuple[str, ...] = ()
    max_pages: int | None = None
    # Mirror URLs of this portal mapped to one canonical form: (regex, replacement) pairs
    # matched against the canonical URL, first match wins, e.g. mobile -> desktop:
    # ((r"^https://m\.example\.com\.cn/(\w+)/(\d+)\.html$", r"https://www.example.com.cn/\1/\2.shtml"),)
    url_aliases: tuple[tuple[str, str], ...] = ()
    # Incremental crawling (None: the STOP_AT_KNOWN_LISTING / RECHECK_WINDOW_HOURS settings).
    # Stop following the pagination at a listing page whose articles are all stored; switch
    # off for listings that do not put new articles first (oldest-first archives).
    stop_at_known_listing: bool | None = None
    # Stored articles published (without a date: first seen) within this many hours are
    # fetched again on every run, to pick up corrections; 0 never re-fetches stored articles.
    recheck_window_hours: float | None = None
    # Older layouts still served for old articles, tried after this one.
    versions: tuple[Site, ...] = ()

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a site needs a name")
        if not self.start_urls:
            raise ValueError(f"site {self.name!r} has no start_urls")
        for url in self.start_urls:
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
                raise ValueError(f"site {self.name!r}: start URL {url!r} is not an http(s) URL")
        try:
            compile_url_aliases(self.url_aliases)
        except ValueError as exc:
            raise ValueError(f"site {self.name!r}: {exc}") from None
        if self.recheck_window_hours is not None and not self.recheck_window_hours >= 0:
            raise ValueError(
                f"site {self.name!r}: recheck_window_hours {self.recheck_window_hours!r} "
                "must be 0 or more hours"
            )
        unknown = set(self.fields) - set(ARTICLE_FIELDS)
        if unknown:
            raise ValueError(
                f"site {self.name!r}: unknown field(s) {sorted(unknown)}; "
                f"fields are {', '.join(ARTICLE_FIELDS)}"
            )

    @property
    def layouts(self) -> tuple[Site, ...]:
        """This layout first, then the older versions."""
        return (self, *self.versions)


def load_sites(package: str = __name__) -> dict[str, Site]:
    """Every ``SITE`` defined by a module of ``package``, by name."""
    module = importlib.import_module(package)
    sites: dict[str, Site] = {}
    for info in pkgutil.iter_modules(module.__path__):
        if info.name.startswith("_"):
            continue
        site_module = importlib.import_module(f"{package}.{info.name}")
        site = getattr(site_module, "SITE", None)
        if isinstance(site, Site):
            if site.name in sites:
                raise ValueError(f"two site modules define the site name {site.name!r}")
            sites[site.name] = site
    return sites


def get_site(name: str, package: str = __name__) -> Site:
    sites = load_sites(package)
    try:
        return sites[name]
    except KeyError:
        known = ", ".join(sorted(sites)) or "none"
        raise UnknownSite(f"unknown site {name!r}; configured sites: {known}") from None
