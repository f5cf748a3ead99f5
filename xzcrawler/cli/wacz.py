"""`xzcrawler wacz`: the WARC files as a WACZ (xzcrawler.wacz)."""

from __future__ import annotations

import click

from ..core.paths import DEFAULT_DB
from .common import ProgressBar, archive_errors


@click.command()
@click.argument("archive", default=DEFAULT_DB, type=click.Path(dir_okay=False))
@click.option("--out", default="exports/archive.wacz", show_default=True, type=click.Path(dir_okay=False))
@click.option("--warc-dir", default=None, help="The WARC folder (default: warc/ beside the archive).")
@archive_errors
def wacz(archive, out, warc_dir):
    """Package the archive's WARC files as a replayable WACZ (CDXJ index, pages list), validated."""
    from ..store import check_export_target
    from ..tools.wacz import ReplayError, make_wacz

    check_export_target(out, archive)
    try:
        with ProgressBar("wacz") as progress:
            path, files, pages = make_wacz(archive, out, warc_dir, progress)
    except ReplayError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{path}: {files} WARC file(s), {pages} page(s), {path.stat().st_size // 1024} KB; wacz validate: ok")
