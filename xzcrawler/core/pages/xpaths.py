"""Selectors of the platform (Z-BlogPHP), the same whatever the theme: the head, the page bar,
URL shapes. The theme's own selectors are data per theme in ``themes/`` (as trafilatura keeps
its xpaths.py): a theme's change is an edit there, a new theme a module there.
"""

from .selector import Selector as _x
from .selector import has_class as _has_class

# --- page furniture (the platform's, whatever the theme) -------------------------
TITLE_TAG = _x("//head/title")
# The site's own name ({$name}), in order of trust: the feed link every page's head carries
# (tpure header.php: <link rel="alternate" type="application/rss+xml" href="{$feedurl}" title="{$name}" />),
# the text logo (tpure navbar.php: <div class="logo"><h1 class="name"><a>{$name}</a></h1>), the
# logo image's alt (tpure prints {$subname} there, the reconstruction the name: a last resort).
SITE_NAME = (
    _x("//head/link[@rel='alternate' and contains(@type, 'rss')]/@title"),
    _x(f"//div[{_has_class('logo')}]//h1[{_has_class('name')}]//a"),
    _x(f"//div[{_has_class('logo')}]//img/@alt"),
)
META_KEYWORDS = _x("//meta[translate(@name,'KEYWORDS','keywords')='keywords']/@content")
ANY_H1 = (_x("//body//h1"),)
ANY_LINK = _x("//body//a[@href]")
BODY_TAG = _x("//body")
POST_ID = _x(f"//div[{_has_class('post')}]/@id")  # <div class="post" id="post-2176">: the id the markup claims
BREADCRUMB_LINKS = _x(".//a[@href]")
RELATED_HEADING_LINK = _x(".//h3//a | .//h2//a | .//h4//a")
RELATED_ANY_LINK = _x(".//a[@href]")
RELATED_EXCERPT = _x(".//p")

# --- the platform's page bar (zb_system/function/lib/pagebar.php; labels from the language
# file: first ‹‹, previous ‹, next ›, last ››; a site may relabel them 首页 上页 下页 尾页, and
# tpure's pagebar.php prints the page after the current one as span.next-page > a)
PAGEBAR_NEXT = _x(
    ".//a[@title='下一页' or normalize-space(.)='›' or normalize-space(.)='下一页' or normalize-space(.)='下页'"
    " or normalize-space(.)='下頁' or normalize-space(.)='Next']/@href"
    f" | .//*[{_has_class('next-page')}]//a/@href"
)
PAGEBAR_LAST = _x(
    ".//a[@title='尾页' or normalize-space(.)='››' or normalize-space(.)='»' or normalize-space(.)='尾页'"
    " or normalize-space(.)='尾頁' or normalize-space(.)='末页' or normalize-space(.)='Last']/@href"
)
PAGEBAR_LINKS = _x(".//a/@href")
PAGEBAR_CURRENT = _x(f".//*[{_has_class('now-page')}]")

# --- soft 404 ----------------------------------------------------------------
NOT_FOUND_MARKERS = ("页面不存在", "页面未找到", "文章不存在", "您访问的页面不存在", "404 Not Found", "Page Not Found")

# --- URL shapes (Z-BlogPHP rewrite under index.php; ?id= when rewriting is off) ---
import re as _re  # noqa: E402

POST_URL = _re.compile(r"/post/(\d+)\.html?(?:$|[?#])")
POST_QUERY = _re.compile(r"[?&]id=(\d+)(?:&|$)")
CATEGORY_URL = _re.compile(r"/category-(\d+)(?:_(\d+))?\.html?(?:$|[?#])|[?&]cate=(\d+)")
LISTING_PAGE_NUMBER = _re.compile(r"_(\d+)\.html?(?:$|[?#])|[?&]page=(\d+)")
