"""Past one machine: the project deploys to Scrapyd with scrapyd-deploy, each site of the network
is one job writing its own shard, and `xzcrawler merge` folds the shards into one archive.

Scrapyd runs here on loopback, on a free port, from the `[scale]` extra; the project deployed
is a copy of this tree (scrapyd-deploy builds the egg where it runs)."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import NOW, ROOT, cli
from xzcrawler.core.normalize import site_of
from xzcrawler.mirror.network import Network, serve_network

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


USER, PASSWORD = "xzcrawler", "s3cret-for-this-test-only"


def _api(base: str, endpoint: str, data: dict | None = None, auth: bool = True) -> dict:
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    request = urllib.request.Request(base + endpoint, data=body)
    if auth:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _copy_project(to: Path) -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if name.split("/", 1)[0] in ("xzcrawler", "setup.py", "pyproject.toml", "scrapy.cfg", "README.md"):
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, to / name)


@pytest.fixture
def scrapyd(tmp_path):
    port = _free_port()
    home = tmp_path / "scrapyd"
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\nitems_dir =\n"
        "max_proc = 4\npoll_interval = 0.5\njobs_to_keep = 50\n"
        # as docs/scale.md says to run it: loopback only, and a username and password
        f"username = {USER}\npassword = {PASSWORD}\n"
    )
    process = subprocess.Popen(
        [str(BIN / "scrapyd")], cwd=home, stdout=subprocess.DEVNULL, stderr=(home / "scrapyd.err").open("w")
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                if _api(base, "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("scrapyd did not start: " + (home / "scrapyd.err").read_text())
        yield base, home
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_one_scrapyd_job_per_site_then_merge(scrapyd, tmp_path):
    base, home = scrapyd
    project = tmp_path / "project"
    _copy_project(project)
    config = tmp_path / "config"
    config.mkdir()
    (config / "scrapy.cfg").write_text(
        f"[deploy:node1]\nurl = {base}\nproject = xzcrawler\nusername = {USER}\npassword = {PASSWORD}\n"
    )
    # without the credentials, nothing: no listing, no deploy, no schedule
    for endpoint, data in (("listprojects.json", None), ("schedule.json", {"project": "x", "spider": "articles"})):
        with pytest.raises(urllib.error.HTTPError) as refused:
            _api(base, endpoint, data, auth=False)
        assert refused.value.code == 401
    deploy = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "node1"],
        cwd=project,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "XDG_CONFIG_HOME": str(config), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert deploy.returncode == 0 and '"status": "ok"' in deploy.stdout, deploy.stdout + deploy.stderr
    assert _api(base, "listspiders.json?project=xzcrawler")["spiders"] == ["articles"]

    net = Network(30, now=NOW)
    servers, urls = serve_network(net)
    shards = tmp_path / "shards"
    try:
        jobs = {}
        for url in urls:
            key = site_of(url)
            answer = _api(
                base,
                "schedule.json",
                {
                    "project": "xzcrawler",
                    "spider": "articles",
                    "site": url,
                    "setting": [
                        f"XZ_DB_PATH={shards / key / 'archive.db'}",
                        f"XZ_NOW={NOW.isoformat()}",
                        "AUTOTHROTTLE_START_DELAY=0",
                        "CONCURRENT_REQUESTS_PER_DOMAIN=16",
                    ],
                },
            )
            assert answer["status"] == "ok", answer
            jobs[answer["jobid"]] = key
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            finished = {job["id"] for job in _api(base, "listjobs.json?project=xzcrawler")["finished"]}
            if set(jobs) <= finished:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"jobs not finished: {set(jobs) - finished}")
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()

    # every job's run finished healthy, in its own shard
    paths = []
    for job, key in jobs.items():
        path = shards / key / "archive.db"
        log = next((home / "logs").rglob(f"{job}.log")).read_text("utf-8")
        assert "Traceback" not in log, log[-3000:]
        runs = sqlite3.connect(path).execute("SELECT site, status, exit_code FROM crawl_runs").fetchall()
        assert runs == [(key, "finished", 0)], (runs, log[-2000:])
        paths.append(str(path))

    target = tmp_path / "network.db"
    result = cli("merge", *paths, "--into", str(target))
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(target)
    for k, url in enumerate(urls):
        key = site_of(url)
        stored = [aid for (aid,) in db.execute("SELECT article_id FROM articles WHERE site = ?", [key])]
        assert sorted(stored) == sorted(net.sites[k].ids)  # every article, exactly once
    groups: dict = {}
    for story, site, aid in db.execute("SELECT story_id, site, article_id FROM articles"):
        groups.setdefault(story, set()).add((site, aid))
    truth = {frozenset((f"127.0.0.{k + 1}", aid) for k, aid in story) for story in net.stories()}
    assert {frozenset(g) for g in groups.values() if len(g) > 1} == truth
    assert db.execute("SELECT count(*) FROM crawl_runs").fetchone() == (len(urls),)
