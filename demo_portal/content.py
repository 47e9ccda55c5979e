"""The demo portal's site model: sections, articles (the ground truth) and rendered pages.

Everything is generated in memory from seeded RNGs, so two ``build_portal()`` calls with
the same arguments produce byte-identical pages, and tests can compare what the crawler
stored against ``Portal.articles`` without any fixture files.  The one hand-made story is
the shared "seed" article, copied into ``demo_portal/seed/`` so the demo works without
``../shared``; it is served twice (UTF-8 in fintech, GBK in cloud) as a syndicated pair.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from demo_portal import pools
from demo_portal.models import ArticleLayout, Block, BlockKind, DemoArticle, Page, Section
from demo_portal.render import (
    CLOUD_NAME,
    FINTECH_NAME,
    LOGO_PATH,
    STYLESHEET_PATH,
    THUMB_PATH,
    SiteChrome,
    listing_path,
    render_cloud_article,
    render_cloud_listing,
    render_fintech_article,
    render_fintech_listing,
    render_home,
    render_not_found,
    render_simple_page,
    render_topic,
)

__all__ = [
    "SEED_CLOUD_PATH",
    "SEED_FINTECH_PATH",
    "DemoArticle",
    "Page",
    "Portal",
    "Section",
    "build_portal",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEED_DIR = Path(__file__).resolve().parent / "seed"
SEED_FINTECH_PATH = "/fintech/20190116/152488.html"
SEED_CLOUD_PATH = "/cloud/2019-01/16/content_152488.shtml"
ATTACHMENT_PATH = "/fintech/files/2019-fintech-report.pdf"
ATTACHMENT_TITLE = "《2019中国金融科技发展报告》（PDF）"
TOPIC_PATH = "/topic/jinrongyun/index.html"
TOPIC_TITLE = "专题：金融云的下一个十年"

HTML_UTF8 = "text/html; charset=utf-8"
HTML_NO_CHARSET = "text/html"
HTML_GBK = "text/html; charset=GBK"

FINTECH_NEWEST = datetime(2019, 1, 15, 21, 40, tzinfo=SHANGHAI)
"""Generated fintech stories are older than the seed (2019-01-16), so it tops page 1."""
CLOUD_NEWEST = datetime(2019, 3, 5, 9, 30, 12, tzinfo=SHANGHAI)
FINTECH_NEWEST_ID = 152487

# A 1x1 transparent PNG: enough for <img> links to resolve without shipping binaries.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
STYLESHEET = (
    b"body{font:14px/1.8 'Microsoft YaHei',SimSun,sans-serif;margin:0}\n"
    b".w1200{width:1200px;margin:0 auto}\n"
)
ROBOTS_TXT = b"User-agent: *\nAllow: /\n"


@dataclass
class Portal:
    """The whole demo site: navigation structure, ground truth and the servable pages.

    ``articles`` holds one entry per article URL (the seed story appears twice, the
    GBK copy having ``duplicate_of`` set).  ``pages()`` is what the server serves; any
    path missing from it is a 404.
    """

    sections: list[Section]
    articles: list[DemoArticle]
    non_article_paths: list[str]
    """HTML pages that are neither articles nor section listings (home, about, topic…)."""
    attachment_path: str
    attachment_linked_from: str
    twice_listed_path: str | None
    """An article that appears on two consecutive listing pages of the fintech section."""
    lying_header_paths: list[str]
    """GBK pages whose Content-Type header claims UTF-8; only their <meta> is truthful."""
    _pages: dict[str, Page] = field(repr=False, compare=False)

    def pages(self) -> dict[str, Page]:
        """Path -> Page for every URL the portal answers with 200 (a copy; safe to mutate)."""
        return dict(self._pages)

    def not_found_page(self, path: str) -> Page:
        """The body sent with a 404, so even errors look like the real site's."""
        return Page(render_not_found(path).encode("utf-8"), HTML_UTF8)

    def section(self, slug: str) -> Section:
        """Look a section up by slug ("fintech" or "cloud")."""
        return next(section for section in self.sections if section.slug == slug)

    def article(self, url_path: str) -> DemoArticle:
        """Ground truth for one article URL path."""
        return next(article for article in self.articles if article.url_path == url_path)

    @property
    def listing_paths(self) -> list[str]:
        """Every paginated listing page of every section, in crawl order."""
        return [path for section in self.sections for path in section.listing_paths]

    @property
    def article_paths(self) -> list[str]:
        """Every article URL path, seed copies included."""
        return [article.url_path for article in self.articles]


# ---------------------------------------------------------------------------
# Seed story
# ---------------------------------------------------------------------------


def load_seed_articles() -> tuple[DemoArticle, DemoArticle]:
    """Ground truth for the seed story at both of its URLs, from seed/expected.json."""
    expected = json.loads((SEED_DIR / "expected.json").read_text(encoding="utf-8"))
    original = DemoArticle(
        url_path=SEED_FINTECH_PATH,
        title=expected["title"],
        source=expected["source"],
        author=expected["author"],
        published_at=datetime.fromisoformat(expected["published_at"]).astimezone(SHANGHAI),
        summary=expected["summary"],
        category=list(expected["category"]),
        body=expected["body"],
        section="fintech",
        encoding="utf-8",
    )
    syndicated = replace(
        original,
        url_path=SEED_CLOUD_PATH,
        category=list(expected["category"]),
        section="cloud",
        encoding="gbk",
        duplicate_of=SEED_FINTECH_PATH,
    )
    return original, syndicated


# ---------------------------------------------------------------------------
# Article generation
# ---------------------------------------------------------------------------


def _fill_slots(rng: random.Random) -> dict[str, str]:
    """Draw a value for every slot a title/caption template may use (fixed draw order)."""
    # Hot path for huge portals (titles retry until unique): bind methods locally.
    choice, randint = rng.choice, rng.randint
    company, company2 = rng.sample(pools.COMPANIES, 2)
    slots = {
        "company": company,
        "company2": company2,
        "bank": choice(pools.BANKS),
        "city": choice(pools.CITIES),
        "person": choice(pools.PEOPLE),
        "n": str(randint(12, 960)),
        "n2": str(randint(120, 9800)),
        "n3": str(randint(2, 9)),
        "pct": str(randint(11, 95)),
        "pue": f"{rng.uniform(1.1, 1.3):.2f}",
        "year": str(choice((2017, 2018))),
    }
    for name, values in _TITLE_SLOT_ITEMS:
        slots[name] = choice(values)
    return slots


_TITLE_SLOT_ITEMS = tuple(pools.TITLE_SLOTS.items())


def _fill(template: str, rng: random.Random) -> str:
    """Fill every slot a template may use; unused slots are simply ignored."""
    return template.format_map(_fill_slots(rng))


class _TitleRegistry:
    """The titles given out so far, and a fast way to a new one once the templates run dry.

    Each template fills only so many distinct titles (about a thousand per section). Up to
    then a title is redrawn until it is new; past that point redrawing 200 times per title
    and counting up ``（2）``, ``（3）`` … from 2 made a 5,000-article section take ~20 s.
    Once a title could not be redrawn new, the section is saturated: later titles get a few
    redraws, then the next free number of their base title, remembered per base. Portals
    that never saturate (every size the tests and the demo use) keep their exact titles.
    """

    REDRAWS = 200
    REDRAWS_SATURATED = 3

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.saturated = False
        self.next_number: dict[str, int] = {}

    def new_title(self, templates: Sequence[str], rng: random.Random) -> str:
        redraws = self.REDRAWS_SATURATED if self.saturated else self.REDRAWS
        for _ in range(redraws):
            title = _fill(rng.choice(templates), rng)
            if title not in self.taken:
                self.taken.add(title)
                return title
        self.saturated = True
        base = _fill(rng.choice(templates), rng)
        number = self.next_number.get(base, 2)
        while f"{base}（{number}）" in self.taken:
            number += 1
        self.next_number[base] = number + 1
        title = f"{base}（{number}）"
        self.taken.add(title)
        return title


class _BodySlots(dict[str, str]):
    """Slot values for one body sentence, drawn lazily so unused slots cost nothing."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self._rng = rng

    def __missing__(self, key: str) -> str:
        rng = self._rng
        if key == "company2":
            value = rng.choice([c for c in pools.COMPANIES if c != self["company"]])
        elif key in _BODY_SLOT_DRAWS:
            value = _BODY_SLOT_DRAWS[key](rng)
        else:
            raise KeyError(key)
        self[key] = value
        return value


_BODY_SLOT_DRAWS: dict[str, Callable[[random.Random], str]] = {
    "company": lambda rng: rng.choice(pools.COMPANIES),
    "bank": lambda rng: rng.choice(pools.BANKS),
    "city": lambda rng: rng.choice(pools.CITIES),
    "person": lambda rng: rng.choice(pools.PEOPLE),
    "n": lambda rng: str(rng.randint(12, 960)),
    "n2": lambda rng: str(rng.randint(120, 9800)),
    "n3": lambda rng: str(rng.randint(2, 9)),
    "pct": lambda rng: str(rng.randint(11, 95)),
    "pue": lambda rng: f"{rng.uniform(1.1, 1.3):.2f}",
    "year": lambda rng: str(rng.choice((2017, 2018))),
    "month": lambda rng: str(rng.randint(1, 12)),
}


class _Deck:
    """Hands out a pool's items least-used first; ties are broken by the seeded RNG.

    Items are dealt in shuffled rounds: every item is used once per round before any is
    used again, so usage stays balanced across a whole section.  ``avoid`` skips items
    the current article already used; when only avoided items remain in the round, the
    next round is opened early (those items are then simply dealt later).
    """

    def __init__(self, items: Sequence[str], rng: random.Random) -> None:
        self._items = list(dict.fromkeys(items))
        self._rng = rng
        self._queue: list[str] = []

    def _new_round(self) -> list[str]:
        items = list(self._items)
        self._rng.shuffle(items)
        return items

    def draw(self, avoid: set[str]) -> str:
        if not self._queue:
            self._queue = self._new_round()
        if avoid.issuperset(self._items):
            avoid = set()  # an article longer than the pool: allow repeats
        for _ in range(2):
            for position in range(len(self._queue) - 1, -1, -1):
                if self._queue[position] not in avoid:
                    item = self._queue.pop(position)
                    avoid.add(item)
                    return item
            self._queue = self._new_round() + self._queue
        raise AssertionError("unreachable: a fresh round always has a usable item")


@dataclass(frozen=True)
class _Topic:
    """Clause pools for one news topic: event + detail clauses, and opinion clauses."""

    actions: tuple[str, ...]
    details: tuple[str, ...]
    views: tuple[str, ...]


FINTECH_TOPIC = _Topic(pools.FINTECH_ACTIONS, pools.FINTECH_DETAILS, pools.FINTECH_VIEWS)
CLOUD_TOPIC = _Topic(pools.CLOUD_ACTIONS, pools.CLOUD_DETAILS, pools.CLOUD_VIEWS)
DATACENTER_TOPIC = _Topic(
    pools.DATACENTER_ACTIONS, pools.DATACENTER_DETAILS, pools.DATACENTER_VIEWS
)


CHECKED_SECTION_SIZE = 120
"""Sections up to this many stories also redraft bodies too similar to an earlier one."""


def _shingles(text: str, size: int = 5) -> set[str]:
    """Character shingles of a text with whitespace removed (what dedup compares)."""
    compact = "".join(text.split())
    return {compact[i : i + size] for i in range(len(compact) - size + 1)}


class _BodyWriter:
    """Writes a section's article bodies from clause decks shared by the whole section.

    A sentence is either an event ("opener + action, detail。") or an opinion
    ("speaker, view。").  Every clause pool is a :class:`_Deck`, so clauses are spread
    evenly over the section and no article uses the same clause twice.  Slot values
    are redrawn (up to ``MAX_REFILLS`` times) while a sentence already appeared in the
    section, so in practice two stories never share a whole sentence.
    """

    OPINION_SHARE = 0.25
    MAX_REFILLS = 20
    MAX_DRAFTS = 8
    MAX_SIMILARITY = 0.1
    """Jaccard similarity of 5-character shingles a checked draft may have with any
    earlier story of the section (a near-duplicate detector flags far higher values)."""

    def __init__(self, topics: Sequence[_Topic], rng: random.Random) -> None:
        self._rng = rng
        self._written: set[str] = set()
        self._shingles: list[set[str]] = []
        self._openers = _Deck(pools.BODY_OPENERS, rng)
        self._speakers = _Deck(pools.SPEAKERS, rng)
        self._topics = [
            (_Deck(t.actions, rng), _Deck(t.details, rng), _Deck(t.views, rng)) for t in topics
        ]
        # Topics are dealt in proportion to their number of event clauses.
        self._topic_deck = _Deck(
            [f"{i}:{k}" for i, t in enumerate(topics) for k in range(max(1, len(t.actions) // 8))],
            rng,
        )

    def paragraphs(self) -> list[str]:
        """4-8 paragraphs of 1-3 sentences (mostly 1-2), no clause repeated."""
        rng = self._rng
        used: dict[int, set[str]] = {}
        paragraphs = []
        for _ in range(rng.randint(4, 8)):
            count = rng.choices((1, 2, 3), weights=(5, 4, 1))[0]
            paragraphs.append("".join(self._sentence(used) for _ in range(count)))
        return paragraphs

    def distinct_paragraphs(self) -> list[str]:
        """Like :meth:`paragraphs`, but redrafted while too similar to an earlier story.

        Clause decks keep the *expected* overlap between two stories low; this removes
        the unlucky tail (two stories that happen to share several clauses).  It costs a
        comparison with every earlier story, so it is only used for portals of moderate
        size (see ``CHECKED_SECTION_SIZE``).
        """
        best: tuple[float, list[str], set[str]] | None = None
        for _ in range(self.MAX_DRAFTS):
            paragraphs = self.paragraphs()
            shingles = _shingles("".join(paragraphs))
            worst = max(
                (len(shingles & other) / len(shingles | other) for other in self._shingles),
                default=0.0,
            )
            if best is None or worst < best[0]:
                best = (worst, paragraphs, shingles)
            if worst <= self.MAX_SIMILARITY:
                break
        assert best is not None
        self._shingles.append(best[2])
        return best[1]

    def _sentence(self, used: dict[int, set[str]]) -> str:
        rng = self._rng
        topic = int(self._topic_deck.draw(set()).split(":")[0])
        actions, details, views = self._topics[topic]

        def pick(deck: _Deck) -> str:
            return deck.draw(used.setdefault(id(deck), set()))

        if rng.random() < self.OPINION_SHARE:
            template = f"{pick(self._speakers)}，{pick(views)}。"
        else:
            template = f"{pick(self._openers)}{pick(actions)}，{pick(details)}。"
        # Same clauses, other names and figures, until no earlier story has the sentence.
        for _ in range(self.MAX_REFILLS):
            sentence = template.format_map(_BodySlots(rng))
            if sentence not in self._written:
                break
        self._written.add(sentence)
        return sentence


def _skip_legacy_body_draws(
    rng: random.Random, pool_size: int, headings: Sequence[str], *, with_headings: bool
) -> list[str]:
    """Advance the metadata RNG exactly as the old sentence-template body generator did.

    Bodies now come from their own RNG, but URLs, dates, titles, bylines and captions
    are drawn from the section RNG interleaved with what the body used to consume.
    Replaying those draws keeps every such value identical to earlier releases of the
    portal.  Returns the subheadings the old generator chose (same draws, same values).
    """
    paragraph_count = rng.randint(4, 12)
    rng.sample(range(pool_size), pool_size)
    remaining = pool_size
    for remaining_paragraphs in range(paragraph_count, 0, -1):
        take = min(rng.randint(1, 3), 1 + remaining - remaining_paragraphs)
        remaining -= take
        for _ in range(take):
            _fill_slots(rng)
    if not with_headings:
        return []
    return rng.sample(list(headings), 2 if paragraph_count >= 8 else 1)


def _body_blocks(
    paragraphs: list[str],
    chosen_headings: list[str],
    caption: str | None,
    image_path: str,
) -> list[Block]:
    """Paragraph blocks plus subheadings and an optional captioned image.

    Subheadings go before the third paragraph and, in longer articles, mid-way; the
    image follows the first paragraph.
    """
    blocks = [Block(BlockKind.PARAGRAPH, paragraph) for paragraph in paragraphs]
    positions = [2, len(paragraphs) // 2 + 2]
    insert_at = [p for p in positions if p < len(paragraphs)][: len(chosen_headings)]
    for offset, (position, heading) in enumerate(zip(insert_at, chosen_headings, strict=False)):
        blocks.insert(position + offset, Block(BlockKind.HEADING, heading))
    if caption is not None:
        blocks.insert(1, Block(BlockKind.IMAGE, caption, image_path))
    return blocks


@dataclass
class _SectionStyle:
    """What differs between the two generated sections."""

    slug: str
    name: str
    encoding: str
    newest: datetime
    topics: tuple[_Topic, ...]
    legacy_pool_size: int
    """Size of the old whole-sentence pool; only used to replay the old RNG draws."""
    headings: tuple[str, ...]
    title_templates: tuple[str, ...]
    sources: tuple[str, ...]
    url_for: Callable[[datetime, int], str]


def _fintech_url(moment: datetime, article_id: int) -> str:
    return f"/fintech/{moment:%Y%m%d}/{article_id}.html"


def _cloud_url(moment: datetime, article_id: int) -> str:
    return f"/cloud/{moment:%Y-%m}/{moment:%d}/content_{article_id}.shtml"


FINTECH_STYLE = _SectionStyle(
    slug="fintech",
    name=FINTECH_NAME,
    encoding="utf-8",
    newest=FINTECH_NEWEST,
    topics=(FINTECH_TOPIC,),
    legacy_pool_size=len(pools.FINTECH_SENTENCES) + 6,
    headings=pools.FINTECH_HEADINGS,
    title_templates=pools.FINTECH_TITLE_TEMPLATES,
    sources=pools.SOURCES_FINTECH,
    url_for=_fintech_url,
)

CLOUD_STYLE = _SectionStyle(
    slug="cloud",
    name=CLOUD_NAME,
    encoding="gbk",
    newest=CLOUD_NEWEST,
    topics=(CLOUD_TOPIC, DATACENTER_TOPIC),
    legacy_pool_size=len(pools.CLOUD_SENTENCES) + len(pools.DATACENTER_SENTENCES),
    headings=pools.CLOUD_HEADINGS,
    title_templates=pools.CLOUD_TITLE_TEMPLATES,
    sources=pools.SOURCES_CLOUD,
    url_for=_cloud_url,
)


def _generate_section(
    style: _SectionStyle,
    count: int,
    titles: _TitleRegistry,
    taken_bodies: set[str],
) -> list[ArticleLayout]:
    """Generate ``count`` articles for one section, newest first.

    ``variant`` is the article's index so that byline/date/header styles rotate and a
    default-sized portal exercises every combination.
    """
    rng = random.Random(f"demo-portal:{style.slug}")
    writer = _BodyWriter(style.topics, random.Random(f"demo-portal-body:{style.slug}"))
    moment = style.newest
    article_id = FINTECH_NEWEST_ID if style.slug == "fintech" else 1200 + 41 * count
    layouts = []
    for index in range(count):
        if index:
            moment -= timedelta(minutes=rng.randint(6 * 60, 50 * 60))
            article_id -= rng.randint(3, 40)
        # Only the cloud "2019年03月05日09:30:12" format shows seconds; elsewhere keep none.
        shows_seconds = style.slug == "cloud" and index % 2 == 1
        published = moment.replace(second=rng.randint(1, 59) if shows_seconds else 0)
        url_path = style.url_for(published, article_id)
        title = titles.new_title(style.title_templates, rng)
        with_image = index % 3 == 1
        headings = _skip_legacy_body_draws(
            rng, style.legacy_pool_size, style.headings, with_headings=index % 4 in (0, 1)
        )
        caption = _fill(rng.choice(pools.IMAGE_CAPTIONS), rng) if with_image else None
        while True:
            paragraphs = (
                writer.distinct_paragraphs()
                if count <= CHECKED_SECTION_SIZE
                else writer.paragraphs()
            )
            blocks = _body_blocks(
                paragraphs,
                headings,
                caption,
                image_path=f"/static/img/{style.slug}/{article_id}.png",
            )
            body = "\n".join(block.text for block in blocks)
            if body not in taken_bodies:
                taken_bodies.add(body)
                break
        # Real CMSes fill 摘要 from the lead sentence; cutting at "。" could split a quote.
        lead_sentence = paragraphs[0][: paragraphs[0].index("。") + 1]
        summary = lead_sentence if index % 2 == 0 else None
        author_person = rng.choice(pools.PEOPLE)
        author = None if index % 3 == 2 else author_person
        article = DemoArticle(
            url_path=url_path,
            title=title,
            source=rng.choice(style.sources),
            author=author,
            published_at=published,
            summary=summary,
            category=[style.name],
            body=body,
            section=style.slug,
            encoding=style.encoding,
            image_caption=caption,
        )
        layouts.append(
            ArticleLayout(
                article=article,
                blocks=blocks,
                variant=index,
                editor=rng.choice(pools.EDITORS),
            )
        )
    return layouts


def _link_neighbours(ordered: list[DemoArticle], layouts: dict[str, ArticleLayout]) -> None:
    """Fill related/previous/next links so article pages link to each other like real ones."""
    for position, article in enumerate(ordered):
        layout = layouts.get(article.url_path)
        if layout is None:
            continue
        # The next four of "everyone else" in a rotation starting at this position; by
        # index arithmetic rather than building the list, so huge portals stay linear.
        others = len(ordered) - 1
        start = position % max(1, others)
        picks = [(start + step) % others for step in range(min(4, others))]
        layout.related = [ordered[i if i < position else i + 1] for i in picks]
        layout.previous_article = ordered[position - 1] if position > 0 else None
        layout.next_article = ordered[position + 1] if position + 1 < len(ordered) else None


def _paginate(items: list[DemoArticle], page_size: int) -> list[list[DemoArticle]]:
    chunks = [items[i : i + page_size] for i in range(0, len(items), page_size)]
    return chunks or [[]]


def _minimal_pdf(title: str) -> bytes:
    """A small but well-formed PDF so content-type sniffing and PDF magic both agree."""
    text = title.encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\nBT /F1 18 Tf 72 760 Td (%s) Tj ET\nendstream"
        % (len(b"BT /F1 18 Tf 72 760 Td () Tj ET") + len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    output = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    output += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(output)


# ---------------------------------------------------------------------------
# Portal assembly
# ---------------------------------------------------------------------------


def build_portal(articles_per_section: int = 18, page_size: int = 8) -> Portal:
    """Build the demo portal; the defaults give 3 listing pages per section.

    ``articles_per_section`` counts generated stories only; each section additionally
    lists the seed story, so the defaults yield 36 generated + 1 seed story (38 URLs).
    """
    if articles_per_section < 1 or page_size < 1:
        raise ValueError("articles_per_section and page_size must be at least 1")
    seed_fintech, seed_cloud = load_seed_articles()
    taken_titles = {seed_fintech.title}
    taken_bodies = {seed_fintech.body}
    # One registry per section (each has its own templates), sharing the titles taken.
    fintech_layouts = _generate_section(
        FINTECH_STYLE, articles_per_section, _TitleRegistry(taken_titles), taken_bodies
    )
    cloud_layouts = _generate_section(
        CLOUD_STYLE, articles_per_section, _TitleRegistry(taken_titles), taken_bodies
    )

    attachment_layout = fintech_layouts[min(1, len(fintech_layouts) - 1)]
    attachment_layout.attachment_path = ATTACHMENT_PATH
    attachment_layout.attachment_title = ATTACHMENT_TITLE

    def newest_first(articles: list[DemoArticle]) -> list[DemoArticle]:
        return sorted(articles, key=lambda a: (a.published_at, a.url_path), reverse=True)

    fintech_ordered = newest_first([seed_fintech] + [lay.article for lay in fintech_layouts])
    cloud_ordered = newest_first([seed_cloud] + [lay.article for lay in cloud_layouts])
    layouts_by_path = {lay.article.url_path: lay for lay in fintech_layouts + cloud_layouts}
    _link_neighbours(fintech_ordered, layouts_by_path)
    _link_neighbours(cloud_ordered, layouts_by_path)

    all_articles = fintech_ordered + cloud_ordered
    chrome = SiteChrome(
        hot_articles=all_articles[1::7][:5],
        ranking_articles=all_articles[3::5][:8],
        topic_path=TOPIC_PATH,
        topic_title=TOPIC_TITLE,
    )

    pages: dict[str, Page] = {}

    def add_html(path: str, html: str, encoding: str, header: str) -> None:
        pages[path] = Page(html.encode(encoding), header)

    # Listings.  Page 2 of fintech repeats the last item of page 1, as happens on real
    # sites when a story is published between two page loads, so dedup gets exercised.
    fintech_pages = _paginate(fintech_ordered, page_size)
    twice_listed_path = None
    if len(fintech_pages) > 1:
        fintech_pages[1].insert(0, fintech_pages[0][-1])
        twice_listed_path = fintech_pages[0][-1].url_path
    cloud_pages = _paginate(cloud_ordered, page_size)
    sections = []
    for slug, name, encoding, chunks, render, header in (
        ("fintech", FINTECH_NAME, "utf-8", fintech_pages, render_fintech_listing, HTML_UTF8),
        ("cloud", CLOUD_NAME, "gbk", cloud_pages, render_cloud_listing, HTML_NO_CHARSET),
    ):
        paths = [listing_path(slug, number) for number in range(1, len(chunks) + 1)]
        for number, (path, items) in enumerate(zip(paths, chunks, strict=True), start=1):
            add_html(path, render(items, number, len(chunks), chrome), encoding, header)
        root = f"/{slug}/"
        pages[root] = pages[paths[0]]
        sections.append(
            Section(
                slug=slug,
                name=name,
                encoding=encoding,
                root_path=root,
                listing_paths=paths,
                listing_items=[[a.url_path for a in items] for items in chunks],
            )
        )

    # Articles.
    lying_header_paths = [SEED_CLOUD_PATH]
    pages[SEED_FINTECH_PATH] = Page((SEED_DIR / "article-utf8.html").read_bytes(), HTML_UTF8)
    pages[SEED_CLOUD_PATH] = Page((SEED_DIR / "article-gbk.html").read_bytes(), HTML_UTF8)
    for layout in fintech_layouts:
        add_html(
            layout.article.url_path, render_fintech_article(layout, chrome), "utf-8", HTML_UTF8
        )
    for layout in cloud_layouts:
        header = (HTML_UTF8, HTML_NO_CHARSET, HTML_GBK)[layout.variant % 3]
        if header == HTML_UTF8:
            lying_header_paths.append(layout.article.url_path)
        add_html(layout.article.url_path, render_cloud_article(layout, chrome), "gbk", header)

    # Pages that are not articles.
    simple_pages = {
        "/about/index.html": (
            "关于我们",
            [
                "中国IDC圈成立于2007年，是专注于数据中心、云计算和金融科技产业的专业媒体平台。",
                "我们为行业用户提供资讯、研究报告、会议活动和市场推广等全方位服务。",
            ],
        ),
        "/about/contact.html": (
            "联系我们",
            ["地址：北京市海淀区中关村大街1号", "电话：010-00000000", "邮箱：news@example.cn"],
        ),
        "/about/ad.html": ("广告服务", ["广告合作请致电010-00000000，或发送邮件至ad@example.cn。"]),
        "/about/copyright.html": (
            "版权声明",
            ["本站原创内容版权归中国IDC圈所有，未经授权不得转载。转载请注明来源。"],
        ),
        "/dc/index.html": ("数据中心", ["数据中心频道正在改版升级中，敬请期待。"]),
        "/login": ("会员登录", ["请输入用户名和密码登录。还没有账号？立即注册。"]),
    }
    for path, (title, paragraphs) in simple_pages.items():
        add_html(path, render_simple_page(title, paragraphs, chrome), "utf-8", HTML_UTF8)
    pages["/about/"] = pages["/about/index.html"]
    pages["/dc/"] = pages["/dc/index.html"]
    topic_articles = [a for a in all_articles if a.duplicate_of is None][::3][:8]
    add_html(
        TOPIC_PATH,
        render_topic(
            TOPIC_TITLE,
            "金融机构上云进入深水区，本专题汇集金融云相关的政策、案例与观点。",
            topic_articles,
            chrome,
        ),
        "utf-8",
        HTML_UTF8,
    )
    add_html("/", render_home(fintech_ordered[:6], cloud_ordered[:6], chrome), "utf-8", HTML_UTF8)

    # Static resources.
    pages["/robots.txt"] = Page(ROBOTS_TXT, "text/plain; charset=utf-8")
    pages[STYLESHEET_PATH] = Page(STYLESHEET, "text/css")
    for image_path in [LOGO_PATH, THUMB_PATH, "/static/img/banner.png", "/static/img/qrcode.png"]:
        pages[image_path] = Page(TINY_PNG, "image/png")
    for layout in fintech_layouts + cloud_layouts:
        for block in layout.blocks:
            if block.image_path:
                pages[block.image_path] = Page(TINY_PNG, "image/png")
    pages[ATTACHMENT_PATH] = Page(_minimal_pdf("2019 Fintech Report"), "application/pdf")

    return Portal(
        sections=sections,
        articles=fintech_ordered + cloud_ordered,
        non_article_paths=["/", TOPIC_PATH, "/dc/", *simple_pages],
        attachment_path=ATTACHMENT_PATH,
        attachment_linked_from=attachment_layout.article.url_path,
        twice_listed_path=twice_listed_path,
        lying_header_paths=lying_header_paths,
        _pages=pages,
    )
