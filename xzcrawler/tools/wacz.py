"""``xzcrawler wacz [ARCHIVE] --out archive.wacz``: the archive's WARC files as one replayable
WACZ (py-wacz), with its CDXJ index (cdxj-indexer, through py-wacz) and a pages list of every
archived article (url, title, the time of the capture the archive holds). Replay it with pywb
(``wb-manager add --unpack-wacz``) or ReplayWeb.page. The ``replay`` extra installs these;
the core install does not need them.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

from ..core import paths
from ..store import SqliteStore
from ..store.atomic import atomic_path

REQUIRES = "py-wacz (pip install 'xzcrawler[replay]')"


class ReplayError(RuntimeError):
    pass


def pages(archive_path: str | Path) -> list[dict]:
    """One entry per archived article: its address, title and capture time (a WARC-Date)."""
    with SqliteStore(archive_path, readonly=True) as archive:
        return archive.captured_pages()


def own_captures(archive_path: str | Path, folder: Path) -> list[Path]:
    """The WARC files of the archive's own captures: those its index points at (a shard's, once
    merged, included) and those it wrote (its identity in their warcinfo), never another
    archive's files sharing the folder."""
    from ..warc import own_files

    with SqliteStore(archive_path, readonly=True) as archive:
        indexed = archive.warc_files_indexed()
        files = {folder / name for name in indexed if paths.bare_warc_name(name) and (folder / name).is_file()}
        files.update(own_files(archive, folder, indexed))
    return sorted(files)


def _wacz(*args: str) -> tuple[int, str]:
    try:
        from wacz.main import main as wacz_main
    except ImportError as exc:
        raise ReplayError(f"a WACZ needs {REQUIRES}") from exc
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = wacz_main(list(args))
        except SystemExit as exc:  # argparse and some failures exit
            code = exc.code if isinstance(exc.code, int) else 1
    return code or 0, out.getvalue()


def make_wacz(
    archive_path: str | Path, out: str | Path, warc_dir: str | Path | None = None, progress=None
) -> tuple[Path, int, int]:
    """Write the WACZ of the archive at ``archive_path`` to ``out`` (atomically) and validate it.
    Returns (path, WARC files, pages). ``progress(done, 3)``: the pages listed, the WACZ written,
    the WACZ validated."""
    tell = progress or (lambda done, total: None)
    out = Path(out)
    entries = pages(archive_path)  # an archive, or a clear refusal
    folder = paths.warc_dir(archive_path, str(warc_dir) if warc_dir else None)
    files = own_captures(archive_path, folder)
    if not files:
        raise ReplayError(f"no WARC files in {folder}: nothing to package")
    with atomic_path(out) as partial, tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "pages.jsonl"
        with listing.open("w", encoding="utf-8") as fh:
            fh.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "Archived articles"}) + "\n")
            for entry in entries:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        tell(1, 3)
        code, said = _wacz(
            "create",
            "-o",
            str(partial),
            "-p",
            str(listing),
            "--title",
            f"xzcrawler: {Path(archive_path).name}",
            *map(str, files),
        )
        if code != 0 or not partial.is_file() or partial.stat().st_size == 0:
            raise ReplayError(f"wacz create failed: {said.strip().splitlines()[-1] if said.strip() else code}")
        tell(2, 3)
        code, said = _wacz("validate", "-f", str(partial))
        if code != 0:
            raise ReplayError(f"the WACZ did not validate: {said.strip()}")
        tell(3, 3)
    return out, len(files), len(entries)
