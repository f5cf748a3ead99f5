"""A replayable archive: `xzcrawler wacz` packages the WARC files as a WACZ that `wacz validate`
accepts, and pywb, serving it on loopback, gives an archived article's bytes back by URL and
time, the first capture and the later one alike."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import NOW, cli, replace_site, run_crawl
from xzcrawler.core.images import payload_digest
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import RECONSTRUCTION, XUZHOU, MirrorSite

BIN = Path(sys.executable).parent


# the article's markup in each theme: what a replayed capture must show
BODY_MARK = {"tpure": b'class="single viewall', "xzcf": b'class="post-title"'}


@pytest.fixture(scope="module", params=[XUZHOU, RECONSTRUCTION], ids=["tpure", "reconstruction"])
def crawled(request, tmp_path_factory):
    """Two crawls a day apart (the second refreshes: new articles, and pages fetched again), on the
    network's real theme (each fetch renders anew: no revisits) and on the reconstruction
    (validators, identical payloads: revisit records). Returns (folder, theme)."""
    profile = request.param
    work = tmp_path_factory.mktemp("replay")
    server, base = serve_in_thread(MirrorSite(30, now=NOW, epoch=NOW, profile=profile))
    try:
        for day, options in ((0, {}), (1, {"add": 3, "grow_views": 1})):
            now = NOW + dt.timedelta(days=day)
            replace_site(server, MirrorSite(30, now=now, epoch=NOW, profile=profile, **options))  # same address
            result = run_crawl(base, work, "-a", "full=1", now=now)
            assert result.returncode == 0, result.stderr[-2000:]
    finally:
        server.shutdown()
        server.server_close()
    return work, profile.theme


@contextlib.contextmanager
def wayback(wacz: Path, home: Path) -> Iterator[str]:
    """pywb serving ``wacz`` (unpacked into a collection ``xz`` under ``home``) on a free loopback
    port; yields the collection's base address (``…/xz/``)."""
    home.mkdir(parents=True, exist_ok=True)
    for args in (["init", "xz"], ["add", "--unpack-wacz", "xz", str(wacz)]):
        step = subprocess.run([str(BIN / "wb-manager"), *args], cwd=home, capture_output=True, text=True)
        assert step.returncode == 0, step.stderr
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [str(BIN / "wayback"), "-p", str(port), "-b", "127.0.0.1"],
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/xz/"
        for _ in range(150):
            try:
                urllib.request.urlopen(base, timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def stamp(fetched_at: str) -> str:
    """A capture's time as pywb's 14-digit timestamp."""
    return dt.datetime.fromisoformat(fetched_at.replace("Z", "+00:00")).strftime("%Y%m%d%H%M%S")


def _payload(warc_dir: Path, file: str, offset: int) -> bytes:
    with open(warc_dir / file, "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        return record.content_stream().read()


def test_wacz_validates_and_pywb_replays_the_captures(crawled, tmp_path):
    crawled, theme = crawled
    out = tmp_path / "archive.wacz"
    result = cli("wacz", str(crawled / "archive.db"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "wacz validate: ok" in result.stdout
    check = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(out)], capture_output=True, text=True)
    assert check.returncode == 0 and "valid" in check.stdout + check.stderr

    with wayback(out, tmp_path / "pywb") as base:
        db = sqlite3.connect(crawled / "archive.db")
        # an article captured on both days: each capture comes back by its own time
        url = db.execute(
            "SELECT url FROM warc_records WHERE record_type IN ('response', 'revisit') AND url LIKE '%/post/%' "
            "GROUP BY url HAVING count(*) = 2 LIMIT 1"
        ).fetchone()[0]
        captures = db.execute(
            "SELECT fetched_at, file, offset, record_type, digest FROM warc_records WHERE url = ? "
            "AND record_type IN ('response', 'revisit') ORDER BY fetched_at",
            [url],
        ).fetchall()
        for fetched_at, file, offset, kind, digest in captures:
            with urllib.request.urlopen(f"{base}{stamp(fetched_at)}id_/{url}", timeout=30) as response:
                replayed = response.read()
            if kind == "response":
                expected = _payload(crawled / "warc", file, offset)
            else:  # a revisit: the bytes of the capture it refers to
                (file, offset) = db.execute(
                    "SELECT file, offset FROM warc_records WHERE digest = ? AND record_type = 'response' "
                    "AND fetched_at < ? ORDER BY fetched_at DESC LIMIT 1",
                    [digest, fetched_at],
                ).fetchone()
                expected = _payload(crawled / "warc", file, offset)
            assert replayed == expected, (url, fetched_at, kind)
            assert BODY_MARK[theme] in replayed
        # the photos and the files of the theme come back too, byte for byte (issue 31)
        for table in ("image_captures", "asset_captures"):
            rows = db.execute(f"SELECT url, fetched_at, digest FROM {table} ORDER BY url LIMIT 8").fetchall()
            assert rows, table
            for url, fetched_at, digest in rows:
                with urllib.request.urlopen(f"{base}{stamp(fetched_at)}id_/{url}", timeout=30) as response:
                    body = response.read()
                    if response.headers.get("Content-Encoding") == "gzip":  # (as sent: id_ is the original)
                        body = gzip.decompress(body)
                assert payload_digest(body) == digest, (table, url)


def test_wacz_of_an_archive_without_warc_is_refused(tmp_path):
    from xzcrawler.store import SqliteStore

    SqliteStore(tmp_path / "empty.db").close()
    result = cli("wacz", str(tmp_path / "empty.db"), "--out", str(tmp_path / "x.wacz"))
    assert result.returncode == 1 and "no WARC files" in result.stderr
    assert not (tmp_path / "x.wacz").exists()
    missing = cli("wacz", str(tmp_path / "missing.db"), "--out", str(tmp_path / "x.wacz"))
    assert missing.returncode == 1 and "no archive at" in missing.stderr


def test_the_page_list_is_made_of_captures_after_the_site_moved(tmp_path):
    """The site crawled, then restarted on another port and crawled again (its addresses move
    there): the WACZ's pages list names each article's newest capture by the address it was
    fetched from, every one of them in the index, and the summary counts what was written (the
    list was built from current addresses, and after a second `make demo` none matched)."""
    import json
    import zipfile

    site = MirrorSite(30, now=NOW)
    for k in range(2):
        server, base = serve_in_thread(site)  # a new port each time
        try:
            result = run_crawl(base, tmp_path, now=NOW + dt.timedelta(hours=k))
            assert result.returncode == 0, result.stderr[-2000:]
        finally:
            server.shutdown()
            server.server_close()
    db = sqlite3.connect(tmp_path / "archive.db")
    captured = {url for (url,) in db.execute("SELECT url FROM warc_records WHERE record_type = 'response'")}
    out = tmp_path / "a.wacz"
    made = cli("wacz", str(tmp_path / "archive.db"), "--out", str(out))
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(out) as package:
        lines = package.read("pages/pages.jsonl").decode("utf-8").splitlines()[1:]
    pages = [json.loads(line) for line in lines]
    assert len(pages) == 30 and f"{len(pages)} page(s)" in made.stdout
    assert {page["url"] for page in pages} <= captured
