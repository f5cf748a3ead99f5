"""The mirror's theme files: the stylesheets, scripts and fonts its pages link to, so that a crawl
captures what a page needs to be seen again and a replay of the archive shows a styled page whose
lazy-loaded photos appear (issue 31, items 2 and 4).

These are the mirror's own small files at the theme's addresses, not the theme's code (which
stays out of the repository). What each models, and where from:
- tpure 5.0.2's ``style/style.css`` (zblogcn/zblogphp, tag v1.7.3-3230): a handful of its rules,
  verbatim in their values: ``body{font-size:16px;color:#333}``, ``.wrapper{background:#f1f1f1}``,
  ``.header{background:#fff}``, ``.wrap{width:60%;margin:0 auto}``, ``.logo a img{height:50px}``,
  ``img{max-width:100%;height:auto}``, and its ``@font-face`` naming ``fonts/iconfont.woff2``,
  ``fonts/iconfont.woff`` and ``fonts/iconfont.ttf`` relative to the stylesheet;
- tpure's ``script/common.js``: its lazy-load (the jQuery lazyload plugin bundled there, with
  ``data_attribute:"original"``: an image's ``data-original`` becomes its ``src`` when it appears),
  done here in plain JavaScript at load, for every ``img.lazyload``;
- ``zb_system/script/jquery-2.2.4.min.js`` and ``zblogphp.js``: stand-ins (the pages' own scripts
  in the mirror need neither), so that the addresses answer as on the network;
- the reconstruction's ``xzcf/style/style.css``: a stylesheet of its invented class names.
The fonts are placeholders of the right type and the real files' sizes, no usable font.

Served as nginx serves static files (the network answers ``Server: nginx``): with ETag and
Last-Modified, a 304 for a conditional request that matches, gzip for text (gzip_types) and not for
fonts. The same file is the same bytes on every site of the network (one theme): an archive keeps
it once.
"""

from __future__ import annotations

import hashlib

TPURE_CSS = """/* the mirror's model of tpure 5.0.2 style/style.css (a few of its rules, values verbatim) */
html,body,div,span,h1,h2,h3,p,a,img,ul,li{margin:0;padding:0;border:0}
body{font-size:16px;color:#333;font-family:"PingFang SC","Hiragino Sans GB","Microsoft YaHei",sans-serif}
a{color:#0188fb;text-decoration:none}
ul,ol{list-style-type:none}
img{max-width:100%;height:auto;border:0}
@font-face{font-family:'iconfont';src:url('fonts/iconfont.woff2') format('woff2'),
url('fonts/iconfont.woff') format('woff'),url('fonts/iconfont.ttf') format('truetype');font-weight:normal;font-style:normal}
.wrap{width:60%;margin:0 auto}
.wrapper{background:#f1f1f1;position:relative}
.header{background:#fff;box-shadow:0 1px 4px 0 rgba(238,238,238,0.5);position:relative;z-index:100}
.header .wrap::after{content:"";display:block;clear:both}
.logo{height:60px;float:left;display:inline;overflow:hidden}
.logo a img{height:50px;vertical-align:middle}
.menu{float:right;line-height:60px}
.menu li{float:left;margin:0 30px 0 0}
.menu li a{font-size:16px;color:#333}
.main{padding:20px 0}
.content{background:#fff;padding:20px 30px}
.post h1,.post h2{font-size:24px;line-height:40px}
.post .info{font-size:14px;color:#999;margin:10px 0}
.post .info span{margin-right:15px}
.single{line-height:2;font-size:16px}
.single p{margin-bottom:1em}
.postimg{width:180px;float:left;margin-right:20px}
.intro{color:#666;font-size:14px}
.relateimg{width:120px;float:left;margin-right:15px}
.footer{padding:20px 0;text-align:center;color:#999;font-size:14px}
"""

XZCF_CSS = """/* the mirror's stylesheet of the reconstruction's invented class names */
body{margin:0;font-size:15px;color:#222;background:#eef2f5;font-family:"Microsoft YaHei",sans-serif}
a{color:#1a5fa8;text-decoration:none}
img{max-width:100%;height:auto;border:0}
.wrap{width:1100px;margin:0 auto}
.header{background:#1a5fa8;color:#fff;padding:10px 0}
.header a{color:#fff}
.logo img{height:48px}
.navbar li{display:inline-block;margin-right:20px}
.main{background:#fff;padding:20px}
.post-title{font-size:24px}
.post-meta span{margin-right:12px;color:#888}
.thumb{float:left;width:160px;margin-right:16px}
"""

COMMON_JS = """/* the mirror's model of tpure's script/common.js lazy-load: the jQuery lazyload plugin it
   bundles reads data-original ("data_attribute":"original") into src when an image appears; here,
   every img.lazyload at load */
(function () {
  function appear() {
    var images = document.querySelectorAll("img.lazyload[data-original]");
    for (var i = 0; i < images.length; i++) {
      images[i].setAttribute("src", images[i].getAttribute("data-original"));
      images[i].classList.remove("lazyload");
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", appear);
  } else {
    appear();
  }
})();
"""

# the share plugin's stylesheet, which the real xuzhou pages link (header.php, PostSHAREARTICLEON)
SHARE_CSS = "/* the mirror's stand-in for tpure's plugin/share/share.css */\n.share{margin:20px 0;text-align:center}\n"

JQUERY_STAND_IN = "/* the mirror's stand-in at jQuery 2.2.4's address: its pages' scripts need no jQuery */\n"
ZBLOGPHP_STAND_IN = "/* the mirror's stand-in at Z-BlogPHP's zblogphp.js address */\nvar zbp = window.zbp || {};\n"


# the sizes of tpure 5.0.2's style/fonts/iconfont.* (git cat-file -s at v1.7.3-3230)
FONT_SIZES = {"woff2": 10_280, "woff": 11_988, "ttf": 19_136}


def _font(name: str) -> bytes:
    """A placeholder at a font's address, of the real file's size: the format's signature, then
    bytes drawn from its name (no usable font: what is exercised is the capture, not the glyphs)."""
    suffix = name.rsplit(".", 1)[1]
    signature = {"woff2": b"wOF2", "woff": b"wOFF", "ttf": b"\x00\x01\x00\x00"}[suffix]
    stream = b"".join(hashlib.sha256(f"{name}/{k}".encode()).digest() for k in range(FONT_SIZES[suffix] // 32 + 1))
    return (signature + stream)[: FONT_SIZES[suffix]]


FONT_TYPES = {"woff2": "font/woff2", "woff": "font/woff", "ttf": "font/ttf"}
JS = "application/javascript"
CSS = "text/css"

FILES: dict[str, tuple[str, bytes]] = {
    "/zb_users/theme/tpure/style/style.css": (CSS, TPURE_CSS.encode()),
    "/zb_users/theme/tpure/script/common.js": (JS, COMMON_JS.encode()),
    "/zb_users/theme/tpure/plugin/share/share.css": (CSS, SHARE_CSS.encode()),
    "/zb_users/theme/xzcf/style/style.css": (CSS, XZCF_CSS.encode()),
    "/zb_system/script/jquery-2.2.4.min.js": (JS, JQUERY_STAND_IN.encode()),
    "/zb_system/script/zblogphp.js": (JS, ZBLOGPHP_STAND_IN.encode()),
    **{
        f"/zb_users/theme/tpure/style/fonts/iconfont.{suffix}": (kind, _font(f"iconfont.{suffix}"))
        for suffix, kind in FONT_TYPES.items()
    },
}


def is_theme_file(path: str) -> bool:
    return path in FILES


def route(path: str) -> tuple[int, str, bytes] | None:
    """(status, content type, body) of a theme file's address (its query, ``?v=5.0.2``, aside), or
    None when ``path`` is none."""
    found = FILES.get(path)
    if found is None:
        return None
    return 200, *found
