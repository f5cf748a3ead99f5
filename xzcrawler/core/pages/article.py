"""Article pages: a pure function of (document, url, fetched_at) to the archive record."""

from __future__ import annotations

import re

from .. import normalize as nz
from . import themes as T
from . import xpaths as X
from .common import article_id_from_url, element_text, first, pick, site_title_suffix_removed
from .records import ArticlePage

# --- what the site adds around bodies (its own promo/contact block and copyright) ---
# The site's block is recognised by where it lives: tpure's div.copynotice (post-single.php) and the
# reconstruction's div.post-wechat / div.post-copyright, outside the body (each theme's
# ``promo_classes``). Inside a body a theme's selector found, everything is the author's: a rental
# post's own 联系电话：400 0123 021 paragraph and the photo after it are body text and a body image
# (../shared/site/README.md, "The post's own text vs the site's advertising"). Words are read only
# where no markup says where the body is: a page whose body no theme's selector finds, walked whole.
PROMO_LINE = re.compile(
    r"^[\u4e00-\u9fff]{2,4}微信号$"
    r"|产业招商/厂房土地租售"
    r"|400[\s\-]?0123[\s\-]?021"
    r"|13391219793"
    r"|请说明您的需求"
    r"|扫一扫加"
    r"|^版权声明[:：]"
    r"|部份内容收集于网络"
    r"|本文由.{1,16}网发布"
    r"|^本文链接[:：]"  # tpure's copynotice: 本文链接：<url as requested> (post-single.php, copynoticetip)
)
# Lines of a promo block that are the theme's furniture, not the site's words: tpure 5.x prints
# the URL as requested (query string included), so the line would differ from fetch to fetch.
PROMO_FURNITURE = re.compile(r"^本文链接[:：]")
# Where a promo pasted at the end of a text paragraph begins.
PROMO_START = re.compile(r"[\u4e00-\u9fff]{2,4}微信号|产业招商/厂房土地租售|版权声明[:：]|长按/扫一扫")
PROMO_IMAGE = re.compile(r"微信|二维码|扫一扫|qrcode", re.I)
# Lines after which nothing is article text any more (share widget, related list).
END_OF_BODY = re.compile(r"^(分享给朋友[:：]?|分享到[:：]?|相关文章|相关阅读|上一篇[:：].*|下一篇[:：].*)$")

# --- bylines -----------------------------------------------------------------
_NAME_CHARS = r"[\u4e00-\u9fff·•、/ \u3000]"
BYLINE_END = re.compile(rf"[（(]\s*({_NAME_CHARS}{{2,24}}?)\s*[）)]\s*([\u4e00-\u9fff]{{2,8}})?\s*[。.]?$")
BYLINE_REPORTER_PAREN = re.compile(r"[（(]\s*((?:本报)?记者[^（）()]{1,24}?)\s*[）)]")
BYLINE_LABEL = re.compile(r"^(?:作者|撰文|文)\s*[:：/]\s*\S.{0,40}$")
BYLINE_REPORTER_LINE = re.compile(
    r"^((?:本报|本台|融媒)?记者[\s:：].{1,40}|(?:本报|本台)?记者[\u4e00-\u9fff]{2,4}(?:\s.{0,30})?)$"
)
EDITOR_NOTE = re.compile(r"^[（(]\s*(?:编者按|编者注|编辑注|更正|注)[:：].*[）)]$")
BYLINE_SOURCE = re.compile(r"^来源\s*[:：]\s*\S.{0,40}$")
DATE_LINE = re.compile(
    r"(?:发布日期|发布时间|发表时间|发表日期|日期|时间)\s*[:：]\s*"
    r"(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*日)"
)
_DATE_TEXT = re.compile(
    r"(?:刚刚|\d+\s*(?:秒钟?|分钟|个?小时|天|周|个?星期|个月|年)前|[昨前今]天)"
    r"(?:\s*\d{1,2}[:：]\d{2})?(?:\s*[（(][^（）()]{3,25}[）)])?"
    r"|\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}[:：]\d{2}(?::\d{2})?)?"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*日"
)

_NOT_A_NAME = re.compile(r"[0-9:：，,。]|^(图|摄|注|完)")  # what a byline in brackets is not
_PLACE_LABEL = re.compile(r"^\s*(当前位置|您的位置|位置)\s*[:：]")
_PLACE_SEPARATOR = re.compile(r"[>›»]|&gt;")
_DIGITS = re.compile(r"(\d{1,19})")

_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote section article table tbody thead tr "
    "center pre figure figcaption header footer aside hr form address".split()
)
_SKIP_TAGS = frozenset("script style noscript template head title select option button input textarea".split())

_SOURCE_NEWLINE = re.compile(r"(?<=(.))?[ \t]*\n\s*(?=(.))?", re.S)
_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’]")


def _fold_newline(match: re.Match) -> str:
    """A source newline between Chinese characters vanishes (as in CJK line breaking); elsewhere a space."""
    before, after = match.group(1), match.group(2)
    if before and after and _WIDE.match(before) and _WIDE.match(after):
        return ""
    return " "


LAZY_PLACEHOLDER = re.compile(r"/style/images/lazyload\.(?:png|gif|jpg|svg)(?:$|\?)")
_IMG = object()  # marker for an image position among paragraphs


class _Collector:
    """Turns a body container into paragraphs, images and promo text."""

    def __init__(self, base_url: str, newline_breaks: bool = False, theme: T.Theme | None = None):
        self.base_url = base_url
        theme = theme or T.THEMES[0]
        self.drop_classes, self.promo_classes = theme.drop_classes, theme.promo_classes
        # In marked-up text a newline is only source formatting (a browser shows a space); in a
        # container of bare text with no <p> or <br>, newlines are the only line breaks there are.
        self.newline_breaks = newline_breaks
        self.items: list = []  # str paragraphs and (_IMG, image) markers
        self.promo_blocks: list[str] = []
        self._buf: list[str] = []

    def brk(self) -> None:
        if self._buf:
            self.items.append("".join(self._buf))
            self._buf = []

    def text(self, value: str) -> None:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        if not self.newline_breaks:
            if "\n" not in value:
                self._buf.append(value)
            elif value.strip(" \t\n"):
                self._buf.append(_SOURCE_NEWLINE.sub(_fold_newline, value))
            else:  # the source's indentation between two tags (half of a post's texts): one match, a space
                self._buf.append(" ")
            return
        lines = value.split("\n")
        self._buf.append(lines[0])
        for line in lines[1:]:
            self.brk()
            self._buf.append(line)

    def image(self, el) -> None:
        # tpure's lazy-load rewrite (include.php, tpure_LazyLoadReplace) moves the address to
        # data-original and puts its placeholder, .../tpure/style/images/lazyload.png, in src
        src = el.get("data-original") or el.get("data-src") or el.get("src")
        if src and LAZY_PLACEHOLDER.search(src) and not el.get("data-original"):
            src = None
        src = nz.absolute_url(src, self.base_url)
        if src:
            alt = el.get("alt")
            self.brk()
            self.items.append((_IMG, {"src": src, "alt": nz.inert(alt).strip() if alt is not None else None}))

    def walk(self, el) -> None:
        tag = el.tag
        if not isinstance(tag, str):  # comments, processing instructions
            if el.tail:
                self.text(el.tail)
            return
        tag = tag.lower()
        names = el.get("class")  # (most elements of a body have none: no set is made for them)
        classes = names.split() if names else ()
        if tag in _SKIP_TAGS or (classes and not self.drop_classes.isdisjoint(classes)):
            pass
        elif classes and not self.promo_classes.isdisjoint(classes):
            self.brk()
            self.promo_blocks.append(_block_text(el))
        elif tag == "br":
            self.brk()
        elif tag == "img":
            self.image(el)
        else:
            block = tag in _BLOCK_TAGS
            if block:
                self.brk()
            if el.text:
                self.text(el.text)
            for child in el:
                self.walk(child)
            if block:
                self.brk()
        if el.tail:
            self.text(el.tail)


def _block_text(el) -> str:
    """The verbatim text of a site block, one line per paragraph or line break (the theme's own
    furniture in it left out)."""
    collector = _Collector("")
    if el.text:
        collector.text(el.text)
    for child in el:
        collector.walk(child)
    collector.brk()
    lines = [nz.strip_indent(t) for t in collector.items if isinstance(t, str)]
    return "\n".join(line for line in lines if line and not PROMO_FURNITURE.match(line))


def _body_container(doc, body, theme):
    if body is not None:
        return body
    post, _, _ = T.pick(doc, theme, "post")
    if post is not None:
        return post
    body = first(X.BODY_TAG(doc))
    return doc if body is None else body


def _split_body(container, base_url: str, title: str, theme: T.Theme, found: bool):
    """Paragraphs, images and promo lines of the body container. ``found``: the container is the
    body a theme's selector found, so every line and image in it is the post's; otherwise it is a
    fallback (the post block or the whole page) and the site's furniture in it is told by its words."""
    structured = any(
        isinstance(el.tag, str) and (el.tag.lower() in _BLOCK_TAGS or el.tag.lower() == "br")
        for el in container.iterdescendants()
    )
    collector = _Collector(base_url, newline_breaks=not structured, theme=theme)
    if container.text:
        collector.text(container.text)
    for child in container:
        # the page title and meta line, when the fallback container holds them
        if isinstance(child.tag, str) and child.tag.lower() == "h1":
            if child.tail:
                collector.text(child.tail)
            continue
        collector.walk(child)
    collector.brk()

    entries: list = []  # ("text", str) | ("promo", str) | ("img", dict)
    for item in collector.items:
        if isinstance(item, tuple):
            entries.append(("img", item[1]))
            continue
        line = nz.strip_indent(item)
        if not line:
            continue
        if found:
            entries.append(("text", line))
            continue
        if END_OF_BODY.match(line):
            break
        if not PROMO_LINE.search(line):
            entries.append(("text", line))
            continue
        start = PROMO_START.search(line)
        if start and len(nz.strip_indent(line[: start.start()])) >= 10:  # article text, then a pasted promo
            entries.append(("text", nz.strip_indent(line[: start.start()])))
            line = nz.strip_indent(line[start.start() :])
        entries.append(("promo", line))

    paragraphs, images, promo_lines = [], [], []
    for index, (kind, value) in enumerate(entries):
        if kind == "text":
            paragraphs.append(value)
        elif kind == "promo":
            promo_lines.append(value)
        else:
            # the QR code of a pasted promo block follows its text
            after_promo = index > 0 and entries[index - 1][0] == "promo"
            if not found and (PROMO_IMAGE.search(value.get("alt") or "") or after_promo):
                continue
            images.append(value)
    # a title repeated as the first line of a plain page is not body text
    if paragraphs and title and paragraphs[0] == title:
        paragraphs.pop(0)
    promo = [block for block in collector.promo_blocks if block]
    if promo_lines:
        promo.append("\n".join(promo_lines))
    return paragraphs, images, promo


def find_byline(paragraphs: list[str]) -> str | None:
    """The byline as the site's pages give it (see the site README):
    ``（裘培兴）`` ending the body -> 裘培兴; ``（徐承德肖昌琦）新华日报`` -> 徐承德肖昌琦;
    ``◎文/徐报融媒记者 吴云 …`` opening it -> the text after ◎; a short ``作者：`` / ``记者`` /
    ``来源：`` line -> that line; else ``（记者牛萌）`` in the opening paragraph -> 记者牛萌."""
    if not paragraphs:
        return None
    # an editor's note set before the text, wholly in brackets, does not move the byline
    opening = [p for p in paragraphs if not EDITOR_NOTE.match(p)] or paragraphs
    head, tail = opening[:5], paragraphs[-3:]
    for line in head:
        if line.startswith("◎"):
            return nz.strip_indent(line[1:]) or None
    for line in reversed(tail):
        match = BYLINE_END.search(line)
        if match and not _NOT_A_NAME.search(match.group(1)):
            return nz.strip_indent(match.group(1))
    for pattern in (BYLINE_LABEL, BYLINE_REPORTER_LINE, BYLINE_SOURCE):
        for line in head[:3] + tail:
            if len(line) <= 40 and pattern.match(line):
                return line
    match = BYLINE_REPORTER_PAREN.search(opening[0])
    if match:
        return nz.strip_indent(match.group(1))
    return None


def _breadcrumbs(place, title: str) -> tuple[list[str], str | None, str | None, str]:
    """Names (home first, no 正文内容, nor the title a site may show in its place), the last
    category link, and the raw text."""
    if place is None:
        return [], None, None, ""
    raw = element_text(place)
    text = _PLACE_LABEL.sub("", raw)
    names = [nz.clean_inline(part) for part in _PLACE_SEPARATOR.split(text)]
    names = [n for n in names if n and n not in ("正文内容", "正文")]
    if len(names) > 1 and title and names[-1] == title:
        names.pop()  # tpure's option to print the title in place of 正文内容 (single.php)
    category = category_url = None
    for link in X.BREADCRUMB_LINKS(place):
        name = nz.clean_inline(element_text(link))
        if name and name not in ("首页", "主页", "网站首页") and name != title:
            category, category_url = name, link.get("href")
    return names, category, category_url, raw


def _meta_fields(meta, meta_primary: bool, theme: T.Theme, base_url: str) -> dict:
    """Author, date text, category and views of the meta line, read with the sub-selectors of the
    theme that found it; a field counts as a primary hit only when the meta line was found by the
    page's own theme and the field by that theme's sub-selector."""
    out = {
        "author": None,
        "published_text": None,
        "category": None,
        "category_url": None,
        "views": None,
        "views_rounded": None,
        "primary": set(),
    }
    if meta is None:
        return out
    author = first(theme.meta_author(meta))
    if author is not None:
        out["author"] = nz.clean_inline(element_text(author)) or None
    cate = first(theme.meta_category(meta))
    if cate is not None:
        out["category"] = nz.clean_inline(element_text(cate)) or None
        out["category_url"] = nz.absolute_url(cate.get("href"), base_url)
        if meta_primary:
            out["primary"].add("category")
    time_el = first(theme.meta_time(meta))
    if time_el is not None:
        out["published_text"] = nz.clean_inline(element_text(time_el)) or None
        if meta_primary:
            out["primary"].add("published_date")
    views = first(theme.meta_views(meta))
    if views is not None:
        text = element_text(views)
        out["views"], out["views_rounded"] = nz.parse_count(text), nz.count_rounded(text)
        if meta_primary:
            out["primary"].add("views")
    if time_el is None or views is None:
        # a meta line without its spans, read as text: admin1年前 (2024-09-24)徐州产业信息69
        text = nz.clean_inline(element_text(meta))
        match = _DATE_TEXT.search(text)
        if match:
            if out["published_text"] is None:
                out["published_text"] = match.group(0).strip()
            if out["author"] is None:
                out["author"] = nz.strip_indent(text[: match.start()]) or None
            rest = text[match.end() :]
            if out["category"]:
                rest = rest.replace(out["category"], " ")
            if out["views"] is None:
                count = re.search(r"(\d[\d,.]*\s*[万亿]?)\s*(?:次|人|阅读|浏览)?\s*$", rest)
                out["views"] = nz.parse_count(count.group(1)) if count else None
                out["views_rounded"] = nz.count_rounded(count.group(1)) if count else None
    return out


def _declared_id(doc) -> int | None:
    """The post id the markup claims (``<div class="post" id="post-2176">``), if any."""
    for value in X.POST_ID(doc):
        found = _DIGITS.search(value)
        if found:
            return int(found.group(1))
    return None


def parse_article(
    doc, url: str, fetched_at, title_el, body_el, shown: T.Theme | None, primary: frozenset
) -> ArticlePage:
    """The archive record of an article page, from what classify() found: the title and body
    elements (or None), the theme the page shows (None: none), and which of title and body its
    first choice found."""
    theme = T.reading(shown)
    fetched_iso = nz.utc_iso(fetched_at)
    if title_el is None:
        title_el = pick(doc, X.ANY_H1)
    if title_el is not None:
        title = nz.clean_inline(element_text(title_el))
    else:
        title = site_title_suffix_removed(doc)

    place, _, _ = T.pick(doc, theme, "breadcrumb")
    breadcrumbs, bc_category, bc_category_url, _ = _breadcrumbs(place, title)
    meta_el, _, meta_theme = T.pick(doc, theme, "meta")
    # the meta line's fields are the page theme's own when its sub-selectors read them, whichever of
    # the theme's meta containers held them (some pages of a theme wrap the line differently)
    meta = _meta_fields(meta_el, meta_theme is theme, meta_theme, url)
    category = meta["category"] or bc_category
    category_url = meta["category_url"] or (nz.absolute_url(bc_category_url, url) if category == bc_category else None)

    paragraphs, images, promo = _split_body(
        _body_container(doc, body_el, theme), url, title, theme, found=body_el is not None
    )
    promo += [_block_text(el) for t in T.THEMES for el in t.promo_outside_body(doc)]
    promo = [p for p in dict.fromkeys(promo) if p]

    published_text = meta["published_text"]
    if published_text is None:
        for line in paragraphs[:6] + paragraphs[-3:]:
            match = DATE_LINE.search(line)
            if match:
                published_text = nz.strip_indent(match.group(1))
                break
    dates = nz.parse_published(published_text, fetched_iso)

    keywords = nz.split_keywords(first(X.META_KEYWORDS(doc)))
    if not keywords:
        keywords = nz.split_keywords(",".join(element_text(a) for a in T.pick_all(doc, theme, "post_tags")[0]))

    body_text = "\n\n".join(paragraphs)
    primary = set(meta["primary"]) | set(primary)
    record = {
        "url": url,
        "site": nz.site_of(url),
        "article_id": article_id_from_url(url),  # identity comes from the address, never from the markup
        "title": title,
        "category": category,
        "category_url": category_url,
        "breadcrumbs": breadcrumbs,
        "author": meta["author"],
        "published_date": dates["published_date"],
        "published_at": dates["published_at"],
        "published_precision": dates["published_precision"],
        "published_earliest": dates["published_earliest"],
        "published_latest": dates["published_latest"],
        "published_text": published_text,
        "views": meta["views"],  # one page, no history: the readers' count is the number shown
        "views_shown": meta["views"],
        "views_rounded": meta["views_rounded"] if meta["views"] is not None else None,
        "byline": find_byline(paragraphs),
        "keywords": keywords,
        "body_text": body_text,
        "images": images,
        "related": _related(doc, theme, url),
        "promo_text": "\n\n".join(promo) or None,
        "content_hash": nz.content_hash(body_text),
        "fetched_at": fetched_iso,
    }
    return ArticlePage(
        record,
        declared_id=_declared_id(doc),
        # watched fields found by their first-choice selector (the others came from fallbacks, if at all)
        primary=tuple(sorted(primary)),
        theme=shown.name if shown is not None else None,
        # the previous and next article (tpure: within the category): a second path to articles
        neighbours=tuple(_neighbours(doc, theme, url)),
    )


def _neighbours(doc, theme: T.Theme, base_url: str) -> list[str]:
    found = []
    for href in theme.neighbours(doc):
        absolute = nz.absolute_url(href, base_url)
        if absolute and article_id_from_url(absolute) is not None and absolute not in found:
            found.append(absolute)
    return found


def _related(doc, theme: T.Theme, base_url: str) -> list[dict]:
    related = []
    for li in T.pick_all(doc, theme, "related_items")[0]:
        link = first(X.RELATED_HEADING_LINK(li))
        if link is None:
            link = first(X.RELATED_ANY_LINK(li))
        if link is None:
            continue
        href = nz.absolute_url(link.get("href"), base_url)
        title = nz.clean_inline(element_text(link)) or nz.clean_inline(link.get("title"))
        if not href or not title:
            continue
        excerpt_el = first(X.RELATED_EXCERPT(li))
        excerpt = nz.strip_indent(element_text(excerpt_el)) if excerpt_el is not None else ""
        related.append({"url": href, "title": title, "excerpt": excerpt or None})
    return related
