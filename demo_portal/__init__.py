"""An offline demo Chinese news portal, served on 127.0.0.1 by the project itself.

It is the target of the README's demo crawl and of the end-to-end crawl tests: two
sections in two deliberately different styles (modern UTF-8 and legacy GBK with lying
headers), realistic boilerplate, and ground truth (``Portal.articles``) to compare the
crawler's stored rows against.

    from demo_portal import build_portal, start_server, stop_server
    server, base_url = start_server(portal=build_portal(articles_per_section=5))
"""

from demo_portal.content import DemoArticle, Page, Portal, Section, build_portal
from demo_portal.server import start_server, stop_server

__all__ = [
    "DemoArticle",
    "Page",
    "Portal",
    "Section",
    "build_portal",
    "start_server",
    "stop_server",
]
