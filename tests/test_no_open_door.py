"""A crawl opens no listening socket (issue 29, item 6): Scrapy 2.19's RemoteControl extension,
an HTTP server that runs the Python it is sent, is on by default; the project turns it off, as it
does the Telnet console. Asserted on the running crawl process itself, from /proc."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite

from .conftest import CRAWL_ENV, NOW, crawl_args

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")


def listening_ports(pid: int) -> set[int]:
    """Ports of the TCP sockets in LISTEN state that process ``pid`` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def crawl_listening(tmp_path, *extra: str) -> set[int]:
    """The listening ports a crawl of a slow mirror holds a few seconds into its run."""
    server, base = serve_in_thread(MirrorSite(40, now=NOW), delay=0.3)
    process = subprocess.Popen(
        crawl_args(base, tmp_path, *extra),
        cwd=tmp_path,
        env={**CRAWL_ENV, "HOME": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        seen: set[int] = set()
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and process.poll() is None:
            seen |= listening_ports(process.pid)
            time.sleep(0.2)
        return seen
    finally:
        process.kill()
        process.wait(timeout=30)
        server.shutdown()
        server.server_close()


def test_a_crawl_opens_no_listening_socket(tmp_path):
    assert crawl_listening(tmp_path) == set()


def test_the_check_sees_the_remote_control_server_when_asked_for(tmp_path):
    """The same check, with RemoteControl turned on as the README says for debugging: its server
    is seen (so the test above can fail)."""
    assert crawl_listening(tmp_path, "-s", "REMOTE_CONTROL_ENABLED=True")
