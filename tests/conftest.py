"""Shared helpers: fixture pages, the shared schema, a mirror on loopback, a crawl in a subprocess."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from xzcrawler.mirror.crawl import ENV, LOOPBACK_SETTINGS, crawl_command
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# Every crawl in the tests runs on a pinned clock, the mirror's and the crawler's alike: 00:30 in
# Shanghai is the hour that shows a day-level date mistake, and no test reads the wall clock.
NOW = dt.datetime(2026, 11, 28, 0, 30, tzinfo=SHANGHAI)


def shared_schema() -> dict:
    """The contract as ../shared holds it (CI has it beside the clone); the packaged copy otherwise."""
    path = SHARED / "schema" / "article.schema.json"
    if not path.exists():
        path = ROOT / "xzcrawler" / "schema" / "article.schema.json"
    return json.loads(path.read_text("utf-8"))


@pytest.fixture(scope="session")
def schema_validator():
    return Draft202012Validator(shared_schema(), format_checker=FormatChecker())


def fixture_cases(kind: str | None = None) -> list[Path]:
    kinds = [kind] if kind else ["article", "listing", "other"]
    return sorted(p for k in kinds for p in (FIXTURES / k).glob("*") if (p / "page.html").exists())


@pytest.fixture(scope="session")
def reconstruction300():
    """The 300-article mirror in the reconstruction's markup (validators and 304s)."""
    from xzcrawler.mirror.site import RECONSTRUCTION

    site = MirrorSite(articles=300, now=NOW, profile=RECONSTRUCTION)
    server, base = serve_in_thread(site)
    yield site, base
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def mirror300():
    """The 300-article tpure mirror, one per test module: the site counts every article visit, so
    a module that compares views with the mirror's readers must not share it with another's crawls."""
    site = MirrorSite(articles=300, now=NOW)
    server, base = serve_in_thread(site)
    yield site, base
    server.shutdown()
    server.server_close()


def crawl_args(base: str, workdir: Path, *extra: str, now: dt.datetime | None = NOW) -> list[str]:
    """The `scrapy crawl articles` command line for ``base`` into ``workdir``, on the pinned clock."""
    clock = ["-s", f"XZ_NOW={now.isoformat()}"] if now is not None else []
    return crawl_command(
        base,
        str(workdir / "archive.db"),
        None,  # the export: workdir/archive.jsonl
        [*LOOPBACK_SETTINGS, *clock, *extra],
    )


CRAWL_ENV = ENV


def replace_site(server, site: MirrorSite) -> None:
    """Serve ``site`` from now on at the same address (the site evolved between two crawls)."""
    server.RequestHandlerClass.site = site


def run_crawl(
    base: str, workdir: Path, *extra: str, timeout: int = 600, now: dt.datetime | None = NOW, **kwargs
) -> subprocess.CompletedProcess:
    """`scrapy crawl articles` against ``base`` in a subprocess (Scrapy wants its own reactor)."""
    return subprocess.run(
        crawl_args(base, workdir, *extra, now=now),
        cwd=workdir,
        env=CRAWL_ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xzcrawler.cli", *args], capture_output=True, text=True, **kwargs)


def crawl_ok(base: str, workdir: Path, *extra: str) -> subprocess.CompletedProcess:
    """`scrapy crawl articles` of ``base`` into ``workdir``, which must exit 0."""
    result = run_crawl(base, workdir, *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def crawled_mirror(root: Path, articles: int, *extra: str, **site_options) -> Path:
    """``root`` after a crawl of a mirror of ``articles`` articles (served for the crawl only):
    its archive is ``root / "archive.db"``, its WARC files ``root / "warc"``."""
    server, base = serve_in_thread(MirrorSite(articles, now=NOW, **site_options))
    try:
        crawl_ok(base, root, *extra)
    finally:
        server.shutdown()
        server.server_close()
    return root


@pytest.fixture(scope="session")
def mirror_archive(tmp_path_factory):
    """An archive of the 300-article mirror, built by parsing its rendered pages (no crawl)."""
    from lxml import etree

    from xzcrawler.core import families
    from xzcrawler.core.pages import parse_page, site_name
    from xzcrawler.mirror import render
    from xzcrawler.store import SqliteStore

    site = MirrorSite(articles=300, now=NOW)
    base = "http://127.0.0.1:8021/"
    path = tmp_path_factory.mktemp("archive") / "archive.db"
    with SqliteStore(path) as archive:
        for aid in site.ids:
            url = f"{base}index.php/post/{aid}.html"
            archive.add_article(parse_page(render.article_page(site, aid, base).encode(), url, NOW).record)
        # and the site's name, as a crawl reads it from the home page
        home = etree.fromstring(render.home_page(site, base).encode(), etree.HTMLParser())
        archive.record_categories("127.0.0.1", [], "2026-11-27T16:30:00Z", site_name(home))
        families.update(archive)  # as a crawl's end does
    return site, path
