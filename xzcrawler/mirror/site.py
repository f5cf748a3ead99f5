"""The synthetic site: a deterministic copy of 徐州厂房网 in its real markup.

Nothing is built up front beyond a few integer arrays: each page is rendered on
request from the seed, so 100,000 articles cost little memory. The model also
knows the truth of every article (``article(aid)``), so tests can compare what
the crawler archived with what the site showed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from . import corpus as C

TZ = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai has had no DST since 1991
SEED_ID = 2176
SEED_DATE = dt.datetime(2024, 9, 24, 14, 32, tzinfo=TZ)
PAGE_SIZE = 20
HOME_SIZE = 10
ORIGINAL_BASE = "http://xuzhou.021cf.cn"


@dataclass(frozen=True)
class Profile:
    """What sets one site of the network apart: its name, its categories (kind -> name; the
    kinds 1-5 are rent, sale, news, land, warehouse) and their ids, its places, and whether it
    holds the one real page (徐州厂房网's post 2176 and its related articles)."""

    name: str = C.SITE_NAME
    categories: tuple = tuple(C.CATEGORIES.items())
    category_base: int = 0  # the category of kind k has the id category_base + k
    places: tuple = tuple(C.PLACES)
    seed: bool = True
    first_id: int = 167  # the lowest post id (ids are per site: the same number is another post elsewhere)
    # the markup: "tpure" (the network's real theme, mirror/tpure.py) or "xzcf" (the earlier
    # reconstruction with invented class names, mirror/render.py)
    theme: str = "tpure"
    v6: bool = False  # tpure 6.x traits: counts >= 10,000 in 万, the abstract block, timgbox
    time_style: int | None = None  # an absolute time style (index into ABSOLUTE_STYLES); None: time-ago
    navbar_fixed: bool = False  # li#navbar-item-index (installed after 2024-03) instead of nvabar-
    sticky: int = 1  # posts the owner made sticky for the whole site (IsTop 1, "global"): tpure only
    # tpure's PostLAZYLOADON (on by default): body images and listing thumbnails lazy-loaded; the
    # real xuzhou listing (../shared/site/tpure/category-3.html) shows a site with it off
    lazyload: bool = True

    def category_name(self, kind: int) -> str:
        return dict(self.categories)[kind]


XUZHOU = Profile()
# The same site in the earlier reconstruction's markup (validators, 304s, soft 404s, 20 a page):
# what the suites written before the real theme was known still run against.
RECONSTRUCTION = Profile(theme="xzcf")


@dataclass
class Article:
    aid: int
    title: str
    category: int
    published: dt.datetime
    views: int
    shape: str  # "full" | "nometa" | "plain"
    blocks: list = field(default_factory=list)  # ("p"|"img"|"caption"|"date", ...)
    byline: str | None = None
    keywords: list = field(default_factory=list)
    related: list = field(default_factory=list)
    relative_links: bool = False
    views_display: str = ""

    @property
    def body_paragraphs(self) -> list[str]:
        """The article text the archive should keep, paragraph by paragraph."""
        return [b[1] for b in self.blocks if b[0] in ("p", "caption", "date")]

    @property
    def images(self) -> list[dict]:
        return [{"src": b[1], "alt": b[2]} for b in self.blocks if b[0] == "img"]


# tpure's time-ago rule, as zblogcn/zblogphp zb_users/theme/tpure/include.php prints it
# (function tpure_TimeAgo, PostTIMESTYLE 0, the default; the same in 6.x): elapsed seconds over
# year = 12 * 30 days, month = 30 days, week = 7 days, day, hour, minute, second; the first unit
# with a quotient >= 1, rounded half up (PHP round); under a second 刚刚. Years, months and weeks
# add the date (date('Y-m-d') / date('m-d') in the site's time zone) in a span.datetime.
_TIME_UNITS = (
    (360 * 86400, "年前", "%Y-%m-%d"),
    (30 * 86400, "个月前", "%m-%d"),
    (7 * 86400, "周前", "%m-%d"),
    (86400, "天前", None),
    (3600, "小时前", None),
    (60, "分钟前", None),
    (1, "秒前", None),
)
# tpure's absolute styles (PostTIMESTYLE 1, PostTIMEFORMAT 0-5: include.php tpure_TimeAgo)
ABSOLUTE_STYLES = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y年%m月%d日",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
)


def time_ago(published: dt.datetime, now: dt.datetime) -> tuple[str, str | None]:
    """(the relative part, the date shown after it or None), by tpure_TimeAgo."""
    elapsed = (now - published).total_seconds()
    if elapsed < 1:
        return "刚刚", None
    for seconds, unit, date_format in _TIME_UNITS:
        quotient = elapsed / seconds
        if quotient >= 1:
            rounded = int(quotient + 0.5)  # PHP round(): half away from zero, and quotient > 0
            shown = published.astimezone(TZ).strftime(date_format) if date_format else None
            return f"{rounded}{unit}", shown
    raise AssertionError("unreachable: elapsed >= 1 s always has a unit")


def relative_time(published: dt.datetime, now: dt.datetime, rng: random.Random | None = None) -> str:
    """The time-ago text as it reads (``1年前 (2024-09-24)``). The reconstructed theme also
    printed ``昨天 HH:MM`` for half of yesterday's posts (``rng``): an invented form, kept for it."""
    if rng is not None and published.date() == now.date() - dt.timedelta(days=1) and rng.random() < 0.5:
        return f"昨天 {published:%H:%M}"
    relative, shown = time_ago(published, now)
    return f"{relative} ({shown})" if shown else relative


def content_html(art: Article, image, indent: str, blank: str) -> str:
    """The post's content as its author wrote it in the editor (the same in every theme): a
    "plain" post is lines joined by <br/>, the others paragraphs, centred images and captions,
    ending in an empty paragraph (``blank``). ``image(src, alt)``
    is the theme's markup of an image."""
    if art.shape == "plain":
        lines = []
        for block in art.blocks:
            if block[0] == "img":
                lines.append(image(block[1], block[2]))
            else:
                lines.append(html.escape(block[1]))
        return "<br/>\n".join(lines)
    parts = []
    for block in art.blocks:
        if block[0] == "img":
            parts.append(f'<p style="text-align:center">{image(block[1], block[2])}</p>')
        elif block[0] == "caption":
            parts.append(f'<p style="text-align: center;">{html.escape(block[1])}</p>')
        else:
            parts.append(f"<p>{indent}{html.escape(block[1])}</p>")
    parts.append(blank)
    return "\n".join(parts)


def views_text(views: int) -> str:
    if views >= 100_000_000:
        return f"{views / 100_000_000:.1f}亿".replace(".0亿", "亿")
    if views >= 10_000:
        return f"{views / 10_000:.1f}万".replace(".0万", "万")
    return str(views)


class MirrorSite:
    def __init__(
        self,
        articles: int = 300,
        seed: int = 0,
        now: dt.datetime | None = None,
        *,
        epoch: dt.datetime | None = None,
        add: int = 0,
        grow_views: int = 0,
        edit: tuple[int, ...] = (),
        broken: str | None = None,
        fail: tuple[int, ...] = (),
        gone: tuple[int, ...] = (),
        add_every: dt.timedelta | None = None,
        profile: Profile = XUZHOU,
        counts: dict[int, int] | None = None,
        photo_faults: bool = False,
    ):
        """``now`` is the clock the time-ago texts are computed from. The site evolves between
        runs when it is started again with the ``epoch`` of the first run (when the content was
        made) and any of: a later ``now``, ``add`` new articles, ``grow_views`` rounds of
        readership, ``edit`` (article ids whose text changes), ``broken`` (one field whose
        markup breaks: views, date, category, body, title), ``fail`` (ids that answer 500) and
        ``gone`` (ids that answer the "页面不存在" page with status 200, a soft 404). With
        ``add_every``, the k-th added article is published at a fixed time in the k-th period of
        that length after the epoch (a stable schedule, for simulations of many days); without,
        the added articles are spread between the epoch and ``now``. ``counts``: the readers'
        count of some articles, as given (the edges a test needs: 99,999 and 100,000, say).
        ``photo_faults``: some body images missing (404) or broken (an HTML page, a file cut
        short), as mirror/images.py draws them; without, every picture is whole."""
        self.profile = profile
        # cross-posts (set by mirror.network before any page is served): aid -> (site, aid, retitled):
        # this article is that article of that site, under this id, under its own title if retitled
        self.copies: dict[int, tuple[MirrorSite, int, bool]] = {}
        # spun bodies (set by mirror.network): the network's pool of sources (mirror/spin.py) and
        # this site's name in it; None: the bodies of the earlier mirror, sentences of one pool
        self.spinner = None
        self.spin_key = ""
        self.n = max(1, int(articles))
        self.seed = seed
        self.now = (now or dt.datetime.now(TZ)).astimezone(TZ).replace(microsecond=0)
        self.epoch = (epoch or self.now).astimezone(TZ).replace(microsecond=0)
        self.add = max(0, int(add))
        self.grow_views = max(0, int(grow_views))
        self.edits = frozenset(edit)
        if broken not in (None, "views", "date", "category", "body", "title"):
            raise ValueError(f"cannot break {broken!r}: one of views, date, category, body, title")
        self.broken = broken
        self.failing = frozenset(fail)
        self.gone = frozenset(gone)
        self.add_every = add_every
        self.counts = dict(counts or {})
        self.photo_faults = photo_faults
        self.ids = self._make_ids()
        self.base_ids = frozenset(self.ids[: self.n]) if self.add else frozenset(self.ids)
        self._index = {aid: j for j, aid in enumerate(self.ids)}
        self.span_days = min(1800, max(60, 2 * self.n))
        # newest first per category, computed once from integers and dates
        self.by_category: dict[int, list[int]] = {c: [] for c in C.CATEGORIES}
        order = sorted(self.ids, key=lambda a: (self.published(a), a), reverse=True)
        self.newest = order
        for aid in order:
            self.by_category[self.category(aid)].append(aid)
        self._category_index = {aid: j for ids in self.by_category.values() for j, aid in enumerate(ids)}
        # The platform adds one view before it renders an article page (zb_system/function/
        # c_system_route.php, ViewPost: $article->ViewNums += 1, no de-duplication); listings show
        # the count without adding. ``visits`` counts the views our visitors added, per article.
        self.visits: Counter = Counter()
        self.renders: Counter = Counter()
        # Posts the tpure listings and related blocks leave out (set by a test): what a walk of the
        # listings misses when posts published during it push others from one page to the next.
        # Only the previous/next links of their neighbours in the category still lead to them.
        self.unlisted: frozenset = frozenset()
        # Sticky posts (IsTop 1, "global"): the platform lists them first on every page of every
        # listing, the home page and the categories they do not belong to included, and leaves
        # them out of the pages of their own category (zb_system/function/c_system_route.php,
        # ViewList: log_IsTop = 0 for the paged list, then $articles_top merged in front; seen on
        # Z-BlogPHP 1.7.3 + tpure 5.0.2, docs/platform.md). An older post of the site, by rule.
        older = [a for a in self.newest if not self.is_seed(a)][self.n // 3 :]
        self.sticky: tuple = tuple(older[: self.profile.sticky]) if self.profile.theme == "tpure" else ()
        self._visits_lock = threading.Lock()

    # -- the id space ---------------------------------------------------------
    def _make_ids(self) -> list[int]:
        specials = [SEED_ID, *C.seed_related()] if self.n >= 20 and self.profile.seed else []
        ids, k = set(specials), 0
        while len(ids) < self.n:
            ids.add(self._candidate(k))
            k += 1
        ids = sorted(ids)
        while len(ids) < self.n + self.add:  # new articles take the next ids
            candidate = self._candidate(k)
            if candidate > ids[-1]:
                ids.append(candidate)
            k += 1
        return ids

    def _candidate(self, k: int) -> int:
        return self.profile.first_id + 2 * k + (1 if (k * 7 + self.seed) % 3 == 0 else 0)

    def exists(self, aid: int) -> bool:
        return aid in self._index

    def _rng(self, aid: int, salt: str = "") -> random.Random:
        return random.Random(f"{self.seed}:{aid}:{salt}")

    def category_id(self, kind: int) -> int:
        """The id of the category of ``kind`` in this site's addresses."""
        return self.profile.category_base + kind

    def category_kind(self, category_id: int) -> int | None:
        kind = category_id - self.profile.category_base
        return kind if kind in self.by_category else None

    def is_seed(self, aid: int) -> bool:
        return aid == SEED_ID and self.profile.seed

    def category(self, aid: int) -> int:
        """The kind (1-5) of the article's category."""
        if self.profile.seed and (aid == SEED_ID or aid in C.seed_related()):
            return 3
        weights = list(C.CATEGORY_WEIGHTS.items())
        roll = self._rng(aid, "cat").random() * sum(w for _, w in weights)
        for cat, weight in weights:
            roll -= weight
            if roll < 0:
                return cat
        return 3

    def published(self, aid: int) -> dt.datetime:
        if self.is_seed(aid):
            return SEED_DATE
        j = self._index[aid]
        if j >= self.n and self.add_every is not None:  # a stable schedule: one in each period
            minutes = int(self.add_every.total_seconds() // 60)
            jitter = dt.timedelta(minutes=self._rng(aid, "time").randrange(max(1, minutes)))
            return (self.epoch + self.add_every * (j - self.n) + jitter).replace(second=0)
        if j >= self.n:  # added since the epoch: spread between the epoch and now
            step = max((self.now - self.epoch) / (self.add + 1), dt.timedelta(minutes=1))
            return (self.epoch + step * (j - self.n + 1)).replace(second=0)
        group = (self.n - 1 - j) // 3  # bulk imports: three posts share a day
        age_days = group * 3 * self.span_days // self.n
        offset = self._rng(aid, "time").randrange(60, 36_000)
        return (self.epoch - dt.timedelta(days=age_days, seconds=offset)).replace(second=0)

    # -- articles -------------------------------------------------------------
    @lru_cache(maxsize=4096)  # noqa: B019  (the site lives as long as the server)
    def article(self, aid: int) -> Article:
        rng = self._rng(aid)
        cat = self.category(aid)
        published = self.published(aid)
        place = rng.choice(self.profile.places)
        title = (C.seed_related().get(aid) if self.profile.seed else None) or self._title(rng, cat, place)
        age = max((self.epoch - published).days, 0)
        views = rng.randint(10, 300) + age // 3
        if rng.random() < 0.03:
            views = rng.choice([12_000, 35_000, 150_000, 2_300_000])
        if aid % 4 == 0:  # a quarter of the articles gain readers between runs
            views += self.grow_views * (1 + (aid * 7919) % 41)
        if views >= 10_000 and (self.profile.v6 or self.profile.theme != "tpure"):
            # 6.x (and the reconstruction) show 1.2万: the page can only tell this much. tpure 5.x
            # prints the whole number (post-single.php: {$article.ViewNums}), so its counts are any
            views = round(views / 1000) * 1000
        views = self.counts.get(aid, views)
        roll = rng.random()
        shape = "plain" if roll < 0.07 else "nometa" if roll < 0.15 else "full"
        art = Article(aid, title, cat, published, views, shape, relative_links=rng.random() < 0.3)
        art.views_display = views_text(views)
        art.keywords = rng.sample(C.KEYWORDS, 3)
        art.blocks = self._blocks(rng, art, place)
        if aid in self.copies:  # another site's story: its text (and byline), this site's date line
            origin_site, origin_aid, retitled = self.copies[aid]
            origin = origin_site.article(origin_aid)
            if not retitled:
                art.title = origin.title
            own_dates = [b for b in art.blocks if b[0] == "date"]
            art.blocks = [b for b in origin.blocks if b[0] != "date"]
            if own_dates:
                art.blocks.insert(1 if len(art.blocks) > 1 else 0, own_dates[0])
            art.byline = origin.byline
        if aid in self.edits:  # the site corrected the article
            art.blocks = [("p", "（编者按：本文已于近日更新。）"), *art.blocks]
        # related among the articles of the epoch, so that adding articles leaves old lists alone
        pool = [a for a in (self.ids[rng.randrange(self.n)] for _ in range(12)) if a != aid]
        art.related = list(dict.fromkeys(pool))[: rng.randint(3, 8)]
        return art

    def _title(self, rng: random.Random, cat: int, place: str) -> str:
        if cat in C.PROPERTY:
            return C.PROPERTY[cat].format(
                place=place,
                area=rng.choice([800, 1200, 2600, 5000, 12000]),
                mu=rng.choice([10, 25, 48, 80]),
                detail=rng.choice(C.PROPERTY_DETAILS),
            )
        return f"{place}{rng.choice(C.TOPICS)}{rng.choice(C.ACTIONS)}"

    def _blocks(self, rng: random.Random, art: Article, place: str) -> list:
        if self.spinner is not None:  # the network's spun text (mirror/spin.py)
            paragraphs = self.spinner.post(f"{self.spin_key}:{art.aid}")[0]
            if art.category in C.PROPERTY:
                own = self._rng(art.aid, "listing")
                paragraphs.insert(0, f"房源位于{place}{own.choice(C.ROADS)}{own.randint(1, 999)}号。")
        elif art.category in C.PROPERTY:
            area, mu = rng.choice([800, 1200, 2600, 5000]), rng.choice([10, 25, 48])
            lines = [s.format(place=place, area=area, mu=mu) for s in C.PROPERTY_LINES]
            paragraphs = rng.sample(lines, rng.randint(3, len(lines)))
            # each listing names its own address and number (its own stream: the rest stays as it was)
            own = self._rng(art.aid, "listing")
            paragraphs.insert(
                0,
                f"房源位于{place}{own.choice(C.ROADS)}{own.randint(1, 999)}号，房源编号{own.randint(10**5, 10**6 - 1)}。",
            )
        else:
            pool = C.sentences()
            paragraphs = ["".join(rng.sample(pool, rng.randint(1, 3))) for _ in range(rng.randint(2, 6))]
        if rng.random() < 0.3:
            old, new = rng.choice(C.QUIRKS)
            paragraphs[0] = paragraphs[0].replace(old, new, 1)
        blocks: list = [("p", p) for p in paragraphs]
        if art.category not in C.PROPERTY:
            style = rng.random()
            if style < 0.35:
                reporter = rng.choice(C.REPORTERS)
                blocks[-1] = ("p", blocks[-1][1] + f"（{reporter}）")
                art.byline = reporter
            elif style < 0.45:
                line = f"◎文/徐报融媒记者 {rng.choice(C.REPORTERS)} 通讯员 张洪武"
                blocks.insert(0, ("p", "◎" + line[1:]))
                art.byline = line[1:]
            elif style < 0.55:
                reporter = rng.choice(C.REPORTERS)
                blocks.append(("p", f"（{reporter}）{rng.choice(C.SOURCES)}"))
                art.byline = reporter
            elif style < 0.65:
                source = rng.choice(C.SOURCES)
                blocks.insert(0, ("p", f"来源：{source}"))
                art.byline = f"来源：{source}"
            reporter_note = re.search(r"[（(](记者[^（）()]{1,24}?)[）)]", blocks[0][1])
            if art.byline is None and reporter_note:
                art.byline = reporter_note.group(1)
            debris = rng.random()
            if debris < 0.1:
                blocks.insert(0, ("p", rng.choice(C.DEBRIS_HEAD).format(title=art.title)))
            elif debris < 0.18:
                blocks.append(("p", C.DEBRIS_TAIL[0]))
        if rng.random() < 0.3:
            n = 1 + (art.aid % 2)
            for k in range(n):
                src = f"/zb_users/upload/{art.published:%Y/%m}/{art.published:%Y%m%d}{art.aid}{k}.jpg"
                at = rng.randint(0, len(blocks))
                caption = rng.choice(C.CAPTIONS)
                blocks[at:at] = [("img", src, art.title if k == 0 else caption), ("caption", caption)]
        if art.shape == "plain" or (art.shape == "nometa" and rng.random() < 0.5):
            stamp = f"{art.published:%Y-%m-%d}" if art.shape == "plain" else f"{art.published:%Y-%m-%d %H:%M:%S}"
            label = "发布日期:" if art.shape == "plain" else "发布时间："
            blocks.insert(1 if len(blocks) > 1 else 0, ("date", label + stamp))
        if rng.random() < 0.5 and art.category in C.PROPERTY:
            # a rental ad's own contact line, the property's photo after it: the post's own text
            # and image, whatever they mention (../shared/site/README.md, "The post's own text vs
            # the site's advertising"; such a post was served by Z-BlogPHP 1.7.3 + tpure 5.0.2,
            # docs/platform.md). The site's own contact block lives in div.copynotice.
            blocks.append(("p", C.CONTACT_LINE))
            src = f"/zb_users/upload/{art.published:%Y/%m}/{art.published:%Y%m%d}{art.aid}9.jpg"
            blocks.append(("img", src, art.title))
        return blocks

    # -- listings ---------------------------------------------------------------
    @property
    def page_size(self) -> int:
        """Posts a listing page: the platform's ZC_DISPLAY_COUNT default (10) on tpure sites, the
        reconstruction's 20."""
        return 10 if self.profile.theme == "tpure" else PAGE_SIZE

    def category_pages(self, cat: int) -> int:
        return max(1, -(-len(self.by_category.get(cat, [])) // self.page_size))

    def category_page(self, cat: int, page: int) -> list[int]:
        items = self.by_category.get(cat, [])
        return items[(page - 1) * self.page_size : page * self.page_size]

    def neighbours_in_category(self, aid: int) -> tuple[int | None, int | None]:
        """(older, newer) post of the same category: the theme's 上一篇 / 下一篇 (post-single.php,
        $article.Prev / .Next; tpure's PostCATEPREVNEXTON keeps them in the category)."""
        ids = self.by_category[self.category(aid)]
        j = self._category_index[aid]
        return (ids[j + 1] if j + 1 < len(ids) else None), (ids[j - 1] if j > 0 else None)

    def source_of(self, aid: int) -> int | None:
        """The source text this post's body was spun from (mirror/spin.py), None for a post of
        its own or an unspun site; a cross-post's is its origin's."""
        if aid in self.copies:
            origin_site, origin_aid, _ = self.copies[aid]
            return origin_site.source_of(origin_aid)
        if self.spinner is None or self.is_seed(aid):
            return None
        return self.spinner.post(f"{self.spin_key}:{aid}")[1]

    def title_of(self, aid: int) -> str:
        return C.SEED_TITLE if self.is_seed(aid) else self.article(aid).title

    def keywords_of(self, aid: int) -> list[str]:
        return ["科创园", "长三角", "产业园"] if self.is_seed(aid) else self.article(aid).keywords

    def paragraphs_of(self, aid: int) -> list[str]:
        return C.seed_paragraphs() if self.is_seed(aid) else self.article(aid).body_paragraphs

    def readers(self, aid: int) -> int:
        """The count the site's readers made (the model's truth), without our visits."""
        return 69 if self.is_seed(aid) else self.article(aid).views

    def views_now(self, aid: int) -> int:
        """The count a page shows now: the readers' and every view our visits added."""
        return self.readers(aid) + self.visits[aid]

    def visit(self, aid: int) -> tuple[int, int]:
        """An article page is requested: the platform adds the view first (only on the tpure
        sites: the reconstruction never modelled it). Returns (count shown, this render's number)."""
        with self._visits_lock:
            if self.profile.theme == "tpure":
                self.visits[aid] += 1
            self.renders[aid] += 1
            return self.readers(aid) + self.visits[aid], self.renders[aid]

    def excerpt(self, aid: int) -> str:
        if self.is_seed(aid):
            text = C.seed_paragraphs()[0]
        else:
            text = "".join(b[1] for b in self.article(aid).blocks if b[0] == "p")
        return html.escape(text[:100]) + "..."

    def css(self, field: str, normal: str) -> str:
        """The class name of a field's markup; a made-up one when that field is broken."""
        return f"{normal}-v2" if self.broken == field else normal

    def etag_for(self, body: bytes) -> str:
        return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
