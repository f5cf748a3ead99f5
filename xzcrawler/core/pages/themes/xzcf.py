"""The reconstruction: an earlier copy of the network's pages with invented class names
(``div.post-meta``, ``div.post-body``, ``div.list-item``; ../shared/site/article-2176.html and
category-3.html). No real site is known to run it, but not every site need run one theme
version, and the archive's early captures are in it: it stays readable.
"""

from __future__ import annotations

from ..selector import has_class
from . import Signature, Theme, x

THEME = Theme(
    name="xzcf",
    signature=Signature(
        classes=(
            frozenset({"place"}),
            frozenset({"post-meta"}),
            frozenset({"post-body"}),
            frozenset({"list-item"}),
            frozenset({"post-wechat", "post-copyright", "related"}),
            frozenset({"navbar"}),  # ul.navbar
        ),
        assets=("/theme/xzcf/",),
    ),
    breadcrumb=(x(f"//div[{has_class('place')}]"), x(f"//div[{has_class('breadcrumb')}]")),
    post=(x(f"//div[{has_class('post')}]"),),
    title=(
        x(f"//h1[{has_class('post-title')}]"),
        x(f"//div[{has_class('post')}]//h1"),
        x(f"//h2[{has_class('post-title')}]"),
    ),
    meta=(x(f"//div[{has_class('post-meta')}]"),),
    meta_author=x(f".//*[{has_class('author')}]"),
    meta_time=x(f".//*[{has_class('time')}]"),
    meta_category=x(f".//*[{has_class('cate')}]//a | .//a[contains(@rel,'category')]"),
    meta_views=x(f".//*[{has_class('view')} or {has_class('views')}]"),
    body=(
        x(f"//div[{has_class('post-body')}]"),
        x(f"//div[{has_class('post-content')}]"),
        x(f"//div[{has_class('entry')}]"),
    ),
    promo_classes=frozenset(("post-wechat", "post-copyright")),
    drop_classes=frozenset(
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
    ),
    promo_outside_body=x(
        f"//div[{has_class('post-wechat')} or {has_class('post-copyright')}]"
        f"[not(ancestor::div[{has_class('post-body')}])]"
    ),
    post_tags=(
        x(f"//div[{has_class('post-tags')}]//a"),
        x(f"//div[{has_class('post')}]//*[{has_class('tags')} or {has_class('tag')}]//a"),
    ),
    related_items=(x(f"//div[{has_class('related')}]//li"),),
    neighbours=x(f"//div[{has_class('post-nav')}]//a/@href"),
    list_items=(x(f"//div[{has_class('list-item')}]"),),
    item_link=x(".//h2//a | .//h3//a"),
    item_excerpt=x(f".//p[{has_class('intro')}] | .//p[{has_class('excerpt')}]"),
    item_time=x(f".//*[{has_class('time')}]"),
    item_views=x(f".//*[{has_class('view')} or {has_class('views')}]"),
    pagebar=(x(f"//div[{has_class('pagebar')}]"), x(f"//div[{has_class('pagination')}]")),
    nav_links=x(f"//ul[{has_class('navbar')}]//a | //div[{has_class('nav')}]//a | //nav//a"),
    not_found=x(f"//div[{has_class('cate404')} or {has_class('post-404')}]"),
)
