"""The mirror's pages in the network's real theme, tpure (拓源纯净主题) on Z-BlogPHP.

A model of the site, not its truth: each rule below names its source, the theme's templates in
zblogcn/zblogphp ``zb_users/theme/tpure/`` (5.0.2; 6.x in wdssmq/zblogphp18), the platform's
code beside it, or the real pages in ../shared/site/tpure/ (summed up in ../shared/site/README.md).
"""

from __future__ import annotations

import datetime as dt
import html
import random
import zlib
from email.utils import format_datetime

from . import corpus as C
from .site import ABSOLUTE_STYLES, ORIGINAL_BASE, TZ, MirrorSite, content_html, time_ago

E = html.escape
PAGE_SIZE = 10  # the platform's ZC_DISPLAY_COUNT default: 10 posts a page (README, "Listing page")
RELATED_COUNT = 6  # mutuality.php: PostRELATENUM, else 6
PAGEBAR_COUNT = 10  # the platform's ZC_PAGEBAR_COUNT default: up to 10 page numbers
LAZY = "/zb_users/theme/tpure/style/images/lazyload.png"  # include.php, tpure_LazyLoadReplace


def _link(base: str, path: str) -> str:
    return base.rstrip("/") + path


def post_path(aid: int) -> str:
    return f"/index.php/post/{aid}.html"


def category_path(cat: int, page: int = 1) -> str:
    return f"/index.php/category-{cat}.html" if page == 1 else f"/index.php/category-{cat}_{page}.html"


def views_shown(site: MirrorSite, count: int) -> str:
    """post-single.php prints ViewNums; 6.x passes it through tpure_Myriabit(n, 2): counts of
    10,000 and more as round(n / 10000, 2) 万 (12345 -> 1.23万, 20000 -> 2万), never 亿."""
    if site.profile.v6 and count >= 10_000:
        return f"{round(count / 10_000, 2):.2f}".rstrip("0").rstrip(".") + "万"
    return str(count)


def date_span(site: MirrorSite, published: dt.datetime) -> str:
    """span.date: tpure_TimeAgo (include.php), the time-ago text with the date in a hidden
    span.datetime for older posts, or the site's absolute style (PostTIMESTYLE 1)."""
    if site.profile.time_style is not None:
        return published.astimezone(TZ).strftime(ABSOLUTE_STYLES[site.profile.time_style])
    relative, shown = time_ago(published, site.now)
    return f'{relative}<span class="datetime"> ({shown})</span>' if shown else relative


def inserted_with_editor(src: str) -> bool:
    """Whether the author inserted the image with the platform's editor (UEditor, which gives it
    class ue-image) rather than pasting it with the text copied from elsewhere: most, not all."""
    return zlib.crc32(src.encode()) % 10 < 7


def _image(base: str, src: str, alt: str, lazyload: bool = True) -> str:
    """A body image as the theme serves it, both options on by default (include.php):
    tpure_FancyboxRegex wraps only images of class ``ue-image`` (with UEditor >= 1.6.5, the
    platform's default editor) for the lightbox, rewriting the tag to ``<img class="ue-image"
    src=…>``; tpure_LazyLoadReplace then moves the address to data-original, puts its placeholder
    in src and adds a second class attribute after it. Served by Z-BlogPHP 1.7.3 + tpure 5.0.2
    (docs/platform.md): ``<a href=IMG data-fancybox="images"><img class="ue-image" src=LAZY
    data-original=IMG class="lazyload" alt=… title=…/></a>`` for an editor's image, ``<img
    src=LAZY data-original=IMG class="lazyload" alt=…/>`` for any other."""
    url = _link(base, src)
    lazy = f'src="{_link(base, LAZY)}" data-original="{url}" class="lazyload" alt="{E(alt)}"'
    if not lazyload:  # PostLAZYLOADON off: the address stays in src
        lazy = f'src="{url}" alt="{E(alt)}"'
    if not inserted_with_editor(src):
        return f"<img {lazy}/>"
    return f'<a href="{url}" data-fancybox="images"><img class="ue-image" {lazy} title="{E(alt)}"/></a>'


def layout(
    site: MirrorSite,
    base: str,
    title: str,
    body_class: str,
    main: str,
    canonical: str | None = None,
    above: str | None = None,
) -> str:
    """header.php + navbar.php + footer.php around the page's main part; ``above``: index.php's
    banner, which stands in div.main before div.indexcon (in place of div.mask)."""
    opening = (
        '    <div class="main">\n        <div class="mask"></div>\n        <div class="wrap">'
        if above is None
        else f'    <div class="main">\n{above}\n        <div class="indexcon">\n        <div class="wrap">'
    )
    closing = "        </div>\n    </div>" if above is None else "        </div>\n        </div>\n    </div>"
    profile = site.profile
    # the platform's navbar module: li#nvabar-item-index on sites installed before 2024-03 (the
    # platform's own spelling), li#navbar-item-index after; li#navbar-category-N per category
    index_id = "navbar-item-index" if profile.navbar_fixed else "nvabar-item-index"
    nav = [f'<li id="{index_id}"><a href="{_link(base, "/")}">首页</a></li>']
    for kind, name in profile.categories:
        cat = site.category_id(kind)
        nav.append(f'<li id="navbar-category-{cat}"><a href="{_link(base, category_path(cat))}">{name}</a></li>')
    version = "6.0" if profile.v6 else "5.0.2"
    canonical_tag = f'    <link rel="canonical" href="{_link(base, canonical)}" />\n' if canonical else ""
    return f"""<!DOCTYPE html>
<html xml:lang="zh-Hans" lang="zh-Hans">
<head>
    <meta charset="utf-8">
    <meta name="theme" content="拓源网,www.toyean.com">
    <meta http-equiv="X-UA-Compatible" content="ie=edge">
    <meta name="renderer" content="webkit">
    <meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
    <title>{E(title)}</title>
{canonical_tag}    <meta name="generator" content="Z-BlogPHP 1.7.3">
    <link rel="stylesheet" rev="stylesheet" href="{_link(base, "/zb_users/theme/tpure/style/style.css")}?v={version}" type="text/css" media="all" />
    <script src="{_link(base, "/zb_system/script/jquery-2.2.4.min.js")}"></script>
    <script src="{_link(base, "/zb_users/theme/tpure/script/common.js")}?v={version}"></script>
    <link rel="alternate" type="application/rss+xml" href="{_link(base, "/feed.php")}" title="{profile.name}" />
</head>
<body class="{body_class}">
<div class="wrapper">
<div class="header">
    <div class="wrap">
        <div class="logo"><a href="{_link(base, "/")}"><img src="{_link(base, "/zb_users/upload/logo.png")}" alt="{profile.name}"></a></div>
        <div class="head">
            <div class="menuico"><span></span><span></span><span></span></div>
            <div class="menu">
                <ul>
                    {"".join(nav)}
                </ul>
                <div class="schico statefixed"><a href="javascript:;"></a><div class="schfixed"><form method="post" name="search" action="{_link(base, "/zb_system/cmd.php?act=search")}"><input type="text" name="q" placeholder="请输入关键词" class="schinput"><button type="submit" class="btn"></button></form></div></div>
            </div>
        </div>
    </div>
</div>
{opening}
{main}
{closing}
</div>
<div class="footer">
    <div class="fademask"></div>
    <div class="wrap">
        <h3>Copyright © {profile.name} Rights Reserved. <a href="https://beian.miit.gov.cn/" rel="nofollow" target="_blank">沪ICP备12034567号-3</a></h3>
        <h4>Powered By <a href="https://www.zblogcn.com/" title="RainbowSoft Z-BlogPHP" target="_blank">Z-BlogPHP</a>. Theme by <a href="https://www.toyean.com/" target="_blank" title="拓源网">TOYEAN</a>.</h4>
    </div>
</div>
<div class="edgebar">
<a href="javascript:;" target="_self" class="setnight"></a>
</div>
</body>
</html>
"""


def _sidebar(site: MirrorSite, base: str) -> str:
    """sidebar modules: dl.sidebox (the real page shows 最近发表, 标签列表, 联系我们)."""
    recent = "".join(
        f'<li><a title="{E(site.title_of(a))}" href="{_link(base, post_path(a))}">{E(site.title_of(a))}</a></li>'
        for a in site.newest[:5]
    )
    return (
        '<div class="sidebar">\n'
        f'    <dl id="divPrevious" class="sidebox"><dt>最近发表</dt><dd><ul>{recent}</ul></dd></dl>\n'
        '    <dl id="divContact" class="sidebox"><dt>联系我们</dt><dd><div>产业招商/厂房土地租售：400 0123 021</div></dd></dl>\n'
        "</div>"
    )


def _sitemap(base: str, name: str, cat: int, tail: str) -> str:
    # single.php / catalog.php (tpure_navcate): 当前位置：首页 > 分类 [> 正文内容]
    return (
        f'            <div class="sitemap">当前位置：<a href="{_link(base, "/")}">首页</a> &gt; \n'
        f'                 <a href="{_link(base, category_path(cat))}" title="查看{name}中的全部文章">{name}</a>{tail}\n'
        "            </div>"
    )


def _body(site: MirrorSite, art, base: str, rng: random.Random) -> str:
    indent = "　　" if rng.random() < 0.7 else "&nbsp;&nbsp;"  # PostINDENTON; both forms are on real pages
    parts = []
    if site.profile.v6:
        # 6.x post-single.php: PostBLOCKQUOTEON prints the post's summary first (tpure_GetIntro)
        parts.append(f'<blockquote class="abstract">\n<span>摘要：</span>{site.excerpt(art.aid)}\n</blockquote>')
    lazy = site.profile.lazyload
    parts.append(content_html(art, lambda src, alt: _image(base, src, alt, lazy), indent, "<p><br></p>"))
    return "\n".join(parts)


def related_block(site: MirrorSite, aid: int, base: str, rng: random.Random) -> str:
    """mutuality.php: up to 6 posts of the same category drawn at random on every render
    (ORDER BY rand()); the current post can be drawn and is then dropped, so a render shows
    fewer, or no block at all."""
    pool = [a for a in site.by_category[site.category(aid)] if a not in site.unlisted]
    drawn = rng.sample(pool, min(RELATED_COUNT, len(pool)))
    items = []
    for rid in drawn:
        if rid == aid:
            continue
        title = E(site.title_of(rid))
        url = _link(base, post_path(rid))
        thumb = ""
        if site._rng(rid, "thumb").random() < 0.75:
            thumb = f'<div class="relateimg"><a href="{url}" title="{title}"><img src="{_link(base, f"/zb_users/upload/thumb/{rid}.jpg")}" alt="{title}" /></a></div>'
        isimg = ' class="isimg"' if thumb else ""
        items.append(
            f'<div class="relate">{thumb}<div class="relateinfo">\n'
            f'\t\t\t\t\t\t<h3><a href="{url}" title="{title}">{title}</a></h3>\n'
            f"\t\t\t\t\t\t<p{isimg}>{site.excerpt(rid)}</p></div>\n\t\t\t\t</div>"
        )
    if not items:
        return ""
    return (
        '<div class="block">\n\t<div class="posttitle"><h4>相关文章</h4></div>\n\t<div class="relatecon">\n'
        + "".join(items)
        + "\n\t</div>\n</div>"
    )


def comments_block(base: str, aid: int) -> str:
    """post-single.php includes comments.php after mutuality.php (PostARTICLECMTON, on by
    default): an empty div.cmts.block.nocmt whose data-content is language/zh-cn.php's nocmt,
    then commentpost.php's div.cmt.block#divCommentPost form. The mirror's posts have no comments."""
    return f"""<div data-content="还没有人评论？赶快去抢沙发~" class="cmts block nocmt">
    <label id="AjaxCommentBegin"></label>
    <label id="AjaxCommentEnd"></label>
</div>
<div class="cmt block" id="divCommentPost">
    <div class="posttitle">
        <h4>发表评论<button id="cancel-reply" class="cmtbtn">取消回复</button></h4>
    </div>
    <div class="comment">
        <div id="cmtimg" class="cmtimg"><img src="{_link(base, "/zb_users/avatar/0.png")}" alt="访客" /><p></p></div>
        <div class="cmtarea">
            <form id="frmSumbit" target="_self" method="post" action="{_link(base, f"/zb_system/cmd.php?act=cmt&amp;postid={aid}")}" >
            <input type="hidden" name="inpId" id="inpId" value="{aid}" />
            <textarea name="txaArticle" id="txaArticle" rows="3" tabindex="1"></textarea>
            <div class="cmtsubmit"><button type="submit" name="btnSumbit" class="cmtbtn" tabindex="6">评论</button></div>
            </form>
        </div>
    </div>
</div>
<script>
var txaArticle = document.getElementById('txaArticle');
</script>"""


def _title_html(site: MirrorSite, title: str) -> str:
    """post-single.php: div.post > h1. ``broken="title"`` models a theme update that wraps it
    (the simulated days' markup break: only fallbacks still find the title)."""
    if site.broken == "title":
        return f'<div class="posthead"><h1>{E(title)}</h1></div>'
    return f"<h1>{E(title)}</h1>"


def article_page(site: MirrorSite, aid: int, base: str, requested: str, views: int, render: int) -> str:
    """single.php + post-single.php. ``requested``: the URL as asked for (5.x prints it in the
    本文链接 line, query string included); ``views``: the count after this visit was added;
    ``render``: this render's number (the related pick is drawn anew each time)."""
    if site.is_seed(aid):  # the one real page we hold, verbatim but for the host and the count
        page = C.tpure_seed_html().decode("utf-8").replace(ORIGINAL_BASE, base.rstrip("/"))
        return page.replace('<span class="view">69</span>', f'<span class="view">{views_shown(site, views)}</span>')
    art = site.article(aid)
    rng = site._rng(aid, "render")
    cat = site.category_id(art.category)
    name = site.profile.category_name(art.category)
    # ``broken``: a theme update renamed that field's class (site.css), as on the reconstruction
    info = (
        f'<span class="user"><a href="{_link(base, "/index.php/author-1.html")}" rel="nofollow">admin</a></span>'
        f'<span class="{site.css("date", "date")}">{date_span(site, art.published)}</span>'
        f'<span class="{site.css("category", "cate")}"><a href="{_link(base, category_path(cat))}">{name}</a></span>'
        f'<span class="{site.css("views", "view")}">{views_shown(site, views)}</span>'
    )
    if art.shape == "nometa":  # some real pages show breadcrumb and title but no meta line
        info = ""
    else:
        # post-single.php: the font-size buttons, in div.info after the spans (PostTFONTSIZEON, on
        # by default; language/zh-cn.php bigfont, smallfont, refont)
        info += (
            '\n                <div class="ctrl"><a href="javascript:;" title="增加字号"></a>'
            '<a href="javascript:;" title="减小字号"></a><a href="javascript:;" title="还原字号" class="hide"></a></div>'
        )
    classes = f"{site.css('body', 'single')} viewall indent" + (" timgbox" if site.profile.v6 else "")
    copyright_line = C.COPYRIGHT_TEXT.format(site=f"<strong>{site.profile.name}</strong>")
    copy_url = requested if not site.profile.v6 else _link(base, post_path(aid))  # 5.x: fullcurrenturl
    tags = "".join(
        f"<a href='{_link(base, f'/index.php/tags-{C.KEYWORDS.index(k) + 1}.html')}' title='{k}'>{k}</a>"
        for k in art.keywords
    )
    older, newer = site.neighbours_in_category(aid)
    prev_html = (
        f'上一篇：<a href="{_link(base, post_path(older))}" class="single-prev">{E(site.title_of(older))}</a>'
        if older
        else "<span>没有更早的文章了...</span>"
    )
    next_html = (
        f'下一篇：<a href="{_link(base, post_path(newer))}" class="single-next">{E(site.title_of(newer))}</a>'
        if newer
        else "<span>没有最新的文章了...</span>"
    )
    draw = random.Random(f"{site.seed}:{aid}:related:{render}")
    main = f"""{_sitemap(base, name, cat, " &gt; 正文内容") if art.shape != "plain" else ""}
            <div id="sticky">
<div class="content">
    <div data-cateurl="{_link(base, category_path(cat))}" class="block">
        <div class="post">
            {_title_html(site, art.title)}
            <div class="info">
                {info}
            </div>
            <div class="{classes}">
{_body(site, art, base, rng)}
                </div>
                <div class="copynotice">
                    <div data-qrurl="{E(copy_url)}" class="tpureqr"></div>
                    <div class="copynoticetxt">
                    {C.PROMO_HTML}
        <p><img src="{_link(base, "/zb_users/upload/2021/05/202105281622189466372498.jpg")}" alt="葛毅明微信号" width="180"></p>
                    <p>{copyright_line}</p>
                    <p>本文链接：<a href="{E(copy_url)}">{E(copy_url)}</a></p>
                    </div>
                </div>
                <div class="tags">
                    标签:{tags}
                </div>
        <div class="sharebox">
            <div class="label">分享给朋友：</div>
            <div class="sharebtn"><div class="sharing" data-initialized="true"><div class="social-share" data-sites="wechat,weibo,qq,qzone"></div></div></div>
        </div>
        </div>
        <div class="pages">
            <a href="{_link(base, category_path(cat))}" class="backlist">返回列表</a>
            <p>{prev_html}</p>
            <p>{next_html}</p>
        </div>
    </div>
{related_block(site, aid, base, draw)}
{comments_block(base, aid)}
</div>
{_sidebar(site, base)}
            </div>"""
    head_title = f"{art.title} - {site.profile.name}"
    page = layout(site, base, head_title, "article", main, post_path(aid))
    keywords = f'    <meta name="keywords" content="{",".join(art.keywords)}">\n'
    return page.replace("<title>", keywords + "    <title>", 1) if art.keywords else page


def _list_item(site: MirrorSite, aid: int, base: str, views: int) -> str:
    """post-multi.php: h2 > a, div.info (user, date, view by default: no category), an optional
    lazy-loaded div.postimg, div.intro (the excerpt and '...')."""
    url = _link(base, post_path(aid))
    title = E(site.title_of(aid))
    if site.is_seed(aid):
        date = '1年前<span class="datetime"> (2024-09-24)</span>'
    else:
        date = date_span(site, site.article(aid).published)
    thumb = ""
    if site._rng(aid, "thumb").random() < 0.75:
        # post-multi.php: tpure_Thumb's address; with PostLAZYLOADON, tpure_ListIMGLazyLoad
        # rewrites the list templates when they are built (include.php), so the thumbnail is
        # lazy-loaded like a body image; the real xuzhou listing shows a site with it off
        src = _link(base, f"/zb_users/upload/thumb/{aid}.jpg")
        img = (
            f'<img src="{_link(base, LAZY)}" data-original="{src}" class="lazyload" alt="{title}" />'
            if site.profile.lazyload
            else f'<img src="{src}" alt="{title}" />'
        )
        thumb = f'    <div class="postimg"><a href="{url}">{img}</a></div>\n'
    # post-istop.php: a sticky post's heading ends in em.istop 置顶 (language/zh-cn.php: istop)
    istop = '<em class="istop">置顶</em>' if aid in site.sticky else ""
    return (
        f'<div class="post item">\n    <h2><a href="{url}">{title}</a>{istop}</h2>\n    <div class="info">\n'
        f'        <span class="user"><a href="{_link(base, "/index.php/author-1.html")}" rel="nofollow">admin</a></span>'
        f'<span class="date">{date}</span><span class="view">{views_shown(site, views)}</span>\n    </div>\n'
        f'{thumb}    <div class="intro{" isimg" if thumb else ""}">\n        {site.excerpt(aid)}\n    </div>\n'
        # PostMOREBTNON: the network's listings show the read-more link (../shared/site/tpure/category-3.html)
        f'    <div><a href="{url}" class="readmore">查看全文</a></div>\n</div>'
    )


# tpure relabels the platform's ‹‹ ‹ › ›› on every front-end page (include.php: first_button,
# prev_button, next_button, last_button from language/zh-cn.php index, prevpage, nextpage, endpage)
# and pagebar.php prints those four as a.m
FIRST, PREVIOUS, NEXT, LAST = "首页", "上页", "下页", "尾页"


def pagebar(base: str, path_of, page: int, last: int) -> str:
    """The platform's page bar (zb_system/function/lib/pagebar.php, Make) in tpure's pagebar.php:
    first 首页 always, previous 上页 when not on page 1, up to 10 numbers around the current page
    (span.now-page, the next one span.next-page > a), next 下页 when not on the last page, last
    尾页 always; the four labels as a.m. Only printed when there is more than one page
    (catalog.php). Served so by Z-BlogPHP 1.7.3 + tpure 5.0.2 (docs/platform.md)."""
    if last <= 1:
        return ""
    parts = [f'<a href="{_link(base, path_of(1))}" class="m">{FIRST}</a>']
    if page != 1:
        parts.append(f'<a href="{_link(base, path_of(page - 1))}" class="m">{PREVIOUS}</a>')
    count_all, middle = last + 1, -(-PAGEBAR_COUNT // 2)
    start = page - middle + 1 if page > middle else 1
    if count_all > PAGEBAR_COUNT and count_all - start < PAGEBAR_COUNT:
        start = count_all - PAGEBAR_COUNT
    end = min(start + PAGEBAR_COUNT, count_all)
    for n in range(start, end):
        if n == page:
            parts.append(f'<span class="now-page">{n}</span>')
        elif n == page + 1:
            parts.append(f'<span class="next-page"><a href="{_link(base, path_of(n))}">{n}</a></span>')
        else:
            parts.append(f'<a href="{_link(base, path_of(n))}">{n}</a>')
    if page != last:
        parts.append(f'<a href="{_link(base, path_of(page + 1))}" class="m">{NEXT}</a>')
    parts.append(f'<a href="{_link(base, path_of(last))}" class="m">{LAST}</a>')
    return '                    <div class="pagebar">\n' + "\n".join(parts) + "\n                    </div>"


def listing_page(
    site: MirrorSite,
    base: str,
    title: str,
    sitemap: str,
    ids: list[int],
    bar: str,
    body_class: str,
    canonical: str,
    top: str = "",
    above: str | None = None,
) -> str:
    """catalog.php (and index.php, with ``top``: what the home page shows above the list, and
    ``above``: its banner)."""
    items = "\n".join(_list_item(site, aid, base, site.views_now(aid)) for aid in ids)
    main = f"""{sitemap}
            <div id="sticky">
                <div class="content listcon">
{top}
                    <div class="block custom">
{items}
                    </div>
{bar}
                </div>
{_sidebar(site, base)}
            </div>"""
    return layout(site, base, title, body_class, main, canonical, above)


def _paged(site: MirrorSite, ids: list[int]) -> list[int]:
    """The posts a listing pages through: not the sticky ones (c_system_route.php, ViewList:
    log_IsTop = 0), nor those a test hides."""
    return [a for a in ids if a not in site.unlisted and a not in site.sticky]


def _page_ids(site: MirrorSite, paged: list[int], page: int) -> list[int]:
    """Page ``page`` of a listing: the site's sticky posts first, on every page (ViewList merges
    $articles_top in front; post-istop.php prints them unless PostISTOPINDEXON limits them to
    page 1, off by default), then that page's share of the rest."""
    return [*(a for a in site.sticky if a not in site.unlisted), *paged[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]]


def category_page(site: MirrorSite, category_id: int, page: int, base: str) -> str | None:
    kind = site.category_kind(category_id)
    items = _paged(site, site.by_category.get(kind, [])) if kind is not None else []
    last = max(1, -(-len(items) // PAGE_SIZE))
    if kind is None or not 1 <= page <= last:
        return None
    name = site.profile.category_name(kind)
    return listing_page(
        site,
        base,
        f"{name} - {site.profile.name}" if page == 1 else f"{name} - 第{page}页 - {site.profile.name}",
        _sitemap(base, name, category_id, ""),
        _page_ids(site, items, page),
        pagebar(base, lambda n: category_path(category_id, n), page, last),
        "category",
        category_path(category_id, page),
    )


def simple_listing(site: MirrorSite, kind: str, number: int, page: int, base: str) -> str | None:
    """tags-<id>_<n>.html (posts with that tag) and author-<id>_<n>.html (all posts: one author,
    admin): catalog.php with tpure's sitemap '> title'."""
    if kind == "tags":
        if not 1 <= number <= len(C.KEYWORDS):
            return None
        word = C.KEYWORDS[number - 1]
        ids = _paged(site, [a for a in site.newest if word in site.keywords_of(a)])
        label = word
    else:
        if number != 1:
            return None
        ids, label = _paged(site, site.newest), "admin"
    last = max(1, -(-len(ids) // PAGE_SIZE))
    if not 1 <= page <= last:
        return None

    def path_of(n: int) -> str:
        return f"/index.php/{kind}-{number}.html" if n == 1 else f"/index.php/{kind}-{number}_{n}.html"

    sitemap = f'            <div class="sitemap">当前位置：<a href="{_link(base, "/")}">首页</a>\n&gt; {E(label)}\n            </div>'
    return listing_page(
        site,
        base,
        f"{label} - {site.profile.name}",
        sitemap,
        _page_ids(site, ids, page),
        pagebar(base, path_of, page, last),
        "tag" if kind == "tags" else "author",
        path_of(page),
    )


def home_page(site: MirrorSite, base: str) -> str:
    """index.php: the newest posts (page 1; the mirror serves no further home pages), below the
    theme's default banner (PostBANNERON: div.banner > div.wrap > div.hellotip with its search
    box) and slide block (PostSLIDEON, PostSLIDEPLACE 0: div.slideblock in div.content), the whole
    in div.indexcon, as Z-BlogPHP 1.7.3 + tpure 5.0.2 serve it (docs/platform.md; no home page of
    the network is held, so the theme's defaults stand)."""
    slides = "".join(
        f'<a href="{_link(base, post_path(aid))}" class="swiper-slide" style="background-color:#ffffff;">'
        f'<img src="{_link(base, f"/zb_users/upload/thumb/{aid}.jpg")}" alt="{E(site.title_of(aid))}" />'
        f"<span>{E(site.title_of(aid))}</span></a>"
        for aid in site.newest[:2]
    )
    top = f"""                        <div class="slideblock">
                        <div class="slide swiper-container hastitle">
                            <div class="swiper-wrapper">{slides}</div>
                            <div class="swiper-pagination"></div>
                            <div class="swiper-button-prev"></div>
                            <div class="swiper-button-next"></div>
                        </div>
                        </div>"""
    banner = f"""            <div class="banner" data-type="display" data-speed="2" style="height:360px;">
            <div class="wrap">
                <div class="hellotip">{E(site.profile.name)}
                    <div class="hellosch">
                        <form name="search" method="post" action="{_link(base, "/zb_system/cmd.php?act=search")}">
                            <input type="text" name="q" placeholder="搜索..." class="helloschinput" />
                            <button type="submit" class="helloschbtn"></button>
                        </form>
                        <div class="schwords"><div class="schwordsinfo"><h5>大家都在搜：</h5></div><div class="ajaxresult"></div></div>
                    </div>
                </div>
            </div>
        </div>"""
    return listing_page(
        site,
        base,
        f"{site.profile.name} - 产业招商 厂房土地出租出售",
        "",
        _page_ids(site, _paged(site, site.newest), 1),
        "",
        "index",
        "/",
        top,
        banner,
    )


def not_found_page(site: MirrorSite, base: str) -> str:
    """404.php: div.errorpage > h3 404! + h4 对不起，页面未找到, a search form, a.goback; the
    <title> is 您访问的页面不存在或已删除 - <site> (language/zh-cn.php). Served with status 404."""
    main = f"""            <div class="errorpage">
				<h3>404!</h3>
				<h4>对不起，页面未找到</h4>
				<p>您可以尝试搜索：</p>
				<form name="search" method="post" action="{_link(base, "/zb_system/cmd.php?act=search")}" class="errorsearch">
				<input type="text" name="q" size="11" class="errschtxt">
				<input type="submit" value="搜索" class="errschbtn">
				</form>
				<a class="goback" href="{_link(base, "/")}">返回首页</a>
			</div>"""
    return layout(site, base, f"您访问的页面不存在或已删除 - {site.profile.name}", "404", main)


def feed(site: MirrorSite, base: str, category_id: int | None = None) -> str | None:
    """/feed.php: the platform's RSS 2.0 of the 10 newest posts (ZC_RSS2_COUNT), newest first;
    each item title, link, description (the content, escaped) and pubDate to the second in the
    site's time zone; ?cate=N gives one category's."""
    if category_id is not None:
        kind = site.category_kind(category_id)
        if kind is None:
            return None
        ids = site.by_category.get(kind, [])[:10]
    else:
        ids = site.newest[:10]
    items = []
    for aid in ids:
        url = _link(base, post_path(aid))
        published = site.published(aid).astimezone(TZ)
        content = "".join(f"<p>{E(p)}</p>" for p in site.paragraphs_of(aid))
        items.append(
            f"<item><title>{E(site.title_of(aid))}</title><link>{url}</link>"
            f"<description>{E(content)}</description><pubDate>{format_datetime(published)}</pubDate></item>"
        )
    return (
        # zb_system/feed.php: the channel's title, link and description (the site's subtitle), then
        # the items; no generator or language element (served so by Z-BlogPHP 1.7.3)
        '<?xml version="1.0" encoding="utf-8"?><rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>'
        f"<title>{E(site.profile.name)}</title><link>{_link(base, '/')}</link><description>{E(site.profile.name)}</description>"
        f"{''.join(items)}</channel></rss>"
    )
