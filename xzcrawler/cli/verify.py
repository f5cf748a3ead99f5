"""`xzcrawler verify`: check that an archive is whole and that its parts agree (tools.verify)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import ProgressBar, archive_errors

FAILED = 1  # the exit status when a check fails (0: every check holds)


@click.command()
@click.argument("archive", required=False, default=None, type=click.Path(dir_okay=False))
@click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False), help="The archive (or ARCHIVE).")
@click.option("--warc-dir", default=None, type=click.Path(file_okay=False), help="Default: warc/ beside the archive.")
@click.option("--full", is_flag=True, help="Check every record and article, not a sample of each.")
@click.option("--export", "export", default=None, type=click.Path(dir_okay=False), help="Also check this JSONL export.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per check.")
@archive_errors
def verify(archive, db_path, warc_dir, full, export, as_json):
    """Check the archive read-only: SQLite's integrity, the WARC files and their records' digests,
    article rows against their captures parsed again, revisions against captures, the search
    index, story keys, an export, runs and failures. Exit 0 when every check holds, 1 otherwise;
    each failed check names what to do."""
    from ..core.paths import DEFAULT_DB
    from ..store import NotAnArchive
    from ..tools.verify import verify as run_verify

    path = Path(archive or db_path or DEFAULT_DB)
    if not path.is_file():
        raise NotAnArchive(f"no archive at {path}")
    with ProgressBar("verify") as progress:
        checks = run_verify(path, warc_dir, full, export, progress)
    for check in checks:
        click.echo(json.dumps(check.as_json(), ensure_ascii=False) if as_json else check.line())
    failed = [check.name for check in checks if not check.ok]
    click.echo(
        f"{len(checks) - len(failed)} of {len(checks)} checks hold"
        + (f"; failed: {', '.join(failed)}" if failed else ""),
        err=True,
    )
    sys.exit(FAILED if failed else 0)
