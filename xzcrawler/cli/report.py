"""`xzcrawler report`: the HTML report (xzcrawler.report)."""

from __future__ import annotations

import click

from ..core.paths import DEFAULT_DB
from .common import ProgressBar, archive_errors


@click.command()
@click.argument("archive", default=DEFAULT_DB, type=click.Path(dir_okay=False))
@click.option("--out", default="exports/report.html", show_default=True, type=click.Path(dir_okay=False))
@archive_errors
def report(archive, out):
    """One self-contained HTML file of charts of ARCHIVE (nothing fetched when it is opened)."""
    from ..store import check_export_target
    from ..tools.report import render, write

    check_export_target(out, archive)
    try:
        if out == "-":
            click.echo(render(archive))
            return
        with ProgressBar("report") as progress:
            path = write(archive, out, progress=progress)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"report of {archive}: {path} ({path.stat().st_size // 1024} KB)")
