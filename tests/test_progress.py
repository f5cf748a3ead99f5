"""Long commands show a progress bar on a terminal and stay quiet in cron (no terminal)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from xzcrawler.core.progress import SiteProgress, line
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite

from .conftest import CRAWL_ENV, NOW, crawl_args, crawled_mirror

XZ = [sys.executable, "-m", "xzcrawler.cli"]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    return crawled_mirror(tmp_path_factory.mktemp("progress"), 40)


def on_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run with standard error on a pseudo-terminal; returns (exit status, what the terminal showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        args, cwd=cwd, env=CRAWL_ENV, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave
    )
    os.close(slave)
    shown: list[bytes] = []

    def pump():
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the terminal's other end is closed: the process is done
                return
            if not data:
                return
            shown.append(data)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    proc.communicate(timeout=600)
    reader.join(30)
    os.close(master)
    return proc.returncode, b"".join(shown).decode("utf-8", "replace")


COMMANDS = {
    "reparse": (["reparse", "--db", "archive.db", "--into", "re.db"], "reparse", "/"),
    "export": (["export", "--db", "archive.db", "--format", "csv", "--out", "a.csv"], "export articles", "40/40"),
    "report": (["report", "archive.db", "--out", "r.html"], "report", "2/2"),
    "wacz": (["wacz", "archive.db", "--out", "a.wacz"], "wacz", "3/3"),
    "merge": (["merge", "archive.db", "--into", "merged.db"], "merge", "2/2"),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_long_command_shows_progress_on_a_terminal_only(crawled, name, tmp_path):
    args, label, position = COMMANDS[name]
    for target in ("re.db", "a.csv", "r.html", "a.wacz", "merged.db"):
        for suffix in ("", "-wal", "-shm"):
            (crawled / (target + suffix)).unlink(missing_ok=True)
    code, shown = on_terminal([*XZ, *args], crawled)
    assert code == 0, shown[-2000:]
    assert label in shown and position in shown and "100%" in shown, shown[-2000:]
    for target in ("re.db", "a.csv", "r.html", "a.wacz", "merged.db"):
        for suffix in ("", "-wal", "-shm"):
            (crawled / (target + suffix)).unlink(missing_ok=True)
    quiet = subprocess.run([*XZ, *args], cwd=crawled, env=CRAWL_ENV, capture_output=True, text=True, timeout=600)
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert "100%" not in quiet.stderr and label not in quiet.stderr, quiet.stderr


def test_the_crawl_line_says_how_far_and_keeps_its_eta_at_any_width():
    sites = [SiteProgress(120, 300, 80, 100, 5, 8, False), SiteProgress(300, 300, 100, 100, 8, 8, True)]
    wide = line(sites, 10.0, 120)
    assert wide.startswith("[") and " 70% ETA 0m04s" in wide  # 180 pages left at 42 pages/s
    assert "pages 420/600" in wide and "articles 180/200" in wide and "listings 13/16" in wide
    assert "sites 1/2" in wide
    for width in (40, 60, 80):
        narrow = line(sites, 10.0, width)
        assert len(narrow) <= width - 1 and "ETA 0m04s" in narrow, (width, narrow)
    assert "100% done" in line([SiteProgress(5, 5, 3, 3, 0, 0, True)], 2.0)
    assert "ETA ?" in line([SiteProgress(0, 1, 0, 0, 0, 0, False)], 0.0)


def test_a_crawl_draws_a_bar_on_a_terminal_and_keeps_log_lines_whole(tmp_path):
    """On a terminal, the crawl redraws one bar line (issue 32, item 3); each log line starts on
    a line of its own (the bar is cleared first); without a terminal (cron, a pipe) no bar."""
    import re

    server, base = serve_in_thread(MirrorSite(150, now=NOW))
    try:
        code, shown = on_terminal(crawl_args(base, tmp_path / "tty"), tmp_path)
        quiet = subprocess.run(
            crawl_args(base, tmp_path / "pipe"),
            cwd=tmp_path,
            env=CRAWL_ENV,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert code == 0, shown[-2000:]
    bars = re.findall(r"\r\x1b\[K(\[[#-]+\] +\d+% [^\r\n]*)", shown)
    assert bars and any("pages" in bar and "articles" in bar for bar in bars), shown[-3000:]
    for stamp in re.finditer(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[", shown):
        before = shown[shown.rfind("\n", 0, stamp.start()) + 1 : stamp.start()]
        assert before == "" or before.endswith("\x1b[K"), repr(before[-200:])
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert "\x1b[K" not in quiet.stderr and not re.search(r"\[[#-]{10,}\]", quiet.stderr)
