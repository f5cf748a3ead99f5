"""`xzcrawler search`: ranked full-text search of an archive (store.search)."""

from __future__ import annotations

import datetime as dt
import json

import click

from .common import archive_errors, db_option

_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


@click.command(name="search")
@click.argument("query")
@db_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--category", default=None, help="Only articles of this category (name as shown).")
@click.option("--since", default=None, help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit.")
@click.option(
    "--stories", is_flag=True, help="Each story once: cross-posted copies count as one hit (its best-ranked copy)."
)
@click.option(
    "--families",
    is_flag=True,
    help="Each family once: posts made from the same text (spun copies, across the sites) count as one hit.",
)
@archive_errors
def search_command(query, db_path, limit, category, since, as_json, stories, families):
    """Full-text search over titles and bodies (1-, 2- and longer Chinese words, ASCII words)."""
    from ..core.search import QueryTooLarge
    from ..store import SqliteStore

    if since is not None:
        try:
            since = dt.date.fromisoformat(since).isoformat()
        except ValueError:
            raise click.BadParameter(f"not a date: {since!r} (YYYY-MM-DD)", param_hint="--since") from None
    with SqliteStore(db_path, readonly=True) as archive:
        if category is not None and category not in archive.category_names(category):
            # "0 hits" would hide that the filter itself selects nothing
            near = archive.category_names(category[:2]) or archive.category_names()
            raise click.UsageError(
                f"no category {category!r} in this archive; "
                + (f"categories like it: {', '.join(near[:10])}" if near else "it has no categories")
            )
        try:
            hits = archive.search(
                query, limit=limit, category=category, since=since, stories=stories, families=families
            )
            total = archive.count_matches(query, category=category, since=since)
        except QueryTooLarge as exc:
            raise click.UsageError(str(exc)) from None
    from ..core.normalize import inert

    for hit in hits:
        if as_json:  # each line carries the number of articles the query and filters select
            # (JSON escapes control characters itself; bidi controls are taken out)
            click.echo(json.dumps({**hit.__dict__, "total": total}, ensure_ascii=False).translate(_BIDI))
        else:
            copies = f"  ({hit.copies} copies)" if hit.copies > 1 else ""
            if hit.family_members > 1:
                copies += f"  (family {hit.family_id}: {hit.family_members} posts on {hit.family_sites} site(s))"
            where = f"{hit.site_name} ({hit.site})" if hit.site_name else hit.site
            # rows archived before text was made inert at parse time are made so here
            click.echo(
                inert(
                    f"{hit.published_date or '----------'}  {hit.title}{copies}\n            {where}  {hit.url}\n"
                    f"            {hit.snippet}"
                )
            )
    if stories or families:
        with SqliteStore(db_path, readonly=True) as archive:
            matched = archive.count_matches(query, category=category, since=since, stories=stories, families=families)
        what = "families" if families else "stories"
        click.echo(f"{len(hits)} of {matched} matching {what} shown; {total} article(s) match", err=True)
    else:
        click.echo(f"{len(hits)} hit(s) shown; {total} article(s) match", err=True)
