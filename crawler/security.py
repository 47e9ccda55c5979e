"""The SSRF guard: the crawler fetches public http(s) pages and nothing else.

A crawler follows links other people wrote, so a listing page (or a redirect) can point it at
``http://169.254.169.254/`` (cloud metadata), ``http://localhost:6379/`` or an intranet host.
Two layers refuse such requests, and both are needed:

* ``AddressGuardMiddleware`` (``crawler.middlewares``) checks every request before it is sent,
  redirects included, because Scrapy passes redirected requests through the middlewares again.
  It can only judge what the URL itself says: the scheme, IP literals, ``localhost`` names.
* ``GuardedResolver`` is installed as Scrapy's DNS resolver, which every connection goes
  through; it refuses names that *resolve* to a forbidden address (``intranet.example.com``,
  ``127.1``, ``2130706433``), which no URL check can see. Resolution results are checked on
  every lookup, cached ones included, so a changed DNS answer cannot slip through.

``ALLOW_PRIVATE_NETWORKS = True`` turns the address checks off (the demo and the tests);
``PRIVATE_NETWORK_ALLOWLIST`` opens single networks (an intranet mirror). The scheme check
always applies.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.base import ReactorBase
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})

# Host name -> why its address was refused, filled by GuardedResolver and read by the
# middleware: Twisted turns every resolver failure into a bare "no results" DNSLookupError, so
# the reason has to travel beside the exception. Bounded: a crawl refuses few distinct hosts.
_REFUSED_HOSTS: dict[str, str] = {}
_REFUSED_HOSTS_LIMIT = 10_000


@dataclass(frozen=True)
class Refusal:
    """Why a request may not be sent: ``kind`` names the summary counter, ``detail`` the log."""

    kind: str  # "refused_scheme" or "refused_address"
    detail: str


class RefusedAddress(DNSLookupError):
    """A host name resolved to an address the crawler must not connect to.

    A ``DNSLookupError`` so that Twisted's resolver glue treats it as an ordinary failed
    lookup instead of logging it as an unexpected error.
    """


def parse_allowlist(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Networks from ``PRIVATE_NETWORK_ALLOWLIST``; a wrong entry is a setting error."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"PRIVATE_NETWORK_ALLOWLIST entry {value!r} is not an IP network"
            ) from None
    return tuple(networks)


def address_refusal(address: IPAddress, allowlist: Sequence[IPNetwork] = ()) -> str | None:
    """The kind of non-public address ``address`` is, or None when it is public (or allowed).

    IPv4-mapped IPv6 addresses (``::ffff:127.0.0.1``) are judged as the IPv4 address they
    carry, since that is where the connection goes.
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address.version == network.version and address in network for network in allowlist):
        return None
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "non-global"  # shared address space (100.64/10), documentation ranges, ...
    return None


def host_refusal(host: str, allowlist: Sequence[IPNetwork] = ()) -> str | None:
    """What the host part of a URL alone says: IP literals and ``localhost`` names.

    Other names return None here; the resolver judges the addresses they resolve to.
    """
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
        return f"{name} is a loopback name"
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])  # drop an IPv6 zone index
    except ValueError:
        return None
    kind = address_refusal(address, allowlist)
    return f"{kind} address {address}" if kind else None


def request_refusal(
    url: str, *, allow_private: bool, allowlist: Sequence[IPNetwork] = ()
) -> Refusal | None:
    """Whether a request for ``url`` must be refused before it is sent, and why."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:  # e.g. an unbalanced '[' in the host
        return Refusal("refused_address", f"unparseable host ({exc})")
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return Refusal("refused_scheme", f"scheme {parts.scheme or 'missing'!r} is not http(s)")
    if not host:
        return Refusal("refused_address", "no host name")
    if allow_private:
        return None
    reason = host_refusal(host, allowlist)
    return Refusal("refused_address", reason) if reason else None


def refused_host_reason(host: str | None) -> str | None:
    """Why GuardedResolver refused ``host`` in this process, if it did."""
    if not host:
        return None
    return _REFUSED_HOSTS.get(host.rstrip(".").lower())


def _remember_refusal(host: str, reason: str) -> None:
    if len(_REFUSED_HOSTS) >= _REFUSED_HOSTS_LIMIT:
        _REFUSED_HOSTS.clear()
    _REFUSED_HOSTS[host.rstrip(".").lower()] = reason


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to non-public addresses.

    Installed through the ``TWISTED_DNS_RESOLVER`` setting. Scrapy builds the resolver from
    the process settings, so ``-s ALLOW_PRIVATE_NETWORKS=True`` reaches it like any setting.
    """

    def __init__(
        self,
        reactor: ReactorBase,
        cache_size: int,
        timeout: float,
        *,
        allow_private: bool = False,
        allowlist: Sequence[IPNetwork] = (),
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.allow_private = allow_private
        self.allowlist = tuple(allowlist)

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> GuardedResolver:
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(
            reactor,
            cache_size,
            settings.getfloat("DNS_TIMEOUT"),
            allow_private=settings.getbool("ALLOW_PRIVATE_NETWORKS"),
            allowlist=parse_allowlist(settings.getlist("PRIVATE_NETWORK_ALLOWLIST")),
        )

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        resolving = super().getHostByName(name, timeout)
        if self.allow_private:
            return resolving
        resolving.addCallback(self.check_resolved, name)
        return resolving

    def check_resolved(self, address: Any, name: str) -> Any:
        """Pass ``address`` on when it is public; otherwise remember why and fail the lookup."""
        try:
            parsed = ipaddress.ip_address(str(address))
        except ValueError:
            reason: str | None = f"{name} resolved to something that is not an address"
        else:
            kind = address_refusal(parsed, self.allowlist)
            reason = f"{name} resolves to {kind} address {parsed}" if kind else None
        if reason is None:
            return address
        _remember_refusal(name, reason)
        raise RefusedAddress(name, reason)
