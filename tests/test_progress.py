"""Long commands show a progress bar on a terminal and stay quiet in cron (no terminal)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from .conftest import CRAWL_ENV, crawled_mirror

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
