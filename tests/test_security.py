"""Nobody let in: the SSRF guard, robots.txt, and database passwords kept out of the output.

The guard's decisions are unit-tested on ``ipaddress`` values and requests; the refusals are
then proven end to end with real crawls on 127.0.0.1, where loopback is exactly what a
default crawl must refuse. A "public" host for the redirect test is simulated with
``PRIVATE_NETWORK_ALLOWLIST=127.0.0.1/32``: the redirect targets stay forbidden.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any, cast

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler
from sqlalchemy.engine import make_url
from twisted.internet.error import DNSLookupError

from crawler.middlewares import AddressGuardMiddleware, RefusedRequest
from crawler.security import (
    GuardedResolver,
    RefusedAddress,
    address_refusal,
    parse_allowlist,
    request_refusal,
)
from tests.conftest import CrawlResult, rows, run_scrapy
from tests.fault_portal import FaultPortal, Route, article_html, crawl_stats

# --- Decisions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata service
        ("224.0.0.251", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "private"),  # Python files 240/4 under is_private as well
        ("100.64.0.1", "non-global"),  # carrier-grade NAT
        ("192.0.2.10", "private"),  # documentation range
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped: judged as the IPv4 address
        ("::ffff:10.0.0.1", "private"),
    ],
)
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "223.5.5.5", "2001:4860:4860::8888"])
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


def test_allowlist_opens_only_its_network() -> None:
    allowlist = parse_allowlist(["10.1.2.0/24"])
    assert address_refusal(ipaddress.ip_address("10.1.2.7"), allowlist) is None
    assert address_refusal(ipaddress.ip_address("10.1.3.7"), allowlist) == "private"
    with pytest.raises(ValueError, match="not an IP network"):
        parse_allowlist(["intranet"])


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://ftp.example.com/a.html",
        "gopher://example.com/",
        "data:text/html,<h1>x</h1>",
        "javascript:alert(1)",
        "s3://bucket/key",
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_non_http_schemes_are_refused_always(url: str, allow_private: bool) -> None:
    refusal = request_refusal(url, allow_private=allow_private)
    assert refusal is not None and refusal.kind == "refused_scheme"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765/news/",
        "http://localhost/",
        "http://LOCALHOST./admin",
        "http://metadata.localhost/",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "https://10.0.0.5/internal",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:6379/",
    ],
)
def test_private_urls_are_refused_unless_allowed(url: str) -> None:
    refusal = request_refusal(url, allow_private=False)
    assert refusal is not None and refusal.kind == "refused_address", refusal
    assert request_refusal(url, allow_private=True) is None


@pytest.mark.parametrize(
    "url", ["https://www.example.com.cn/finance/", "http://8.8.8.8/", "http://127.1/"]
)
def test_public_or_unresolved_urls_pass_the_url_check(url: str) -> None:
    """``127.1`` is not an IP literal; the resolver judges what it resolves to."""
    assert request_refusal(url, allow_private=False) is None


def _resolver(*, allow_private: bool = False, allowlist: tuple[str, ...] = ()) -> GuardedResolver:
    # No lookups happen in these tests, so no reactor is needed.
    return GuardedResolver(
        cast(Any, None), 0, 1.0, allow_private=allow_private, allowlist=parse_allowlist(allowlist)
    )


def test_resolver_refuses_names_resolving_to_private_addresses() -> None:
    resolver = _resolver()
    assert resolver.check_resolved("93.184.216.34", "www.example.com") == "93.184.216.34"
    with pytest.raises(RefusedAddress) as refused:
        resolver.check_resolved("10.0.0.8", "intranet.example.com")
    assert isinstance(refused.value, DNSLookupError)  # Twisted treats it as a failed lookup
    assert "private address 10.0.0.8" in str(refused.value)
    assert _resolver(allowlist=("10.0.0.0/8",)).check_resolved("10.0.0.8", "mirror") == "10.0.0.8"


def _guard(**settings: Any) -> tuple[AddressGuardMiddleware, Any]:
    crawler = get_crawler(settings_dict={"ALLOW_PRIVATE_NETWORKS": False, **settings})
    crawler.stats.open_spider()
    return AddressGuardMiddleware.from_crawler(crawler), crawler.stats


def test_middleware_refuses_a_redirect_into_a_private_network() -> None:
    guard, stats = _guard()
    guard.process_request(Request("https://www.example.com.cn/news/1.html"))  # no refusal
    redirected = Request(
        "http://169.254.169.254/latest/meta-data/",
        meta={"redirect_urls": ["https://www.example.com.cn/news/1.html"], "redirect_times": 1},
    )
    with pytest.raises(RefusedRequest, match=r"link-local address 169\.254\.169\.254"):
        guard.process_request(redirected)
    assert stats.get_value("pages/skipped/refused_address") == 1


def test_middleware_counts_resolver_refusals_as_refused_not_failed() -> None:
    guard, stats = _guard()
    with pytest.raises(RefusedAddress):
        _resolver().check_resolved("192.168.0.10", "router.example.com")
    request = Request("http://router.example.com/admin")
    with pytest.raises(RefusedRequest, match=r"resolves to private address 192\.168\.0\.10"):
        guard.process_exception(request, DNSLookupError("no results for hostname lookup"))
    assert stats.get_value("pages/skipped/refused_address") == 1
    # an ordinary failed lookup stays an error for RetryMiddleware and the errback
    other = Request("http://no-such-host.example.com/")
    guard.process_exception(other, DNSLookupError("no results"))  # does not raise


# --- Real crawls -------------------------------------------------------------------------------


def redirect_to(target: str) -> Route:
    def route(handler: Any, attempt: int) -> None:
        handler.redirect(target)

    return route


@pytest.fixture
def guarded_portal() -> Iterator[FaultPortal]:
    portal = FaultPortal()
    portal.routes["/a/ok.html"] = lambda handler, attempt: handler.send_page(
        article_html("金融云平台通过安全评估正式上线")
    )
    portal.routes["/secret"] = lambda handler, attempt: handler.send_page(
        article_html("内网管理后台不应被抓取的页面")
    )
    portal.start()
    port = portal.port
    redirects = {
        "/r/literal.html": f"http://127.0.0.2:{port}/secret",
        "/r/localhost.html": f"http://localhost:{port}/secret",
        "/r/numeric.html": f"http://2130706434:{port}/secret",  # 127.0.0.2, via the resolver
        "/r/metadata.html": "http://169.254.169.254/latest/meta-data/",
    }
    for path, target in redirects.items():
        portal.routes[path] = redirect_to(target)
    portal.add_listing(
        [
            ("/a/ok.html", "金融云平台通过安全评估正式上线"),
            ("/r/literal.html", "重定向到内网地址的文章链接一"),
            ("/r/localhost.html", "重定向到本机名称的文章链接二"),
            ("/r/numeric.html", "重定向到数字形式地址的链接三"),
            ("/r/metadata.html", "重定向到云元数据服务的链接四"),
        ]
    )
    yield portal
    portal.stop()


def guarded_crawl(start_url: str, database_url: str, *settings: str) -> CrawlResult:
    arguments = [item for setting in settings for item in ("-s", setting)]
    return run_scrapy(
        "crawl",
        "portal",
        "-a",
        f"start_url={start_url}",
        "-s",
        "STATS_DUMP=True",
        *arguments,
        database_url=database_url,
    )


def test_page_on_loopback_is_refused_by_default(
    guarded_portal: FaultPortal, sqlite_url: str
) -> None:
    result = guarded_crawl(f"{guarded_portal.base_url}/list.html", sqlite_url)
    assert result.returncode == 0, result.output[-3000:]
    assert not guarded_portal.request_counts, "nothing may reach the server, not even robots.txt"
    assert crawl_stats(result.output)["pages/skipped/refused_address"] == 1
    assert f"Refused {guarded_portal.base_url}/list.html: loopback address 127.0.0.1" in (
        result.output
    )
    assert "skipped pages   1 (refused_address: 1)" in result.output
    assert rows(sqlite_url) == []
    # no code-execution or shell endpoint is opened by a crawl (Scrapy's remote control and
    # telnet console are on by default in Scrapy itself)
    assert "Remote control HTTP server listening" not in result.output
    assert "Telnet console listening" not in result.output


def test_name_resolving_to_loopback_is_refused_by_the_resolver(
    guarded_portal: FaultPortal, sqlite_url: str
) -> None:
    """``127.1`` passes every URL check; only the resolver sees it is 127.0.0.1."""
    start_url = f"http://127.1:{guarded_portal.port}/list.html"
    refused = guarded_crawl(start_url, sqlite_url)
    assert refused.returncode == 0, refused.output[-3000:]
    assert not guarded_portal.request_counts
    assert "127.1 resolves to loopback address 127.0.0.1" in refused.output
    assert crawl_stats(refused.output)["pages/skipped/refused_address"] == 1
    assert "pages/failed" not in crawl_stats(refused.output)
    # the same URL is crawled when private networks are allowed: the name itself works
    allowed = guarded_crawl(start_url, sqlite_url, "ALLOW_PRIVATE_NETWORKS=True")
    assert allowed.returncode == 0, allowed.output[-3000:]
    assert guarded_portal.request_counts["/list.html"] == 1


def test_redirects_from_an_allowed_host_into_private_addresses_are_refused(
    guarded_portal: FaultPortal, sqlite_url: str
) -> None:
    result = guarded_crawl(
        f"{guarded_portal.base_url}/list.html",
        sqlite_url,
        "PRIVATE_NETWORK_ALLOWLIST=127.0.0.1/32",
    )
    assert result.returncode == 0, result.output[-3000:]
    stats = crawl_stats(result.output)
    assert stats["pages/skipped/refused_address"] == 4
    assert "pages/failed" not in stats  # refusals are not network errors
    assert guarded_portal.request_counts["/secret"] == 0
    for reason in (
        "loopback address 127.0.0.2",
        "localhost is a loopback name",
        "2130706434 resolves to loopback address 127.0.0.2",
        "link-local address 169.254.169.254",
    ):
        assert reason in result.output
    assert [row["title"] for row in rows(sqlite_url)] == ["金融云平台通过安全评估正式上线"]


def test_robots_txt_disallow_is_obeyed_by_default(sqlite_url: str) -> None:
    portal = FaultPortal(robots_txt="User-agent: *\nDisallow: /private/\n")
    portal.routes["/a/ok.html"] = lambda handler, attempt: handler.send_page(
        article_html("公开的金融科技新闻可以抓取")
    )
    portal.routes["/private/secret.html"] = lambda handler, attempt: handler.send_page(
        article_html("站长不希望被抓取的内部文章")
    )
    portal.add_listing(
        [
            ("/a/ok.html", "公开的金融科技新闻可以抓取"),
            ("/private/secret.html", "站长不希望被抓取的内部文章"),
        ]
    )
    portal.start()
    try:
        result = guarded_crawl(
            f"{portal.base_url}/list.html", sqlite_url, "ALLOW_PRIVATE_NETWORKS=True"
        )
    finally:
        portal.stop()
    assert result.returncode == 0, result.output[-3000:]
    assert portal.request_counts["/robots.txt"] == 1
    assert portal.request_counts["/private/secret.html"] == 0
    assert [row["title"] for row in rows(sqlite_url)] == ["公开的金融科技新闻可以抓取"]
    assert "skipped pages   1 (robots_txt: 1)" in result.output
    assert "errors          0" in result.output


PASSWORD = "Pw-s3cret-4Crawl"


def test_database_password_never_printed(guarded_portal: FaultPortal, postgres_url: str) -> None:
    """The local server trusts 127.0.0.1, so any password is accepted and must stay hidden."""
    url = make_url(postgres_url).set(password=PASSWORD).render_as_string(hide_password=False)
    start_url = f"{guarded_portal.base_url}/list.html"
    arguments = ("-s", "ALLOW_PRIVATE_NETWORKS=True", "-s", "LOG_LEVEL=DEBUG")
    from_environment = run_scrapy(
        "crawl", "portal", "-a", f"start_url={start_url}", *arguments, database_url=url
    )
    assert from_environment.returncode == 0, from_environment.output[-3000:]
    assert rows(url), "the crawl stored through the URL with the password"
    from_setting = run_scrapy(
        "crawl", "portal", "-a", f"start_url={start_url}", *arguments, "-s", f"DATABASE_URL={url}"
    )
    assert from_setting.returncode == 0, from_setting.output[-3000:]
    # a database that is down: the error line names it, without the password
    down = make_url(url).set(port=1).render_as_string(hide_password=False)
    unreachable = run_scrapy(
        "crawl", "portal", "-a", f"start_url={start_url}", *arguments, database_url=down
    )
    assert unreachable.returncode == 1
    assert "error: cannot open database postgresql+psycopg://postgres:***@" in unreachable.stderr
    for result in (from_environment, from_setting, unreachable):
        assert PASSWORD not in result.output
