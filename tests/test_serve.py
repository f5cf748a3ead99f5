"""`xzcrawler serve` facing a hostile user: a search built to tie a worker up answers at once with a
clear refusal while another request is served, and the server leaves nothing behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from xzcrawler.store import SqliteStore

from .test_archive import reference_record
from .test_datasette import start_serve


@pytest.fixture
def served(tmp_path):
    pytest.importorskip("datasette")
    db = tmp_path / "big.db"
    with SqliteStore(db) as archive:
        archive.add_article(reference_record())
        record = reference_record(article_id=9001)
        record["body_text"] = "园区厂房" * 150_000  # 600,000 characters
        archive.add_article(record)
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc, base = start_serve(db, env={**os.environ, "TMPDIR": str(temp)})
    yield base, db, proc, temp
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=30)


def _search(base: str, db, query: str) -> tuple[float, dict]:
    url = f"{base}/{db.stem}/search.json?" + urllib.parse.urlencode({"q": query, "_shape": "objects"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as exc:
        answer = json.load(exc)
    return time.monotonic() - started, answer


def test_a_search_built_to_tie_up_a_worker_is_refused_at_once_while_others_are_served(served):
    base, db, _, _ = served
    hostile = " ".join(f"园{k}" for k in range(3000))
    results = {}
    thread = threading.Thread(target=lambda: results.setdefault("hostile", _search(base, db, hostile)))
    thread.start()
    elapsed, answer = _search(base, db, "园区")
    thread.join(timeout=60)
    assert elapsed < 5 and answer["rows"] and answer["rows"][0]["total"] == 2  # both articles hold 园区
    elapsed, refused = results["hostile"]
    assert elapsed < 5
    assert "at most 16 terms" in json.dumps(refused, ensure_ascii=False)
    assert "user-defined function raised exception" not in json.dumps(refused)


def test_serve_stops_on_sigterm_and_leaves_nothing_behind(served):
    _, _, proc, temp = served
    assert [p.name for p in temp.iterdir() if p.name.startswith("xzcrawler-serve-")]  # its metadata
    proc.terminate()
    assert proc.wait(timeout=30) in (0, -15)
    assert list(temp.iterdir()) == []


def test_serve_without_datasette_names_the_install_command(tmp_path):
    db = tmp_path / "a.db"
    with SqliteStore(db) as archive:
        archive.add_article(reference_record())
    code = (
        "import importlib.util, sys; real = importlib.util.find_spec; "
        "importlib.util.find_spec = lambda name, *a: None if name == 'datasette' else real(name, *a); "
        "from xzcrawler.cli import main; sys.argv = ['xzcrawler', 'serve', sys.argv[1]]; main()"
    )
    result = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "pip install -e '.[datasette]'" in result.stderr and "Traceback" not in result.stderr


def test_a_server_killed_outright_takes_datasette_with_it(served):
    """kill -9 of `serve` (no chance to clean up): its Datasette child ends too, not left serving."""
    base, _, proc, _ = served
    proc.kill()
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1)
        except OSError:
            return
        time.sleep(0.2)
    pytest.fail("Datasette still answers after its parent was killed")
