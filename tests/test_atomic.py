"""The one atomic writer (xzcrawler/store/atomic.py) and the commands that write through it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from xzcrawler.store.atomic import atomic_file, atomic_path, clean_stale


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_target_appears_whole_and_no_temporary_stays(tmp_path):
    out = tmp_path / "deep" / "out.jsonl"
    with atomic_file(out) as fh:
        fh.write(b"one\n")
        assert not out.exists()  # nothing is visible before the end
    assert out.read_bytes() == b"one\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["out.jsonl"]


def test_a_failed_write_leaves_the_old_target_and_no_temporary(tmp_path):
    out = tmp_path / "out.html"
    out.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(out, "w", encoding="utf-8") as fh:
        fh.write("half")
        raise RuntimeError("disk full")
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.html"]


def test_a_planted_symlink_is_never_written_through(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    out = tmp_path / "out.html"
    for name in ("out.html.tmp", f".out.html.{os.getpid()}.tmp"):  # the names writers used before
        (tmp_path / name).symlink_to(victim)
    with atomic_file(out, "w", encoding="utf-8") as fh:
        fh.write("report")
    assert victim.read_text() == "keep" and out.read_text() == "report" and not out.is_symlink()


def test_temporaries_of_gone_writers_are_removed_and_a_live_ones_kept(tmp_path):
    out = tmp_path / "a.jsonl"
    gone = tmp_path / f".a.jsonl.{_dead_pid()}.0a1b2c3d.tmp"
    older = tmp_path / f".a.jsonl.{_dead_pid()}.tmp"
    alive = tmp_path / f".a.jsonl.{os.getppid()}.0a1b2c3d.tmp"
    for path in (gone, older, alive):
        path.write_text("x")
    assert clean_stale(out) == 2
    assert not gone.exists() and not older.exists() and alive.exists()


def test_a_tool_writes_by_name_into_a_reserved_path(tmp_path):
    out = tmp_path / "archive.wacz"
    with atomic_path(out) as path:
        assert path.exists() and path.stat().st_size == 0 and path.parent == tmp_path
        path.write_bytes(b"PK")
    assert out.read_bytes() == b"PK" and not path.exists()
    with pytest.raises(OSError), atomic_path(out) as path:
        path.unlink()
        path.symlink_to(tmp_path / "elsewhere")  # swapped for a link while the tool ran: refused
    assert out.read_bytes() == b"PK"
