"""tpure (拓源纯净主题, TOYEAN), the theme the network's sites run: 5.x (Z-BlogPHP 1.7) and 6.x.

Every expression cites where tpure prints it: the templates of zblogcn/zblogphp
``zb_users/theme/tpure/template/`` (5.0.2) and wdssmq/zblogphp18 (6.x), as summed up in
../shared/site/README.md, "The theme is tpure", and the reference pages ../shared/site/tpure/.
"""

from __future__ import annotations

from ..selector import has_class
from . import Signature, Theme, x

# post-single.php: the article is the first div.post of div.content > div.block; 6.x's "read next"
# box (PostPREVNEXTTYPE 2) is a second div.post.singlenext holding the next article's own
# h3, div.info and text, and listings use div.post.item: neither is the article.
_POST = f"//div[{has_class('post')}][not({has_class('item')}) and not({has_class('singlenext')})]"

THEME = Theme(
    name="tpure",
    signature=Signature(
        classes=(
            frozenset({"sitemap"}),  # single.php / catalog.php: 当前位置：
            frozenset({"info"}),  # post-single.php, post-multi.php: div.info
            frozenset({"single"}),  # post-single.php: the body
            frozenset({"item"}),  # post-multi.php: div.post.item
            frozenset({"copynotice", "relatecon", "errorpage"}),
        ),
        id_prefixes=("navbar-", "nvabar-"),  # the platform's navbar module
        assets=("/theme/tpure/",),
    ),
    # single.php: <div class="sitemap">当前位置：<a>首页</a> &gt; <a>分类</a> &gt; 正文内容</div>
    breadcrumb=(x(f"//div[{has_class('sitemap')}]"),),
    post=(x(_POST),),
    title=(x(f"{_POST}/h1"), x(f"{_POST}//h1")),
    # post-single.php: one span per shown item (user, date, cate, view, cmt), no text labels
    meta=(x(f"{_POST}/div[{has_class('info')}]"),),
    meta_author=x(f"./span[{has_class('user')}]"),
    meta_time=x(f"./span[{has_class('date')}]"),  # 1年前<span class="datetime"> (2024-09-24)</span>
    meta_category=x(f"./span[{has_class('cate')}]//a"),
    meta_views=x(f"./span[{has_class('view')}]"),
    # post-single.php: <div class="single viewall indent [timgbox]">{$article.Content}</div>
    body=(x(f"{_POST}/div[{has_class('single')}]"), x(f"//div[{has_class('single')}]")),
    # div.copynotice > div.tpureqr + div.copynoticetxt: the site's own HTML (contact block,
    # copyright line) and the theme's 本文链接 line
    promo_classes=frozenset(("copynotice",)),
    drop_classes=frozenset(
        (
            "abstract",  # 6.x: <blockquote class="abstract"><span>摘要：</span>the summary</blockquote>
            "sitemap",
            "info",
            "ctrl",  # the font-size buttons inside div.info
            "tags",
            "sharebox",
            "pages",  # 返回列表, 上一篇, 下一篇
            "singlenext",
            "posttitle",
            "relatecon",
            "tpureqr",
            "sidebar",
            "header",
            "footer",
            "menu",
            "edgebar",
            "comment",
            "cmtsfoot",
        )
    ),
    promo_outside_body=x(f"//div[{has_class('copynotice')}][not(ancestor::div[{has_class('single')}])]"),
    # post-single.php: <div class="tags">标签:<a href='…' title='…'>name</a>…</div>
    post_tags=(x(f"{_POST}//div[{has_class('tags')}]//a"),),
    # mutuality.php: div.relatecon > div.relate (div.relateimg + div.relateinfo > h3 > a, p) or,
    # with PostRELATESTYLE 1, div.relatelist > a + span.posttime
    related_items=(x(f"//div[{has_class('relatecon')}]/div[{has_class('relate')} or {has_class('relatelist')}]"),),
    # post-single.php: div.pages > p > a.single-prev (older) / a.single-next (newer)
    neighbours=x(f"//a[{has_class('single-prev')} or {has_class('single-next')}]/@href"),
    # catalog.php + post-multi.php / post-istop.php: div.content.listcon > div.block.custom > div.post.item
    list_items=(x(f"//div[{has_class('post')} and {has_class('item')}]"),),
    item_link=x("./h2//a | ./h3//a"),
    item_excerpt=x(f"./div[{has_class('intro')}]"),
    item_time=x(f"./div[{has_class('info')}]/span[{has_class('date')}]"),
    item_views=x(f"./div[{has_class('info')}]/span[{has_class('view')}]"),
    # catalog.php: <div class="pagebar">{template:pagebar}</div>, only when there is a page 2
    pagebar=(x(f"//div[{has_class('pagebar')}]"),),
    # navbar.php: the platform's navbar module, <li id="navbar-category-N"> (and nvabar-item-index)
    nav_links=x(
        f"//div[{has_class('menu')}]//li[starts-with(@id, 'navbar-') or starts-with(@id, 'nvabar-')]//a"
        f" | //div[{has_class('menu')}]//a"
    ),
    # 404.php: <div class="errorpage"><h3>404!</h3><h4>对不起，页面未找到</h4>…<a class="goback">
    not_found=x(f"//div[{has_class('errorpage')}]"),
)
