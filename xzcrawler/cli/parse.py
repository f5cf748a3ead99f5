"""`xzcrawler parse`: one saved page to its JSON record."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..core import normalize as nz


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The URL the page was fetched from.")
@click.option("--fetched-at", default=None, help="When it was fetched (ISO 8601); default now.")
@click.option("--encoding", default=None, help="Charset from the HTTP header, if known.")
def parse(file, url, fetched_at, encoding):
    """Parse one saved page and print it as JSON (article, listing or other)."""
    from ..core.pages import MAX_BODY, parse_page

    try:
        with open(file, "rb") as fh:
            body = fh.read(MAX_BODY + 1)
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror or exc}") from exc
    if len(body) > MAX_BODY:
        raise click.ClickException(f"{file} is larger than {MAX_BODY // (1024 * 1024)} MiB: no page of the site")

    try:
        fetched = nz.utc_iso(fetched_at)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {fetched_at}", param_hint="--fetched-at") from exc
    click.echo(json.dumps(parse_page(body, url, fetched, encoding).as_json(), ensure_ascii=False, indent=2))
