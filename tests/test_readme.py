"""The README's "Everyday use" block is true: every command it shows exists with every option it
shows (each run with --help after them, so an unknown command or option fails), and those that
read an archive run on one crawled from the mirror."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CRAWL_ENV, ROOT, run_crawl
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite

from .conftest import NOW


def everyday_commands() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    block = text.split("## Everyday use", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.splitlines():
        line = re.split(r"\s#\s", line, maxsplit=1)[0].strip()
        if line and not line.startswith(". "):
            commands.append(line)
    return commands


def concrete(line: str) -> list[str]:
    """The command with each optional part taken (its first alternative): every option shown."""

    def first(match: re.Match) -> str:
        inner = match.group(1)
        return re.split(r"\s\|\s", inner)[0].split("|")[0] if "--" in inner else inner.split("|")[0]

    while "[" in line:
        line = re.sub(r"\[([^\[\]]*)\]", first, line)
    words = shlex.split(line)
    binary = Path(sys.executable).parent / words[0]
    return [str(binary), *words[1:]]


COMMANDS = everyday_commands()


def test_the_block_is_found_and_names_every_command():
    names = {shlex.split(c)[1] if c.startswith("xzcrawler") else "crawl" for c in COMMANDS}
    assert {"crawl", "mirror", "parse", "export", "search", "merge", "reparse", "serve", "report", "wacz"} <= names


@pytest.mark.parametrize("line", COMMANDS)
def test_each_command_and_option_of_everyday_use_exists(line, tmp_path):
    command = concrete(line)
    result = subprocess.run([*command, "--help"], cwd=ROOT, env=CRAWL_ENV, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(command)}: {result.stderr[-1500:]}"
    assert "Usage" in result.stdout or "usage" in result.stdout.lower()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder laid out as the project's: data/xzcrawler.db crawled from the mirror."""
    root = tmp_path_factory.mktemp("everyday")
    (root / "data").mkdir()
    server, base = serve_in_thread(MirrorSite(30, now=NOW))
    try:
        result = run_crawl(base, root, "-s", f"XZ_DB_PATH={root / 'data' / 'xzcrawler.db'}")
        assert result.returncode == 0, result.stderr[-2000:]
    finally:
        server.shutdown()
        server.server_close()
    return root


@pytest.mark.parametrize(
    "name, extra",
    [
        ("export", ["--out", "out.jsonl.gz"]),
        ("export --format atom", []),
        ("search", []),
        ("report", []),
        ("wacz", []),
        ("reparse", []),
    ],
)
def test_the_archive_commands_of_everyday_use_run_on_a_mirror_archive(workdir, name, extra):
    # (export has two lines: the tables, and the change feed)
    (line,) = [
        c for c in COMMANDS if c.startswith(f"xzcrawler {name} ") and (name != "export" or "--format atom" not in c)
    ]
    line = re.sub(r"\[--(since|changed)[^\]]*\]", "", line)  # (a date filter is no everyday default)
    line = re.sub(r"\[--into [^\]]*\]", "", line)  # (in place)
    command = concrete(line)
    if "--out" in command and extra:
        at = command.index("--out")
        del command[at : at + 2]
    result = subprocess.run([*command, *extra], cwd=workdir, env=CRAWL_ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(command)}: {result.stderr[-1500:]}"
