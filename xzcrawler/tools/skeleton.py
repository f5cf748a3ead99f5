"""Compare the mirror's pages with what the real platform serves, as skeletons of tags and classes.

    python -m xzcrawler.tools.skeleton http://127.0.0.1:8701/

takes the address of a running Z-BlogPHP install (with tpure; docs/platform.md says how to run
one here, outside the repository), finds one page of each kind on it (home, an article, pages 1
and 2 of a category, the feed, a missing post, /robots.txt), serves the offline mirror beside it
and prints, kind by kind, the differences between the two skeletons (a unified diff: ``-`` lines
only the platform has, ``+`` lines only the mirror has). Exit 0 when no kind differs.

A skeleton is the element tree with its text left out: one line an element, ``tag.class.class``
(classes sorted, digits in ids folded to N), indented by depth. What the author or the site owner
writes (the post's content in div.single, the copyright notice's HTML, sidebar modules, the menu's
items, the comment form's inputs) is kept as its container alone, and runs of siblings with the
same skeleton (ten listing items, six related posts) are kept once: what is compared is the
theme's markup, not the posts. Nothing here needs PHP; CI runs the pure part on saved pages.
"""

from __future__ import annotations

import difflib
import re
import sys
import urllib.error
import urllib.request

from lxml import etree, html

# containers whose inside is the author's or the site owner's, not the theme's
OPAQUE = frozenset({"single", "copynoticetxt", "sidebar", "menu", "comment", "relatecon", "intro", "tags"})
_DIGITS = re.compile(r"\d+")


def _line(el, depth: int) -> str:
    classes = sorted(set((el.get("class") or "").split()))
    ident = el.get("id")
    name = el.tag if isinstance(el.tag, str) else "#comment"
    label = name + "".join("." + c for c in classes)
    if ident:
        label += "#" + _DIGITS.sub("N", ident)
    return "  " * depth + label


def _walk(el, depth: int) -> list[str]:
    if not isinstance(el.tag, str):
        return []
    lines = [_line(el, depth)]
    if OPAQUE & set((el.get("class") or "").split()):
        return lines
    # Alike siblings (listing items, related posts) are kept once: siblings of one tag and class
    # are one group, in the order the groups first appear, and a group is the set of its distinct
    # skeletons (a listing item with a thumbnail, one without), sorted.
    groups: dict[str, set[tuple[str, ...]]] = {}
    for child in el:
        sub = tuple(_walk(child, depth + 1))
        if sub:
            groups.setdefault(sub[0], set()).add(sub)
    for variants in groups.values():
        for sub in sorted(variants):
            lines.extend(sub)
    return lines


def skeleton(body: bytes) -> list[str]:
    """The skeleton of an HTML page (or of an XML document, such as the feed)."""
    text = body.lstrip()
    if text.startswith(b"<?xml") or text.startswith(b"<rss"):
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, recover=True))
    else:
        root = html.fromstring(body)
    return _walk(root, 0)


def paths(body: bytes) -> set[str]:
    """Every element of the skeleton as the path of labels from the root (``html > body.article >
    … > div.single``): what two pages share or not, whatever the order and count of items."""
    out, chain = set(), []
    for line in skeleton(body):
        depth = (len(line) - len(line.lstrip(" "))) // 2
        del chain[depth:]
        chain.append(line.strip())
        out.add(" > ".join(chain))
    return out


def differences(platform: bytes, mirror: bytes) -> list[str]:
    """The unified diff of two pages' skeletons (empty when they agree)."""
    return list(difflib.unified_diff(skeleton(platform), skeleton(mirror), "platform", "mirror", lineterm="", n=1))


def _get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(1 << 24)
    except urllib.error.HTTPError as error:
        return error.code, error.read(1 << 24)


def _first(pattern: str, body: bytes) -> str | None:
    found = re.search(pattern.encode(), body)
    return found.group(1).decode() if found else None


def pages_of(base: str) -> dict[str, str]:
    """One address of each kind on a site of the network's URL forms, found from its pages."""
    base = base.rstrip("/") + "/"
    _, home = _get(base)
    found = {"home": base, "feed": base + "feed.php", "404": base + "index.php/post/999999.html"}
    found["robots"] = base + "robots.txt"
    categories = re.findall(rb'href="([^"]*/index\.php/category-\d+\.html)"', home)
    for address in dict.fromkeys(c.decode() for c in categories):
        _, page = _get(address)
        second = _first(r'href="([^"]*/index\.php/category-\d+_2\.html)"', page)
        if second:
            found["listing-1"], found["listing-2"] = address, second
            break
    # an article with the whole meta line and a body image, if one of the first ten has them
    posts = list(dict.fromkeys(p.decode() for p in re.findall(rb'href="([^"]*/index\.php/post/\d+\.html)"', home)))
    best = 0
    for address in posts[:10]:
        _, page = _get(address)
        score = (b'class="cate"' in page) + (b"data-original" in page)
        if score > best or "article" not in found:
            found["article"], best = address, score
    return found


def compare(platform_base: str, mirror_base: str) -> dict[str, tuple[int, int, list[str]]]:
    """Per kind: (the platform's status, the mirror's, the skeleton differences)."""
    platform, mirror = pages_of(platform_base), pages_of(mirror_base)
    out = {}
    for kind in ("home", "article", "listing-1", "listing-2", "feed", "404", "robots"):
        if kind not in platform or kind not in mirror:
            out[kind] = (0, 0, [f"not found on {'the platform' if kind not in platform else 'the mirror'}"])
            continue
        p_status, p_body = _get(platform[kind])
        m_status, m_body = _get(mirror[kind])
        out[kind] = (p_status, m_status, differences(p_body, m_body))
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m xzcrawler.tools.skeleton PLATFORM_URL   (a running Z-BlogPHP + tpure)", file=sys.stderr)
        return 2
    import datetime as dt

    from ..mirror.server import serve_in_thread
    from ..mirror.site import TZ, MirrorSite

    site = MirrorSite(articles=60, now=dt.datetime(2026, 12, 3, 12, 0, tzinfo=TZ))
    server, mirror_base = serve_in_thread(site)
    try:
        results = compare(args[0], mirror_base)
    finally:
        server.shutdown()
        server.server_close()
    differing = 0
    for kind, (p_status, m_status, diff) in results.items():
        same_status = p_status == m_status
        print(f"== {kind}: status {p_status} / {m_status}{'' if same_status else ' (differ)'}, {len(diff)} diff lines")
        for line in diff[2:]:
            print("   " + line)
        differing += bool(diff) or not same_status
    print(f"{differing} of {len(results)} kinds differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
