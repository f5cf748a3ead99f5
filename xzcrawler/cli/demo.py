"""`xzcrawler demo`: the bundled mirror crawled into data/ and exports/, or simulated days."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from pathlib import Path

import click

from ..core import normalize as nz


@click.command()
@click.option("--articles", default=300, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--db", "db_path", default="data/xzcrawler.db", show_default=True)
@click.option("--out", default="exports/articles.jsonl", show_default=True)
@click.option(
    "--days",
    default=None,
    type=click.IntRange(1, 3650),
    help="Simulate N daily cron refreshes of the evolving mirror, both clocks a day on per run.",
)
@click.option("--start", default=None, help="With --days: the first day (ISO 8601); default: N days before today.")
@click.option(
    "--network",
    is_flag=True,
    help="The sites of the network mirror (XZ_NETWORK) (--articles each), in one run, with cross-posted stories.",
)
def demo(articles, db_path, out, days, start, network):
    """Crawl the bundled mirror into DB and export, as `scrapy crawl articles` would the live site.

    With --network: the sites of the network mirror (XZ_NETWORK), each on its own loopback host, in one
    run into one archive. With --days N: N simulated days of cron refreshes (new articles, growing
    views, edits, a failure and its recovery, a markup break the drift guard catches, then
    repaired), leaving an archive with real history."""
    from ..mirror.crawl import ENV, LOOPBACK_SETTINGS, crawl_command
    from ..mirror.network import Network, serve_network
    from ..mirror.server import serve_in_thread
    from ..mirror.site import MirrorSite
    from ..store import SqliteStore

    if days is not None:
        if network:
            raise click.UsageError("--days simulates one site: run it without --network")
        _simulate(articles, db_path, out, days, start)
        return
    started = time.monotonic()
    if network:
        servers, urls = serve_network(Network(articles))
        site = ",".join(urls)
        click.echo(f"network mirror of {len(urls)} sites, {articles} articles each, at {urls[0]} ... {urls[-1]}")
    else:
        server, site = serve_in_thread(MirrorSite(articles=articles))
        servers = [server]
        click.echo(f"mirror of {articles} articles serving at {site}")

    last_run = 0
    if Path(db_path).is_file():
        with SqliteStore(db_path) as archive:
            last_run = archive.last_run_id()
    try:
        result = subprocess.run(crawl_command(site, db_path, out, LOOPBACK_SETTINGS), env=ENV)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    with SqliteStore(db_path) as archive:
        runs = archive.runs_after(last_run)
        totals = archive.totals()
    stored, categories = totals["articles"], totals["categories"]
    statuses = ", ".join(sorted({status for status, _ in runs})) or "none"  # a run a site
    pages = sum(stats.get("response_received_count", 0) for _, stats in runs)
    seconds = time.monotonic() - started
    click.echo("")
    click.echo(f"articles in archive : {stored}")
    if network:
        click.echo(f"sites               : {totals['sites']}")
        click.echo(f"stories             : {totals['stories']} ({totals['copied']} posted on several sites)")
        click.echo(
            f"families            : {totals['families']} of {totals['family_members']} posts made from one text "
            f"({totals['families_across_sites']} across several sites)"
        )
    click.echo(f"categories          : {categories}")
    click.echo(f"pages fetched       : {pages}")
    click.echo(f"run status          : {statuses}")
    click.echo(f"seconds             : {seconds:.1f}")
    click.echo(f"database            : {Path(db_path).resolve()}")
    click.echo(f"export              : {Path(out).resolve()}")
    if result.returncode != 0:
        raise SystemExit(result.returncode)


def _simulate(articles: int, db_path: str, out: str, days: int, start: str | None) -> None:
    from ..mirror.simulate import Simulation
    from ..store import export_articles

    if start:
        try:
            first = nz.parse_iso(start)
        except ValueError:
            raise click.BadParameter(f"not an ISO 8601 time: {start!r}", param_hint="--start") from None
    else:
        today = dt.datetime.now(nz.SITE_TZ).replace(hour=3, minute=17, second=0, microsecond=0)
        first = today - dt.timedelta(days=days)
    db = Path(db_path)
    if db.is_file():  # the simulated site starts empty: mixed into another archive, its days would lie
        from ..store import SqliteStore

        with SqliteStore(db, readonly=True) as archive:
            held = archive.article_count()
        if held:
            raise click.UsageError(
                f"{db} already holds {held} articles: the simulated days start a new archive. "
                "Give --db a new path (e.g. --db data/days.db --out exports/days.jsonl)"
            )
    db.parent.mkdir(parents=True, exist_ok=True)
    # each day's crawl refreshes --out itself (nothing beside the archive: data/days.jsonl was written too)
    sim = Simulation(db.parent, articles=articles, start=first, db_path=db.resolve(), export_path=Path(out).resolve())
    started = time.monotonic()
    click.echo(f"simulating {days} days of daily refreshes from {sim.start:%Y-%m-%d %H:%M} (Asia/Shanghai) into {db}")

    def report(day):
        get = day.stats.get
        click.echo(
            f"day {day.number:3d} {day.now:%Y-%m-%d}  exit {day.exit_code}  new {get('xz/articles_new', 0):3d}  "
            f"changed {get('xz/articles_changed', 0):2d}  not modified {get('xz/not_modified', 0):3d}  "
            f"view changes {get('xz/view_changes_from_listings', 0):3d}  failures {get('xz/failed_urls', 0)}"
            + (f"  ({get('xz/verdict')})" if day.exit_code else "")
        )

    sim.run(days, after_day=report)
    count = export_articles(db, out)
    seconds = time.monotonic() - started
    click.echo(
        f"{days} days in {seconds:.0f} s ({days / seconds * 60:.1f} days per minute); {count} articles exported to {out}"
    )
