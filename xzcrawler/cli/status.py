"""`xzcrawler status`: runs, verdicts, open failures and what is due, per site (tools.status)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import archive_errors


@click.command()
@click.argument("archive", required=False, default=None, type=click.Path(dir_okay=False))
@click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False), help="The archive (or ARCHIVE).")
@click.option("--runs", default=5, show_default=True, type=click.IntRange(1, 1000), help="Runs shown per site.")
@click.option("--now", default=None, help="Judge what is due at this time (ISO 8601); default: now.")
@click.option("--json", "as_json", is_flag=True, help="The whole state as one JSON document.")
@archive_errors
def status(archive, db_path, runs, now, as_json):
    """Per site: the last runs with their verdicts and exit codes, pages fetched, articles new and
    changed; open failures with their reasons; what the next refresh would re-check. Read-only."""
    from ..core.paths import DEFAULT_DB
    from ..store import NotAnArchive
    from ..tools.status import lines
    from ..tools.status import status as run_status

    path = Path(archive or db_path or DEFAULT_DB)
    if not path.is_file():
        raise NotAnArchive(f"no archive at {path}")
    try:
        sites = run_status(path, runs, now)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from None
    if as_json:
        click.echo(json.dumps(sites, ensure_ascii=False, indent=1))
        return
    for line in lines(sites):
        click.echo(line)
