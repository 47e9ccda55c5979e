"""Turning an article response into an ArticleItem: site rules first, generic extractor after.

This is a function of the response alone, so it is tested on saved pages without a crawl.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from itemloaders.processors import Identity, Join, MapCompose, TakeFirst
from lxml import etree
from parsel import Selector
from scrapy.http import TextResponse
from scrapy.loader import ItemLoader

from crawler.extraction import ExtractedArticle, extract_article
from crawler.extraction.article import author_from_markup, source_from_markup
from crawler.extraction.dom import drop_all_keeping_tails
from crawler.items import ArticleItem
from crawler.processors import (
    AUTHOR_LABELS,
    SOURCE_LABELS,
    SUMMARY_LABELS,
    breadcrumb_parts,
    clean_multiline,
    clean_text,
    html_to_text,
    sanitize_html,
    strip_label,
    to_datetime,
)
from crawler.sites import ARTICLE_FIELDS, Site


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class ArticleLoader(ItemLoader):
    """Input processors clean each raw value; output processors pick or join them."""

    default_item_class = ArticleItem
    default_input_processor = MapCompose(clean_text)
    default_output_processor = TakeFirst()

    source_in = MapCompose(lambda value: strip_label(value, SOURCE_LABELS))
    author_in = MapCompose(lambda value: strip_label(value, AUTHOR_LABELS))
    summary_in = MapCompose(lambda value: strip_label(value, SUMMARY_LABELS, whole_line=True))
    published_at_in = MapCompose(to_datetime)
    category_in = MapCompose(breadcrumb_parts)
    category_out = Identity()
    body_in = MapCompose(clean_multiline)
    body_out = Join("\n")
    body_html_in = MapCompose(sanitize_html)
    body_html_out = Join("\n")

    def load_item(self) -> Any:
        item = super().load_item()
        if item.category is not None:
            item.category = _unique(item.category) or None
        return item


def _select(page: Selector, expression: str) -> Any:
    if expression.startswith(("/", "(")):
        return page.xpath(expression)
    return page.css(expression)


def _node_text(node: Selector) -> str | None:
    """Text of a selected node: an element's text with its block structure, or a text node."""
    if isinstance(node.root, str):
        return node.root
    return html_to_text(node.get())


def _without(node: Selector, exclude: tuple[str, ...]) -> str:
    """The node's HTML with the excluded descendants removed, leaving the shared tree intact."""
    if not exclude or isinstance(node.root, str):
        whole: str = node.get()
        return whole
    element = copy.deepcopy(node.root)
    pruned = Selector(root=element, type="html")
    drop_all_keeping_tails(
        unwanted.root
        for expression in exclude
        for unwanted in _select(pruned, expression)
        if not isinstance(unwanted.root, str)
    )
    pruned_html: str = etree.tostring(element, encoding="unicode", method="html")
    return pruned_html


# A site's source/author selector often picks a whole info line or adjacent spans run together
# ("来源：亿欧网记者 黄晓明"): the generic extractor's byline cleaners know those shapes.
BYLINE_CLEANERS: dict[str, Callable[[list[str]], str | None]] = {
    "source": source_from_markup,
    "author": author_from_markup,
}


def _byline_value(field_name: str, text: str | None) -> str | None:
    """The name in a site-selected source/author text; the text itself when the cleaner finds
    no name in it (the loader's label stripping still applies: the site chose this node)."""
    if not text:
        return text
    return BYLINE_CLEANERS[field_name]([text]) or text


def _apply_rules(loader: ArticleLoader, page: Selector, site: Site) -> bool:
    """Load the fields ``site`` has selectors for; False when its title/body find nothing."""
    found_any = False
    for field_name, expression in site.fields.items():
        nodes = _select(page, expression)
        if not nodes:
            continue
        found_any = True
        if field_name == "body":
            fragments = [_without(node, site.body_exclude) for node in nodes]
            loader.add_value("body", [html_to_text(fragment) for fragment in fragments])
            loader.add_value("body_html", fragments)
        else:
            texts = [_node_text(node) for node in nodes]
            if field_name in BYLINE_CLEANERS:
                texts = [_byline_value(field_name, text) for text in texts]
            loader.add_value(field_name, texts)
    required = [name for name in ("title", "body") if name in site.fields]
    return found_any and all(loader.get_collected_values(name) for name in required)


def build_article(
    response: TextResponse,
    site: Site | None = None,
    *,
    site_name: str | None = None,
    generic: Callable[[Selector, str], ExtractedArticle] = extract_article,
) -> ArticleItem:
    """The article on ``response``: site selectors first, generic extraction for the rest."""
    # The response's own selector: given only the response, ItemLoader parses the page again.
    page = response.selector
    loader = ArticleLoader(item=ArticleItem(url=response.url), selector=page, response=response)
    if site is not None:
        for layout in site.layouts:
            if not layout.fields:
                break
            trial = ArticleLoader(
                item=ArticleItem(url=response.url), selector=page, response=response
            )
            if _apply_rules(trial, page, layout):
                loader = trial
                break
    missing = [
        name for name in (*ARTICLE_FIELDS, "body_html") if not loader.get_collected_values(name)
    ]
    if missing:
        extracted = generic(page, response.url)
        for name in missing:
            value = getattr(extracted, name)
            if value is not None:
                loader.add_value(name, value)
    item: ArticleItem = loader.load_item()
    item.site = site_name or (site.name if site else None)
    item.canonical_url = canonical_link(response)
    return item


def canonical_link(response: TextResponse) -> str | None:
    """The page's ``<link rel=canonical>`` (or og:url), absolute, when it is an http(s) URL."""
    href = response.xpath(
        "//link[translate(@rel,'CANONIAL','canonial')='canonical']/@href"
        " | //meta[@property='og:url']/@content"
    ).get()
    if not href or not href.strip():
        return None
    url = response.urljoin(href.strip())
    return url if url.startswith(("http://", "https://")) else None
