"""A simulated stretch of daily cron refreshes of the evolving mirror (``xzcrawler demo --days N``).

Each day both clocks move on a day: the mirror (``now``) and the crawl (``XZ_NOW``). The site
evolves on a fixed schedule, so any day's site can be rebuilt to check the archive against it:
two new articles a day, readership growing every day, an article edited every fifth day (one
published the day before), one new article that answers 500 on the day it appears and is served
the next day, and a site-wide markup break on two days (the title selector: the drift guard's
exit 8), repaired on the third. A tool for the demo, the tests and the benchmarks; the crawler
never imports it.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..store import SqliteStore
from .crawl import ENV, LOOPBACK_SETTINGS, crawl_command
from .server import serve_in_thread
from .site import XUZHOU, MirrorSite, Profile

ADD_EVERY = dt.timedelta(hours=12)
EDIT_EVERY = 5  # days: on day 2, 7, 12, ... the article published the day before is edited
FAIL_DAY = 4  # the first article of this day answers 500 that day, and is served the next
BREAK_DAYS = (9, 10)  # the title markup is broken site-wide; repaired the day after
LOOPBACK = [*LOOPBACK_SETTINGS, "-s", "LOG_LEVEL=WARNING"]


@dataclass
class Day:
    number: int
    now: dt.datetime
    site: MirrorSite
    exit_code: int
    stats: dict


class Simulation:
    def __init__(
        self,
        workdir: Path,
        articles: int = 300,
        start: dt.datetime | None = None,
        db_path: Path | None = None,
        profile: Profile = XUZHOU,
        export_path: Path | None = None,
    ):
        """``profile``: the site's markup and behaviour (tpure by default, the network's real theme;
        RECONSTRUCTION for the earlier markup with validators and 304s). ``export_path``: where each
        day's crawl refreshes the export (default: the archive's own, beside it)."""
        tz = dt.timezone(dt.timedelta(hours=8))
        self.start = (
            (start or dt.datetime(2026, 1, 1, 3, 17, tzinfo=tz)).astimezone(tz).replace(second=0, microsecond=0)
        )
        self.articles = articles
        self.workdir = Path(workdir)
        self.db_path = Path(db_path) if db_path else self.workdir / "archive.db"
        self.export_path = Path(export_path) if export_path else None
        self._port = 0
        self.profile = profile
        # the views our fetches added: the site keeps them from day to day (each day's MirrorSite
        # is built anew from the schedule, so they are carried here)
        self.visits: Counter = Counter()

    # -- the schedule -----------------------------------------------------------------------
    def now(self, day: int) -> dt.datetime:
        return self.start + dt.timedelta(days=day)

    def added(self, day: int) -> int:
        return int((self.now(day) - self.start) / ADD_EVERY)

    def _base_site(self) -> MirrorSite:
        return MirrorSite(
            self.articles,
            now=self.start,
            epoch=self.start,
            add=self.added(10_000),
            add_every=ADD_EVERY,
            profile=self.profile,
        )

    @lru_cache(maxsize=64)  # noqa: B019  (one simulation, a few hundred days)
    def site(self, day: int) -> MirrorSite:
        """The site as it is on ``day`` (0 is the first crawl)."""
        edits = tuple(self.new_on(d - 1)[0] for d in range(2, day + 1) if d % EDIT_EVERY == 2)
        fail = (self.new_on(FAIL_DAY)[0],) if day == FAIL_DAY else ()
        broken = "title" if day in BREAK_DAYS else None
        return MirrorSite(
            self.articles,
            now=self.now(day),
            epoch=self.start,
            add=self.added(day),
            add_every=ADD_EVERY,
            grow_views=day,
            edit=edits,
            fail=fail,
            broken=broken,
            profile=self.profile,
        )

    @lru_cache(maxsize=1)  # noqa: B019
    def _ids(self) -> list[int]:
        return self._base_site().ids

    def new_on(self, day: int) -> list[int]:
        """The articles first on the site at the crawl of ``day`` (day 0: the whole site)."""
        ids = self._ids()
        return (
            ids[: self.articles]
            if day == 0
            else ids[self.articles + self.added(day - 1) : self.articles + self.added(day)]
        )

    def edited(self, day: int) -> set[int]:
        return set(self.site(day).edits)

    # -- running ------------------------------------------------------------------------------
    def run_day(self, day: int) -> Day:
        site = self.site(day)
        site.visits = self.visits
        server, base = serve_in_thread(site, port=self._port)
        self._port = server.server_address[1]  # the same address every day, as a real site keeps it
        export = str(self.export_path) if self.export_path else None
        command = crawl_command(
            base, str(self.db_path), export, ["-s", f"XZ_NOW={self.now(day).isoformat()}", *LOOPBACK]
        )
        try:
            result = subprocess.run(command, cwd=self.workdir, env=ENV, capture_output=True, text=True, timeout=1800)
        finally:
            server.shutdown()
            server.server_close()
        with SqliteStore(self.db_path, readonly=True) as archive:
            stats = archive.last_run_stats()
        if result.returncode not in (0, 3, 5, 8):
            raise RuntimeError(f"day {day}: exit {result.returncode}\n{result.stderr[-3000:]}")
        return Day(day, self.now(day), site, result.returncode, stats)

    def run(self, days: int, after_day: Callable[[Day], None] | None = None) -> list[Day]:
        self.workdir.mkdir(parents=True, exist_ok=True)
        done = []
        for day in range(days):
            result = self.run_day(day)
            if after_day is not None:
                after_day(result)
            done.append(result)
        return done
