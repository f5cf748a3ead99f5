"""Charts checked in a real browser: headless Chromium (Debian's `chromium`, installed by
.ci/run) opens the report and the Datasette dashboard, runs their scripts, and we read the DOM
it built: every chart drew marks, and the console has no error. Screenshots are kept in the
test's temporary folder.

Without Chromium on the machine these tests are skipped, except under CI (CI=true), where a
missing browser is a failure."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import NOW, cli, run_crawl
from xzcrawler.core import families
from xzcrawler.core.pages import parse_page
from xzcrawler.mirror import images as mirror_images
from xzcrawler.mirror import render
from xzcrawler.mirror.network import Network
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI needs chromium for the browser tests (.ci/run installs it)")
    pytest.skip("no chromium on this machine (apt-get install chromium)", allow_module_level=True)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=15000",
]


def browse(url: str, shot: Path, profile: Path, size: str = "1400,4200") -> tuple[str, list[str]]:
    """The DOM Chromium built for ``url`` once its scripts ran, and the console's messages; a
    screenshot of the page goes to ``shot``."""
    common = [CHROMIUM, *FLAGS, f"--window-size={size}"]
    dom = subprocess.run(
        [*common, f"--user-data-dir={profile}-dom", "--dump-dom", url], capture_output=True, text=True, timeout=120
    )
    subprocess.run(
        [*common, f"--user-data-dir={profile}-shot", f"--screenshot={shot}", url], capture_output=True, timeout=120
    )
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    return dom.stdout, console


def errors(console: list[str]) -> list[str]:
    return [line for line in console if re.search(r"Uncaught|Error|error|Failed to load|ERR_", line)]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Two sites with cross-posts, four runs, and view counts that grow between them."""
    from xzcrawler.store import SqliteStore

    path = tmp_path_factory.mktemp("browser") / "network.db"
    net = Network(40, now=NOW, sites=2, share=0.3)
    with SqliteStore(path) as store:
        for day in range(4):
            when = (NOW + dt.timedelta(days=day)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            for k, site in enumerate(net.sites):
                key, base = f"127.0.0.{k + 1}", f"http://127.0.0.{k + 1}:8021/"
                run = store.start_run("articles", key, base, when)
                if day == 0:
                    for aid in site.ids:
                        url = f"{base}index.php/post/{aid}.html"
                        record = parse_page(render.article_page(site, aid, base).encode(), url, when).record
                        store.add_article(record)
                else:
                    store.observe_listing(
                        key, [{"article_id": a, "views": 100 + day * (a % 7) * 10} for a in site.ids], when
                    )
                stats = {"response_received_count": 50 - 10 * day, "xz/articles_new": 40 if day == 0 else 0}
                store.finish_run(run, "finished" if day != 2 else "failed: drift", stats, when, 0 if day != 2 else 5)
        families.update(store)  # as the crawl's end does: the two sites' spun text, linked
    return path


def test_the_report_renders_every_chart_in_chromium(archive, tmp_path):
    out = tmp_path / "report.html"
    result = cli("report", str(archive), "--out", str(out))
    assert result.returncode == 0, result.stderr
    page = out.read_text("utf-8")
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"http", page)  # self-contained: nothing to fetch
    dom, console = browse(out.as_uri(), tmp_path / "report.png", tmp_path / "profile")
    assert errors(console) == []
    sections = dict(re.findall(r'<section id="([\w-]+)" class="chart">(.*?)</section>', dom, re.S))
    assert set(sections) == {"per-month", "views", "growth", "series", "runs", "sites", "reuse"}
    for key, html in sections.items():
        assert "main-svg" in html, f"{key}: no chart drawn"
        marks = len(re.findall(r'class="point"|class="js-line"|class="bars"|class="hm"', html))
        assert marks > 0, f"{key}: a chart with nothing in it"
    # the per-site panels: one a site
    assert sections["per-month"].count('class="gtitle"') + sections["per-month"].count("127.0.0.") >= 2
    assert (tmp_path / "report.png").stat().st_size > 50_000


@pytest.fixture
def datasette(archive, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "xzcrawler.cli", "serve", str(archive), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_datasette_dashboard_draws_its_charts_in_chromium(datasette, archive, tmp_path):
    dom, console = browse(
        datasette + "/-/dashboards/archive", tmp_path / "dashboard.png", tmp_path / "profile", "1400,2400"
    )
    assert errors(console) == []
    # the metrics, as the archive holds them, and a drawn vega chart for each of the four charts
    import sqlite3

    db = sqlite3.connect(archive)
    expected = db.execute(
        "SELECT count(*), count(DISTINCT coalesce(story_id, site || '/' || article_id)), "
        "(SELECT count(*) FROM crawl_runs) FROM articles"
    ).fetchone()
    metrics = tuple(int(n) for n in re.findall(r'font-weight: 900;">(\d+)</p>', dom))
    assert metrics == expected == (80, expected[1], 8) and expected[1] < 80  # the cross-posts count once
    charts = re.findall(r'<svg[^>]*class="marks"', dom)
    assert len(charts) == 4, dom[:3000]
    assert all(re.search(r'class="mark-rect|class="mark-symbol', part) for part in dom.split('class="marks"')[1:])
    assert (tmp_path / "dashboard.png").stat().st_size > 50_000


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """The tpure mirror crawled with its photos and theme files (the defaults), packed by
    `xzcrawler wacz` and replayed by pywb: (the collection's address, the archive's folder, the
    mirror's site). The mirror is gone before anything is replayed."""
    from tests.test_replay import wayback

    root = tmp_path_factory.mktemp("replayed")
    site = MirrorSite(20, now=NOW)
    server, base = serve_in_thread(site)
    try:
        crawled = run_crawl(base, root)
    finally:
        server.shutdown()
        server.server_close()
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    wacz = root / "archive.wacz"
    made = cli("wacz", str(root / "archive.db"), "--out", str(wacz))
    assert made.returncode == 0, made.stderr
    with wayback(wacz, root / "pywb") as replay:
        yield replay, root, site


def _shot(url: str, path: Path, profile: Path, *flags: str):
    """A screenshot of ``url`` once its scripts ran, as an RGB image."""
    from PIL import Image

    subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            "--window-size=1400,3000",
            f"--user-data-dir={profile}",
            *flags,
            f"--screenshot={path}",
            url,
        ],
        capture_output=True,
        timeout=120,
    )
    return Image.open(path).convert("RGB")


def _near(image, colour, tolerance: int = 24) -> int:
    """How many pixels of ``image`` are within ``tolerance`` of ``colour`` in every channel."""
    from PIL import ImageChops

    bands = [
        band.point(lambda v, c=c: 255 if abs(v - c) <= tolerance else 0)
        for band, c in zip(image.split(), colour, strict=True)
    ]
    both = ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2])
    return sum(both.histogram()[255:])


def test_a_replayed_article_shows_its_photo_and_its_styles(replayed, tmp_path):
    """A tpure article replayed from the WACZ in Chromium: its lazy-loaded photo is there (the
    captured common.js moved data-original into src, pywb served the captured picture), and the
    captured stylesheet styled it (.wrapper's #f1f1f1 beside the 60% column). The page as captured,
    unrewritten, shows neither: they come from the archive's copies."""
    from PIL import Image

    from tests.test_replay import stamp

    replay, root, site = replayed
    db = sqlite3.connect(root / "archive.db")
    chosen = None
    for url, fetched_at, images in db.execute("SELECT url, fetched_at, images FROM articles ORDER BY article_id"):
        photos = [image["src"] for image in json.loads(images or "[]")]
        if not photos or not mirror_images.BODY_IMAGE.match(urlsplit(photos[0]).path):
            continue
        if not db.execute("SELECT 1 FROM image_captures WHERE url = ?", [photos[0]]).fetchone():
            continue
        picture = Image.open(io.BytesIO(mirror_images.picture(urlsplit(photos[0]).path)[1])).convert("RGB")
        colour = max(picture.getcolors(1 << 16))[1]  # the picture's ground: its commonest colour
        if max(colour) - min(colour) >= 80:  # far from the page's greys and whites
            chosen = url, fetched_at, colour
            break
    assert chosen is not None
    url, fetched_at, colour = chosen
    address = f"{replay}{stamp(fetched_at)}mp_/{url}"
    shown = _shot(address, tmp_path / "replayed.png", tmp_path / "profile")
    assert _near(shown, colour) >= 2000, (address, colour)  # of the photo's 10,800 pixels, its ground
    assert all(abs(v - 241) <= 3 for v in shown.getpixel((30, 400)))  # .wrapper{background:#f1f1f1}
    # the control: the page as captured, unrewritten (pywb's id_), links to the mirror, which is
    # gone: no photo and no styles. What the replay showed came from the archive's copies
    bare = _shot(f"{replay}{stamp(fetched_at)}id_/{url}", tmp_path / "bare.png", tmp_path / "profile2")
    assert _near(bare, colour) < 200
    assert not all(abs(v - 241) <= 3 for v in bare.getpixel((30, 400)))
