"""Data types shared by the portal generator (content.py) and the HTML renderer (render.py).

They live in their own module so that the renderer can use them without importing the
generator, which in turn imports the renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


@dataclass(frozen=True)
class Page:
    """One servable resource: the exact bytes and the exact Content-Type header to send.

    The header is stored verbatim (rather than derived from an encoding) because several
    pages deliberately send a missing or wrong charset; the server must not "fix" it.
    """

    body: bytes
    content_type_header: str


@dataclass(frozen=True)
class DemoArticle:
    """Ground truth for one article URL: what a correct crawl should store for it.

    ``body`` is the reader-visible article text, one block per line: paragraphs,
    subheadings and image captions in page order, stripped of indentation, without the
    summary, bylines, editor line, share buttons or related links.
    """

    url_path: str
    title: str
    source: str
    author: str | None
    published_at: datetime
    summary: str | None
    category: list[str]
    body: str
    section: str
    """Slug of the section whose listings link to this article ("fintech" or "cloud")."""
    encoding: str
    """Real encoding of the page bytes ("utf-8" or "gbk"), whatever the header claims."""
    duplicate_of: str | None = None
    """url_path of the original when this URL is a syndicated copy of the same story."""
    image_caption: str | None = None
    """Caption under the inline image, if the article has one (it is also in ``body``)."""

    def __hash__(self) -> int:
        # The generated hash would hash ``category`` (a list) and raise; the URL path
        # identifies an article, and tests like to put articles in sets.
        return hash(self.url_path)

    @property
    def paragraphs(self) -> list[str]:
        """The body split back into its blocks, for per-paragraph assertions."""
        return self.body.split("\n")


@dataclass(frozen=True)
class Section:
    """A channel with paginated listings; ``listing_items[i]`` lists the articles on page i."""

    slug: str
    name: str
    encoding: str
    root_path: str
    """Directory URL ("/fintech/") that serves the same bytes as the first listing page."""
    listing_paths: list[str]
    listing_items: list[list[str]]


class BlockKind(Enum):
    """How one body block is marked up; the renderer picks the markup per section style."""

    PARAGRAPH = "p"
    HEADING = "h3"
    IMAGE = "img"


@dataclass(frozen=True)
class Block:
    """One block of an article body; for IMAGE blocks ``text`` is the caption."""

    kind: BlockKind
    text: str
    image_path: str | None = None


@dataclass
class ArticleLayout:
    """Everything the renderer needs for one generated article page beyond the ground truth.

    ``variant`` drives the per-article presentation choices (byline style, date format,
    header charset) so that the crawler meets every variant on a default-sized portal.
    """

    article: DemoArticle
    blocks: list[Block]
    variant: int
    editor: str
    related: list[DemoArticle] = field(default_factory=list)
    previous_article: DemoArticle | None = None
    next_article: DemoArticle | None = None
    attachment_path: str | None = None
    attachment_title: str | None = None
