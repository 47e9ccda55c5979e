"""Generic article extraction: page in, article fields out, no Scrapy dependency."""

from crawler.extraction.article import ExtractedArticle, extract_article

__all__ = ["ExtractedArticle", "extract_article"]
