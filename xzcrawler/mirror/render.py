"""HTML of the mirror's pages, in the markup of ../shared/site/ (the network's Z-BlogPHP theme)."""

from __future__ import annotations

import html

from . import corpus as C
from .site import ORIGINAL_BASE, SEED_ID, XUZHOU, MirrorSite, content_html, relative_time

E = html.escape
SEED_TITLE = C.SEED_TITLE


class Links:
    """Absolute links on most pages; root-relative ones on some, as the real pages mix both."""

    def __init__(self, base: str, relative: bool = False):
        self.base = base.rstrip("/")
        self.relative = relative

    def __call__(self, path: str) -> str:
        return path if self.relative else self.base + path

    @staticmethod
    def post(aid: int) -> str:
        return f"/index.php/post/{aid}.html"

    @staticmethod
    def category(cat: int, page: int = 1) -> str:
        return f"/index.php/category-{cat}.html" if page == 1 else f"/index.php/category-{cat}_{page}.html"


def layout(
    site: MirrorSite | None,
    link: Links,
    title: str,
    body_class: str,
    content: str,
    active: int | None = None,
    head_extra: str = "",
    canonical: str | None = None,
) -> str:
    profile = site.profile if site is not None else XUZHOU
    nav = [f'      <li class="navbar-item"><a href="{link("/")}" title="首页">首页</a></li>']
    for cat, name in profile.categories:
        cls = "navbar-item active" if cat == active else "navbar-item"
        href = link(Links.category(profile.category_base + cat))
        nav.append(f'      <li class="{cls}"><a href="{href}" title="{name}">{name}</a></li>')
    popular = (
        f'        <li><a href="{link(Links.post(SEED_ID))}" title="左手徐州右手上海！">{SEED_TITLE}</a></li>\n'
        if profile.seed
        else ""
    )
    canonical_tag = f'<link rel="canonical" href="{link.base}{canonical}"/>\n' if canonical else ""
    return f"""<!DOCTYPE html>
<html xml:lang="zh-Hans" lang="zh-Hans">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8"/>
<meta http-equiv="X-UA-Compatible" content="IE=edge"/>
<meta name="viewport" content="width=device-width, initial-scale=1.0, user-scalable=no"/>
<meta name="renderer" content="webkit"/>
<title>{E(title)}</title>
<link rel="stylesheet" type="text/css" href="{link.base}/zb_users/theme/xzcf/style/style.css" />
<script src="{link.base}/zb_system/script/jquery-2.2.4.min.js"></script>
<script src="{link.base}/zb_system/script/zblogphp.js"></script>
{head_extra}{canonical_tag}</head>
<body class="{body_class}">
<div class="header">
  <div class="wrap">
    <div class="logo"><a href="{link("/")}" title="{profile.name}"><img src="{link.base}/zb_users/theme/xzcf/style/images/logo.png" alt="{profile.name}"></a></div>
    <ul class="navbar">
{chr(10).join(nav)}
    </ul>
    <form class="search" method="post" action="{link.base}/zb_system/cmd.php?act=search"><input type="text" name="q" placeholder="搜索..."><button type="submit">搜索</button></form>
  </div>
</div>
<div class="main wrap">
  <div class="content">
{content}
  </div>
  <div class="sidebar">
    <div class="widget">
      <h3>热门文章</h3>
      <ul>
{popular}      </ul>
    </div>
    <div class="widget contact">
      <h3>联系我们</h3>
      <p>产业招商/厂房土地租售：400 0123 021</p>
    </div>
  </div>
</div>
<div class="footer">
  <div class="wrap">
    <p>Copyright © {profile.name} Rights Reserved. <a href="https://beian.miit.gov.cn/" rel="nofollow" target="_blank">沪ICP备12034567号-3</a></p>
    <p>产业招商/厂房土地租售：400 0123 021 或微信/手机：13391219793</p>
  </div>
</div>
</body>
</html>
"""


def _meta_spans(link: Links, site: MirrorSite, aid: int, time_text: str) -> str:
    art = site.article(aid)
    name = site.profile.category_name(art.category)
    rel = "" if site.broken == "category" else ' rel="category tag"'
    return (
        f'<span class="author"><i class="ico-user"></i>admin</span>'
        f'<span class="{site.css("date", "time")}"><i class="ico-time"></i>{E(time_text)}</span>'
        f'<span class="{site.css("category", "cate")}"><i class="ico-cate"></i><a href="{link(Links.category(site.category_id(art.category)))}"{rel}>{name}</a></span>'
        f'<span class="{site.css("views", "view")}"><i class="ico-view"></i>{art.views_display}</span>'
    )


def article_page(site: MirrorSite, aid: int, base: str) -> str:
    if site.is_seed(aid):  # the one real page we hold, verbatim but for the host
        return C.seed_html().decode("utf-8").replace(ORIGINAL_BASE, base.rstrip("/"))
    art = site.article(aid)
    rng = site._rng(aid, "render")
    link = Links(base, art.relative_links)
    name = site.profile.category_name(art.category)
    indent = "　　" if rng.random() < 0.7 else "&nbsp;&nbsp;"
    body = content_html(art, lambda src, alt: f'<img src="{link(src)}" alt="{E(alt)}"/>', indent, "<p><br/></p>")
    time_text = relative_time(art.published, site.now, rng)
    crumbs = ""
    meta = ""
    if art.shape != "plain":
        crumbs = (
            f'    <div class="place">当前位置：<a href="{link("/")}">首页</a> &gt; '
            f'<a href="{link(Links.category(site.category_id(art.category)))}" title="查看 {name} 中的全部文章">{name}</a> &gt; 正文内容</div>\n'
        )
    if art.shape == "full":
        meta = f'      <div class="post-meta">\n        {_meta_spans(link, site, aid, time_text)}\n      </div>\n'
    related = []
    for rid in art.related:
        title = SEED_TITLE if site.is_seed(rid) else site.article(rid).title
        related.append(
            f'      <li>\n        <a href="{link(Links.post(rid))}" class="pic" title="{E(title)}"><span>{E(title)}</span></a>\n'
            f'        <h3><a href="{link(Links.post(rid))}" title="{E(title)}">{E(title)}</a></h3>\n'
            f"        <p>{site.excerpt(rid)}</p>\n      </li>"
        )
    description = E("".join(b[1] for b in art.blocks if b[0] == "p")[:120])
    content = f"""{crumbs}    <div class="post" id="post-{aid}">
      <h1 class="{site.css("title", "post-title")}">{E(art.title)}</h1>
{meta}      <div class="{site.css("body", "post-body")}">
{body}
      </div>
      <div class="post-wechat">
        {C.PROMO_HTML}
        <p><img src="{link.base}/zb_users/upload/2021/05/202105281622189466372498.jpg" alt="葛毅明微信号" width="180"/></p>
      </div>
      <div class="post-copyright">
        <p>{C.COPYRIGHT_TEXT.format(site=f'<a href="{link("/")}">{site.profile.name}</a>')}</p>
      </div>
      <div class="post-share">
        <span>分享给朋友：</span>
        <div class="bdsharebuttonbox"><a href="#" class="bds_weixin" data-cmd="weixin" title="分享到微信"></a></div>
      </div>
    </div>
    <div class="related">
      <h2>相关文章</h2>
      <ul>
{chr(10).join(related)}
      </ul>
    </div>"""
    head = (
        f'<meta name="keywords" content="{",".join(art.keywords)}"/>\n'
        f'<meta name="description" content="{description}..."/>\n'
    )
    return layout(
        site, link, f"{art.title} - {site.profile.name}", "single", content, art.category, head, Links.post(aid)
    )


def _list_item(site: MirrorSite, aid: int, link: Links) -> str:
    rng = site._rng(aid, "render")
    if site.is_seed(aid):
        title, cat, views = SEED_TITLE, 3, "69"
        time_text = "1年前 (2024-09-24)"
    else:
        art = site.article(aid)
        title, cat, views = art.title, art.category, art.views_display
        time_text = relative_time(art.published, site.now, rng)
    thumb = ""
    if rng.random() < 0.75:  # some items have no thumbnail
        thumb = (
            f'        <div class="thumb"><a href="{link(Links.post(aid))}" title="{E(title)}">'
            f'<img src="{link.base}/zb_users/upload/thumb/{aid}.jpg" alt="{E(title)}"/></a></div>\n'
        )
    return (
        f'      <div class="list-item">\n{thumb}'
        f'        <h2><a href="{link(Links.post(aid))}" title="{E(title)}">{E(title)}</a></h2>\n'
        f'        <p class="intro">{site.excerpt(aid)}</p>\n'
        f'        <div class="post-meta"><span class="author">admin</span><span class="{site.css("date", "time")}">{E(time_text)}</span>'
        f'<span class="{site.css("category", "cate")}"><a href="{link(Links.category(site.category_id(cat)))}">{site.profile.category_name(cat)}</a></span>'
        f'<span class="{site.css("views", "view")}">{views}</span></div>\n      </div>'
    )


def pagebar(link: Links, cat: int, page: int, last: int) -> str:
    parts = []
    if page > 1:
        parts.append(f'<a href="{link(Links.category(cat))}" title="首页"><span class="page">«</span></a>')
        parts.append(f'<a href="{link(Links.category(cat, page - 1))}" title="上一页"><span class="page">‹</span></a>')
    for n in range(max(1, page - 2), min(last, page + 2) + 1):
        if n == page:
            parts.append(f'<span class="page now-page">{n}</span>')
        else:
            parts.append(f'<a href="{link(Links.category(cat, n))}"><span class="page">{n}</span></a>')
    if page + 2 < last:
        parts.append('<span class="page">...</span>')
        parts.append(f'<a href="{link(Links.category(cat, last))}"><span class="page">{last}</span></a>')
    if page < last:
        parts.append(f'<a href="{link(Links.category(cat, page + 1))}" title="下一页"><span class="page">›</span></a>')
        parts.append(f'<a href="{link(Links.category(cat, last))}" title="尾页"><span class="page">»</span></a>')
    return f'    <div class="pagebar">{"".join(parts)}</div>'


def category_page(site: MirrorSite, category_id: int, page: int, base: str) -> str | None:
    cat = site.category_kind(category_id)
    if cat is None or not 1 <= page <= site.category_pages(cat):
        return None
    last = site.category_pages(cat)
    link = Links(base)
    name = site.profile.category_name(cat)
    items = "\n".join(_list_item(site, aid, link) for aid in site.category_page(cat, page))
    content = (
        f'    <div class="place">当前位置：<a href="{link("/")}">首页</a> &gt; {name}</div>\n'
        f'    <div class="list">\n{items}\n    </div>\n{pagebar(link, category_id, page, last)}'
    )
    return layout(
        site,
        link,
        f"{name} - {site.profile.name}",
        "multi category",
        content,
        cat,
        canonical=Links.category(category_id, page),
    )


def home_page(site: MirrorSite, base: str) -> str:
    link = Links(base)
    items = "\n".join(_list_item(site, aid, link) for aid in site.newest[:10])
    content = f'    <div class="list">\n{items}\n    </div>'
    return layout(site, link, f"{site.profile.name} - 产业招商 厂房土地出租出售", "multi index", content, canonical="/")


def not_found_page(base: str, site: MirrorSite | None = None) -> str:
    link = Links(base)
    content = (
        '    <div class="post cate404">\n      <h2 class="post-title">页面不存在</h2>\n'
        '      <div class="post-404"><p>抱歉，您访问的页面不存在或已被删除。</p>'
        f'<p><a href="{link("/")}">返回首页</a></p></div>\n    </div>'
    )
    name = (site.profile if site is not None else XUZHOU).name
    return layout(site, link, f"页面不存在 - {name}", "multi error", content)


ROBOTS_TXT = """User-agent: *
Disallow: /zb_system/
Disallow: /zb_users/plugin/
Disallow: /feed.php
"""
