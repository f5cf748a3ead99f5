"""The network mirror: the sites of the 021cf.cn network (the XZ_NETWORK setting), each a MirrorSite with its own
name, categories, ids and copyright line, each served on its own loopback address (127.0.0.1,
127.0.0.2, ...: separate hosts), and a share of cross-posted stories: the body of an article of
one site posted again, later, under another id on another site, sometimes under another title.

The network knows its truth (``stories()``), so tests can check that the archive groups exactly
the planted copies.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from bisect import bisect_left
from dataclasses import replace
from urllib.parse import urlsplit

from xzcrawler.settings import XZ_NETWORK

from .server import MirrorServer, make_server
from .site import XUZHOU, MirrorSite, Profile
from .spin import Spinner


def _profile(name: str, city: str, base: int, places: tuple[str, ...], first: str | None = None) -> Profile:
    kinds = {
        1: f"{city}厂房出租",
        2: f"{city}厂房出售",
        3: f"{city}产业信息",
        4: f"{city}土地出售",
        5: f"{city}仓库出租",
    }
    if first:
        kinds[1] = first
    return replace(
        XUZHOU,
        name=name,
        categories=tuple(kinds.items()),
        category_base=base,
        places=places,
        seed=False,
        first_id=150 + 37 * base,
    )


# Each site's profile by host. Themes and versions are mixed as the network's are, so that no
# site's quirks hide another's (../shared/site/README.md, "The theme is tpure"): most sites run tpure
# 5.x as installed before 2024-03 (the platform's li#nvabar-item-index); huzhou was installed later
# (li#navbar-item-index); jiashan runs tpure 6.x (counts in 万, the abstract block, timgbox) and
# dongguan 6.x with an absolute time style (the theme's PostTIMESTYLE setting); rent.sh.cn keeps the
# earlier reconstruction's markup, the one site in a theme other than tpure.
PROFILES: dict[str, Profile] = {
    "xuzhou.021cf.cn": XUZHOU,
    "jiaxing.021cf.cn": _profile(
        "嘉兴厂房网", "嘉兴", 10, ("嘉兴", "南湖", "秀洲", "海宁", "桐乡"), "嘉兴厂房土地出租出售"
    ),
    "jiashan.021cf.cn": replace(_profile("嘉善厂房土地招商网", "嘉善", 20, ("嘉善", "西塘", "姚庄", "大云")), v6=True),
    "wujiang.021cf.cn": replace(_profile("吴江厂房网", "吴江", 30, ("吴江", "盛泽", "汾湖", "震泽")), lazyload=False),
    "huzhou.021cf.cn": replace(_profile("湖州厂房网", "湖州", 40, ("湖州", "长兴", "德清", "安吉")), navbar_fixed=True),
    "nantong.021cf.cn": _profile(
        "南通厂房网", "南通", 50, ("南通", "海门", "启东", "如皋"), "南通厂房土地出租出售招商"
    ),
    "xuancheng.021cf.cn": _profile("宣城厂房网", "宣城", 60, ("宣城", "广德", "郎溪", "宁国")),
    "dongguan.021cf.cn": replace(
        _profile("东莞厂房网", "东莞", 70, ("东莞", "松山湖", "长安", "虎门")), v6=True, time_style=1
    ),
    "ldug.021cf.cn": _profile("联东U谷厂房网", "联东U谷", 80, ("上海", "苏州", "嘉兴", "南通")),
    "rent.sh.cn": replace(
        _profile("上海厂房出租网", "上海", 90, ("松江", "嘉定", "青浦", "奉贤"), "上海厂房出租信息"), theme="xzcf"
    ),
    "www.pdcfw.com.cn": _profile("浦东厂房网", "浦东", 100, ("浦东", "张江", "临港", "金桥")),
    "laian.021cf.cn": _profile("来安厂房网", "来安", 110, ("来安", "汊河", "新安", "半塔")),
}

# (the real site's address, its profile), in the order of the XZ_NETWORK setting: the list of sites
# is kept once, there; a site added to it needs a profile here to be mirrored.
SITES: list[tuple[str, Profile]] = [(address, PROFILES[urlsplit(address).hostname]) for address in XZ_NETWORK]


REPOST_AFTER = dt.timedelta(days=3)


# The spin that matches the real pages (docs/benchmarks.md, "Issue 33"): copies of one source
# share 36-44 % of their 6-character shingles (quartiles; median 40 %), as the real pairs issue 33
# measured do (25-33 %, 42-48 %, 62 %).
SPIN = 0.8


class Network:
    """``articles`` per site; ``share`` of each site's articles (but the first site's) are copies
    of an earlier-published article of a site before it. ``spin``: the bodies are spun from a pool
    of sources shared by the network (mirror/spin.py), at that strength (0-1; None: the earlier
    mirror's bodies); a source for every ``per_source`` posts. Other arguments go to every
    MirrorSite."""

    def __init__(
        self,
        articles: int = 300,
        seed: int = 0,
        share: float = 0.12,
        sites: int = len(SITES),
        spin: float | None = SPIN,
        per_source: int = 4,
        **kwargs,
    ):
        self.addresses = [address for address, _ in SITES[:sites]]
        self.sites = [
            MirrorSite(articles, seed=seed + 101 * k, profile=profile, **kwargs)
            for k, (_, profile) in enumerate(SITES[:sites])
        ]
        self.seed = seed
        self.spinner = None
        if spin is not None:
            posts = sum(len(site.ids) for site in self.sites)
            self.spinner = Spinner(seed, spin, sources=max(1, posts // per_source))
            for k, site in enumerate(self.sites):
                site.spinner, site.spin_key = self.spinner, str(k)
        self._plant(share)

    def _plant(self, share: float) -> None:
        # each site's articles in order of publication, and their times (for bisect), made once
        timelines = []
        for site in self.sites:
            order = sorted(site.ids, key=site.published)
            timelines.append((order, [site.published(a) for a in order]))
        for k, site in enumerate(self.sites[1:], start=1):
            rng = random.Random(f"{self.seed}:cross:{k}")
            for aid in site.ids:
                if site.is_seed(aid) or rng.random() >= share:
                    continue
                origin = rng.randrange(k)
                origin_site = self.sites[origin]
                # stories of the origin site published days before this one (a repost comes later,
                # and a date shown as "3天前" tells only a span of days), not copies themselves
                order, times = timelines[origin]
                earlier = order[: bisect_left(times, site.published(aid) - REPOST_AFTER)]
                candidates = [a for a in earlier if a not in origin_site.copies and not origin_site.is_seed(a)]
                if not candidates:
                    continue
                origin_aid = rng.choice(candidates)
                # sometimes posted under another title: the copy keeps the one its site made
                site.copies[aid] = (origin_site, origin_aid, rng.random() < 0.4)

    def families(self) -> list[set[tuple[int, int]]]:
        """The truth of the spun text: the posts made from each source, and a post of its own with
        its cross-posts (a cross-post is its origin's text), as (site index, article id), for the
        groups of more than one post."""
        index = {id(site): k for k, site in enumerate(self.sites)}
        groups: dict[tuple, set[tuple[int, int]]] = {}
        for k, site in enumerate(self.sites):
            for aid in site.ids:
                origin_site, origin_aid, _ = site.copies.get(aid, (site, aid, False))
                source = origin_site.source_of(origin_aid)
                key = ("source", source) if source is not None else ("post", index[id(origin_site)], origin_aid)
                groups.setdefault(key, set()).add((k, aid))
        return [group for _, group in sorted(groups.items()) if len(group) > 1]

    def stories(self) -> list[set[tuple[int, int]]]:
        """The planted cross-posts: each story as its copies' (site index, article id), origin included."""
        groups: dict[tuple[int, int], set[tuple[int, int]]] = {}
        index = {id(site): k for k, site in enumerate(self.sites)}
        for k, site in enumerate(self.sites):
            for aid, (origin_site, origin_aid, _) in site.copies.items():
                key = (index[id(origin_site)], origin_aid)
                groups.setdefault(key, {key}).add((k, aid))
        return list(groups.values())


def serve_network(network: Network, port: int = 0, delay: float = 0.0, attempts: int = 20):
    """Serve each site of ``network`` on its own loopback address (127.0.0.1, 127.0.0.2, ...), all
    on one port (a free one when ``port`` is 0). Returns (servers, base URLs)."""
    last_error: OSError | None = None
    for _ in range(attempts if port == 0 else 1):
        servers: list[MirrorServer] = []
        try:
            first = make_server(network.sites[0], "127.0.0.1", port, delay)
            servers.append(first)
            chosen = first.server_address[1]
            for k, site in enumerate(network.sites[1:], start=2):
                servers.append(make_server(site, f"127.0.0.{k}", chosen, delay))
        except OSError as exc:  # the port is taken on another address: try another
            last_error = exc
            for server in servers:
                server.server_close()
            continue
        for server in servers:
            threading.Thread(target=server.serve_forever, name="xz-mirror", daemon=True).start()
        return servers, [f"http://127.0.0.{k}:{chosen}/" for k in range(1, len(servers) + 1)]
    raise OSError(f"no port free on all {len(network.sites)} loopback addresses: {last_error}")
