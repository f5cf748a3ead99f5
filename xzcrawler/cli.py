"""The ``xzcrawler`` command: a thin click layer over the library."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import click

from .core import formats
from .core import normalize as nz
from .core.formats import FORMATS
from .core.paths import DEFAULT_DB


@click.group()
@click.version_option(package_name="xzcrawler")
def main():
    """Archive 徐州厂房网 and its sister sites: crawl, parse, store, export."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback).")
@click.option("--port", default=8021, show_default=True, type=int, help="Port; 0 picks a free one.")
@click.option("--articles", default=300, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the synthetic content.")
@click.option("--now", default=None, help="The mirror's clock (ISO 8601); default: the real time.")
@click.option(
    "--epoch",
    default=None,
    help="When the content was made (ISO 8601); default: --now. Keep the first run's value to evolve the same site.",
)
@click.option("--add", default=0, show_default=True, type=click.IntRange(0), help="New articles since the epoch.")
@click.option("--grow-views", default=0, show_default=True, type=click.IntRange(0), help="Rounds of readership growth.")
@click.option("--edit", multiple=True, type=int, help="An article id whose text the site changed (repeatable).")
@click.option(
    "--break",
    "broken",
    type=click.Choice(["views", "date", "category", "body", "title"]),
    help="Break one field's markup site-wide.",
)
@click.option("--fail", multiple=True, type=int, help="An article id that answers 500 (repeatable).")
@click.option("--gone", multiple=True, type=int, help="An article id that answers a soft 404 (repeatable).")
@click.option(
    "--delay", default=0.0, show_default=True, type=click.FloatRange(0, 60), help="Seconds before each answer."
)
@click.option(
    "--network",
    is_flag=True,
    help="Serve the sites of the network (XZ_NETWORK), each on its own loopback address (127.0.0.1, 127.0.0.2, ...) "
    "on one port, with cross-posted stories; --articles is per site. The first line out is the site list.",
)
def mirror(host, port, articles, seed, now, epoch, add, grow_views, edit, broken, fail, gone, delay, network):
    """Serve the bundled synthetic copy of the site over HTTP, in the foreground.

    To evolve it between crawls, start it again with the first run's --epoch and a later
    --now, plus any of --add, --grow-views, --edit, --break.
    """
    from .mirror.server import make_server
    from .mirror.site import MirrorSite

    options = dict(
        now=nz.parse_iso(now) if now else None,
        epoch=nz.parse_iso(epoch) if epoch else None,
        add=add,
        grow_views=grow_views,
        edit=tuple(edit),
        broken=broken,
        fail=tuple(fail),
        gone=tuple(gone),
    )
    if network:
        _serve_network(articles, seed, port, delay, options)
        return
    site = MirrorSite(articles=articles, seed=seed, **options)
    server = make_server(site, host, port, delay)
    bound_host, bound_port = server.server_address[:2]
    click.echo(f"xzcrawler mirror: {articles} articles at http://{bound_host}:{bound_port}/ (Ctrl-C stops)", err=True)
    click.echo(f"http://{bound_host}:{bound_port}/", err=False)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _serve_network(articles: int, seed: int, port: int, delay: float, options: dict) -> None:
    import time

    from .mirror.network import Network, serve_network

    net = Network(articles, seed=seed, **options)
    try:
        servers, urls = serve_network(net, port, delay)
    except OSError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(",".join(urls))
    sys.stdout.flush()
    copies = sum(len(story) - 1 for story in net.stories())
    click.echo(
        f"xzcrawler mirror: {len(urls)} sites of {articles} articles, {copies} cross-posted copies (Ctrl-C stops)",
        err=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The URL the page was fetched from.")
@click.option("--fetched-at", default=None, help="When it was fetched (ISO 8601); default now.")
@click.option("--encoding", default=None, help="Charset from the HTTP header, if known.")
def parse(file, url, fetched_at, encoding):
    """Parse one saved page and print it as JSON (article, listing or other)."""
    from .core.pages import MAX_BODY, parse_page

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
    page = parse_page(body, url, fetched, encoding)
    if page["kind"] == "article":
        from .core.validate import schema

        page = {"kind": "article", **{key: page.get(key) for key in schema()["properties"]}}
    elif page["kind"] == "error":
        page = {"kind": "other", "error": page["reason"]}
    click.echo(json.dumps(page, ensure_ascii=False, indent=2))


def db_option(func):
    return click.option(
        "--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False), help="The archive."
    )(func)


def since_option(help_text: str):
    def check(ctx, param, value):
        if value is None:
            return None
        try:
            return nz.utc_iso(value)
        except ValueError:
            raise click.BadParameter(
                f"not an ISO 8601 time: {value!r} (e.g. 2026-11-01 or 2026-11-01T08:00:00+08:00)"
            ) from None

    return click.option("--since", default=None, callback=check, help=help_text)


class progress_bar:  # noqa: N801 (used as a context manager, like click.progressbar)
    """A progress bar on standard error when it is a terminal, nothing otherwise (cron, pipes,
    files): the callback ``progress(done, total)`` the library's long operations take."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.shown = 0
        self.tty = sys.stderr.isatty()

    def __enter__(self):
        return self if self.tty else None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(
                length=max(total, 1), label=self.label, file=sys.stderr, show_pos=True, show_percent=True
            )
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _archive_errors(func):
    """The library's refusals (no archive, a target that must not be written) as one-line errors."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .store import ExportTargetError, NotAnArchive, StorageError

        try:
            return func(*args, **kwargs)
        except (NotAnArchive, ExportTargetError, StorageError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


@main.command()
@db_option
@click.option(
    "--out",
    default=None,
    type=click.Path(),
    help="A file, or - for standard output. Default: exports/<table>.<format> (.gz added with --gzip).",
)
@click.option(
    "--format",
    "fmt",
    default=None,
    type=click.Choice(list(FORMATS)),
    help="jsonl (the default) or csv (UTF-8 with a BOM, for spreadsheets). Default: what the --out name says.",
)
@click.option(
    "--table",
    default="articles",
    show_default=True,
    type=click.Choice(["articles", "related_links", "view_snapshots", "revisions"]),
)
@since_option("Only rows new or changed since this time (ISO 8601).")
@click.option("--changed", is_flag=True, help="Only rows new or changed since this table's last --changed export.")
@click.option("--gzip", "compress", is_flag=True, help="gzip the file.")
@_archive_errors
def export(db_path, out, fmt, table, since, changed, compress):
    """Write a table, ordered, as JSONL or CSV (atomic: a temporary file renamed into place).

    CSV has one row per record: a list of strings (breadcrumbs, keywords) is one cell with one
    item per line, a list of objects (images, related) is one cell of JSON text."""
    from .store import export as run_export

    if changed and since:
        raise click.UsageError(
            "--changed and --since exclude each other: --changed exports since the last --changed export"
        )
    fmt = fmt or (formats.format_of_name(out) if out else None) or "jsonl"
    out = out or f"exports/{table}.{fmt}" + (".gz" if compress else "")
    with progress_bar(f"export {table}") as progress:
        count, since_used = run_export(db_path, out, table, since, changed, compress, fmt, progress)
    scope = (
        " new or changed since the last --changed export"
        if changed
        else f" new or changed since {since_used}"
        if since_used
        else ""
    )
    click.echo(f"exported {count} {table} rows{scope} to {'standard output' if out == '-' else out}", err=out == "-")


@main.command()
@db_option
@click.option("--into", default=None, type=click.Path(dir_okay=False), help="Rebuild into this archive instead.")
@since_option("Only records fetched at or after this time (ISO 8601).")
@click.option("--warc-dir", default=None, type=click.Path(file_okay=False), help="Default: warc/ beside --db.")
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="Processes that parse (default: one per core for a large archive; 1: parse in this one).",
)
@_archive_errors
def reparse(db_path, into, since, warc_dir, workers):
    """Rebuild article rows from the WARC files with the current parser (no network); report changes."""
    from .reparse import reparse as run_reparse

    if not Path(db_path).is_file():
        raise click.ClickException(f"no archive at {db_path}")
    with progress_bar("reparse") as progress:
        report = run_reparse(db_path, into, since, warc_dir, workers, progress)
    for line in report.lines():
        click.echo(line)


@main.command()
@click.argument("archive", default=DEFAULT_DB, type=click.Path(dir_okay=False))
@click.option("--out", default="exports/report.html", show_default=True, type=click.Path(dir_okay=False))
@_archive_errors
def report(archive, out):
    """One self-contained HTML file of charts of ARCHIVE (nothing fetched when it is opened)."""
    from .report import render, write
    from .store import check_export_target

    check_export_target(out, archive)
    try:
        if out == "-":
            click.echo(render(archive))
            return
        with progress_bar("report") as progress:
            path = write(archive, out, progress=progress)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"report of {archive}: {path} ({path.stat().st_size // 1024} KB)")


@main.command()
@click.argument("archive", default=DEFAULT_DB, type=click.Path(dir_okay=False))
@click.option("--out", default="exports/archive.wacz", show_default=True, type=click.Path(dir_okay=False))
@click.option("--warc-dir", default=None, help="The WARC folder (default: warc/ beside the archive).")
@_archive_errors
def wacz(archive, out, warc_dir):
    """Package the archive's WARC files as a replayable WACZ (CDXJ index, pages list), validated."""
    from .replay import ReplayError, make_wacz
    from .store import check_export_target

    check_export_target(out, archive)
    try:
        with progress_bar("wacz") as progress:
            path, files, pages = make_wacz(archive, out, warc_dir, progress)
    except ReplayError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{path}: {files} WARC file(s), {pages} page(s), {path.stat().st_size // 1024} KB; wacz validate: ok")


@main.command(name="merge")
@click.argument("shards", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--into", "into", required=True, type=click.Path(dir_okay=False), help="The archive merged into.")
@click.option("--no-warc", is_flag=True, help="Leave the WARC files where they are (and their index out).")
@click.option(
    "--max-seconds",
    default=3600,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="A shard whose vetting or merge takes longer is refused (its transaction rolled back).",
)
@click.option(
    "--max-bytes",
    default=64 * 1024**3,
    show_default=True,
    type=click.IntRange(min=1),
    help="A shard file (with its write-ahead log) larger than this is refused.",
)
@_archive_errors
def merge_command(shards, into, no_warc, max_seconds, max_bytes):
    """Fold shard archives (one per site or job) into one archive, with all their history.

    Merging a shard again writes nothing; a refreshed shard writes only what changed. Every shard
    is vetted first (its tables, sites, times and WARC names; see docs/scale.md): one refused
    leaves the archive as it was. --into must be an archive or a new path. Exits 75 when another
    run holds the archive."""
    from .core.health import LOCKED
    from .lock import ArchiveLocked, RunLock
    from .store.merge import check_target, merge

    missing = [shard for shard in shards if not Path(shard).is_file()]
    if missing:
        raise click.ClickException(f"no archive at {missing[0]}")
    check_target(Path(into))
    try:
        lock = RunLock.acquire(into)
    except ArchiveLocked as exc:
        click.echo(f"Error: {exc}: try again when it is done (exit {LOCKED}, nothing written)", err=True)
        sys.exit(LOCKED)
    with lock, progress_bar("merge (vet, then merge, each shard)") as progress:
        reports = merge(
            into, list(shards), warc=not no_warc, max_seconds=max_seconds, max_bytes=max_bytes, progress=progress
        )
    for report in reports:
        click.echo(report.line())


@main.command(name="search")
@click.argument("query")
@db_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--category", default=None, help="Only articles of this category (name as shown).")
@click.option("--since", default=None, help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit.")
@click.option(
    "--stories", is_flag=True, help="Each story once: cross-posted copies count as one hit (its best-ranked copy)."
)
@_archive_errors
def search_command(query, db_path, limit, category, since, as_json, stories):
    """Full-text search over titles and bodies (1-, 2- and longer Chinese words, ASCII words)."""
    from .core.search import QueryTooLarge, count, search
    from .store import Archive

    if since is not None:
        try:
            since = dt.date.fromisoformat(since).isoformat()
        except ValueError:
            raise click.BadParameter(f"not a date: {since!r} (YYYY-MM-DD)", param_hint="--since") from None
    with Archive(db_path, readonly=True) as archive:
        try:
            hits = search(archive.db, query, limit=limit, category=category, since=since, stories=stories)
            total = count(archive.db, query, category=category, since=since)
        except QueryTooLarge as exc:
            raise click.UsageError(str(exc)) from None
    for hit in hits:
        if as_json:  # each line carries the number of articles the query and filters select
            click.echo(json.dumps({**hit.__dict__, "total": total}, ensure_ascii=False))
        else:
            copies = f"  ({hit.copies} copies)" if hit.copies > 1 else ""
            where = f"{hit.site_name} ({hit.site})" if hit.site_name else hit.site
            click.echo(
                f"{hit.published_date or '----------'}  {hit.title}{copies}\n            {where}  {hit.url}\n"
                f"            {hit.snippet}"
            )
    click.echo(f"{len(hits)} hit(s) shown; {total} article(s) match", err=True)


@main.command()
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
    from .mirror.crawl import ENV, LOOPBACK_SETTINGS, crawl_command
    from .mirror.network import Network, serve_network
    from .mirror.server import serve_in_thread
    from .mirror.site import MirrorSite
    from .store import Archive

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
        with Archive(db_path) as archive:
            last_run = archive.db.execute("SELECT coalesce(max(id), 0) FROM crawl_runs").fetchone()[0]
    try:
        result = subprocess.run(crawl_command(site, db_path, out, LOOPBACK_SETTINGS), env=ENV)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    with Archive(db_path) as archive:
        stored = archive.article_count()
        runs = archive.db.execute(
            "SELECT status, stats FROM crawl_runs WHERE id > ? ORDER BY id", [last_run]
        ).fetchall()
        categories = archive.db.execute("SELECT COUNT(DISTINCT category) FROM articles").fetchone()[0]
    statuses = ", ".join(sorted({status for status, _ in runs})) or "none"  # a run a site
    pages = sum(json.loads(stats or "{}").get("response_received_count", 0) for _, stats in runs)
    seconds = time.monotonic() - started
    click.echo("")
    click.echo(f"articles in archive : {stored}")
    if network:
        with Archive(db_path, readonly=True) as archive:
            sites, stories, copied = archive.db.execute(
                "SELECT (SELECT count(DISTINCT site) FROM articles), count(*), sum(copies > 1) FROM stories"
            ).fetchone()
        click.echo(f"sites               : {sites}")
        click.echo(f"stories             : {stories} ({copied} posted on several sites)")
    click.echo(f"categories          : {categories}")
    click.echo(f"pages fetched       : {pages}")
    click.echo(f"run status          : {statuses}")
    click.echo(f"seconds             : {seconds:.1f}")
    click.echo(f"database            : {Path(db_path).resolve()}")
    click.echo(f"export              : {Path(out).resolve()}")
    if result.returncode != 0:
        raise SystemExit(result.returncode)


@main.command()
@click.argument("archive", default=DEFAULT_DB, type=click.Path(dir_okay=False, exists=True))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
def serve(archive, host, port):
    """Datasette on ARCHIVE (any file name) with the project's descriptions and canned queries.

    Whoever can reach HOST:PORT can read every table, run any read-only SQL (within Datasette's
    time limit) and download the whole archive file: keep the default 127.0.0.1 unless that is
    meant. Nothing is written to the archive. Stop it with Ctrl-C (or SIGTERM); its metadata file
    goes with it."""
    import signal
    import tempfile

    if importlib.util.find_spec("datasette") is None:
        raise click.ClickException("serve needs Datasette: pip install -e '.[datasette]' (make test installs it)")
    with tempfile.TemporaryDirectory(prefix="xzcrawler-serve-") as folder:
        metadata = Path(folder) / "metadata.json"
        metadata.write_text(json.dumps(datasette_metadata(Path(archive).stem), ensure_ascii=False), "utf-8")
        command = [sys.executable, "-m", "datasette", "serve", str(archive), "-m", str(metadata)]
        process = subprocess.Popen([*command, "--host", host, "--port", str(port)], preexec_fn=_die_with_parent)

        def forward(signum, frame):  # a stop asked of us is asked of Datasette; we clean up after it
            process.send_signal(signum)

        previous = signal.signal(signal.SIGTERM, forward)
        try:
            code = process.wait()
        except KeyboardInterrupt:  # Ctrl-C reached both: wait for Datasette to end
            code = process.wait()
        finally:
            signal.signal(signal.SIGTERM, previous)
    sys.exit(code if code >= 0 else 0)


def _die_with_parent() -> None:
    """In a child: ask Linux to end it when its parent ends, however the parent ends (kill -9
    too), so a server is never left behind (prctl PR_SET_PDEATHSIG; elsewhere nothing is done)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def datasette_metadata(database: str) -> dict:
    """The project's Datasette metadata for a database named ``database`` (Datasette names a
    database after its file): descriptions and canned queries apply to any archive file."""
    from .datasette import metadata as project_metadata

    metadata = project_metadata()
    metadata["databases"] = {database: metadata["databases"].pop("xzcrawler")}
    for dashboard in metadata.get("plugins", {}).get("datasette-dashboards", {}).values():
        for part in (*dashboard.get("charts", {}).values(), *dashboard.get("filters", {}).values()):
            if part.get("db") == "xzcrawler":
                part["db"] = database
    return metadata


def _simulate(articles: int, db_path: str, out: str, days: int, start: str | None) -> None:
    from .mirror.simulate import Simulation
    from .store import export_articles

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
        from .store import Archive

        with Archive(db, readonly=True) as archive:
            held = archive.article_count()
        if held:
            raise click.UsageError(
                f"{db} already holds {held} articles: the simulated days start a new archive. "
                "Give --db a new path (e.g. --db data/days.db --out exports/days.jsonl)"
            )
    db.parent.mkdir(parents=True, exist_ok=True)
    sim = Simulation(db.parent, articles=articles, start=first, db_path=db.resolve())
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


if __name__ == "__main__":
    main()
