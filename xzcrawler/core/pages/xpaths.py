"""Every selector the parser uses, in one place (as trafilatura keeps its xpaths.py).

The class names follow the network's Z-BlogPHP theme. Each field has a first
choice and fallbacks, so that a page missing a block still yields what it has.
When the theme changes, this is the one file to edit.
"""

from lxml import etree


def _x(expr: str) -> etree.XPath:
    return etree.XPath(expr)


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# --- page furniture ------------------------------------------------------
TITLE_TAG = _x("//head/title")
META_KEYWORDS = _x("//meta[translate(@name,'KEYWORDS','keywords')='keywords']/@content")
NAV_LINKS = _x(f"//ul[{_has_class('navbar')}]//a | //div[{_has_class('nav')}]//a | //nav//a")

# --- article -------------------------------------------------------------
# Tuples are alternatives in order of trust: the first that finds something wins, so a
# normal page pays for one cheap expression and only odd pages reach the fallbacks.
BREADCRUMB = (_x(f"//div[{_has_class('place')}]"), _x(f"//div[{_has_class('breadcrumb')}]"))
POST = (_x(f"//div[{_has_class('post')}]"),)
POST_ID = _x(f"//div[{_has_class('post')}]/@id")
TITLE = (
    _x(f"//h1[{_has_class('post-title')}]"),
    _x(f"//div[{_has_class('post')}]//h1"),
    _x(f"//h2[{_has_class('post-title')}]"),
)
ANY_H1 = (_x("//body//h1"),)
META = (_x(f"//div[{_has_class('post-meta')}]"),)
META_AUTHOR = _x(f".//*[{_has_class('author')}]")
META_TIME = _x(f".//*[{_has_class('time')}]")
META_CATEGORY = _x(f".//*[{_has_class('cate')}]//a | .//a[contains(@rel,'category')]")
META_VIEWS = _x(f".//*[{_has_class('view')} or {_has_class('views')}]")
BODY = (
    _x(f"//div[{_has_class('post-body')}]"),
    _x(f"//div[{_has_class('post-content')}]"),
    _x(f"//div[{_has_class('entry')}]"),
)
# Site blocks that sit next to the body (when pasted inside it, the body walker finds them).
PROMO_BLOCKS_OUTSIDE_BODY = _x(
    f"//div[{_has_class('post-wechat')} or {_has_class('post-copyright')}][not(ancestor::div[{_has_class('post-body')}])]"
)
POST_TAGS = (
    _x(f"//div[{_has_class('post-tags')}]//a"),
    _x(f"//div[{_has_class('post')}]//*[{_has_class('tags')} or {_has_class('tag')}]//a"),
)

RELATED_ITEMS = _x(f"//div[{_has_class('related')}]//li")
RELATED_HEADING_LINK = _x(".//h3//a | .//h2//a | .//h4//a")
RELATED_ANY_LINK = _x(".//a[@href]")
RELATED_EXCERPT = _x(".//p")

# Class names of blocks the body walker keeps as promo text, and of blocks it drops.
PROMO_CLASSES = frozenset(("post-wechat", "post-copyright"))
DROP_CLASSES = frozenset(
    (
        "post-share",
        "bdsharebuttonbox",
        "related",
        "post-meta",
        "place",
        "breadcrumb",
        "pagebar",
        "sidebar",
        "header",
        "footer",
        "navbar",
        "nav",
        "logo",
        "search",
        "widget",
        "tags",
        "post-tags",
    )
)
BODY_TAG = _x("//body")
BREADCRUMB_LINKS = _x(".//a[@href]")

# --- listing -------------------------------------------------------------
LIST_ITEMS = _x(f"//div[{_has_class('list-item')}]")
ITEM_LINK = _x(".//h2//a | .//h3//a")
ITEM_EXCERPT = _x(f".//p[{_has_class('intro')}] | .//p[{_has_class('excerpt')}]")
ITEM_TIME = _x(f".//*[{_has_class('time')}]")
ITEM_VIEWS = _x(f".//*[{_has_class('view')} or {_has_class('views')}]")
PAGEBAR = (_x(f"//div[{_has_class('pagebar')}]"), _x(f"//div[{_has_class('pagination')}]"))
PAGEBAR_NEXT = _x(".//a[@title='下一页' or normalize-space(.)='›' or normalize-space(.)='下一页']/@href")
PAGEBAR_LAST = _x(".//a[@title='尾页' or normalize-space(.)='»' or normalize-space(.)='尾页']/@href")
PAGEBAR_LINKS = _x(".//a/@href")
PAGEBAR_CURRENT = _x(f".//*[{_has_class('now-page')}]")

# --- soft 404 ----------------------------------------------------------------
NOT_FOUND_MARKERS = ("页面不存在", "文章不存在", "您访问的页面不存在", "404 Not Found", "Page Not Found")

# --- URL shapes (Z-BlogPHP rewrite under index.php; ?id= when rewriting is off) ---
import re as _re  # noqa: E402

POST_URL = _re.compile(r"/post/(\d+)\.html?(?:$|[?#])")
POST_QUERY = _re.compile(r"[?&]id=(\d+)(?:&|$)")
CATEGORY_URL = _re.compile(r"/category-(\d+)(?:_(\d+))?\.html?(?:$|[?#])|[?&]cate=(\d+)")
LISTING_PAGE_NUMBER = _re.compile(r"_(\d+)\.html?(?:$|[?#])|[?&]page=(\d+)")
