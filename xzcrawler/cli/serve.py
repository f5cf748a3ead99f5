"""`xzcrawler serve`: Datasette over an archive, its metadata fitted to the file name."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import click

from ..core.paths import DEFAULT_DB

MAX_ROWS = 20_000  # rows a canned query or table page returns at most (Datasette's default: 1,000)


@click.command()
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
        # a canned query or chart shows all its rows (articles per month per category: 1,090 on the
        # demo network, past Datasette's 1,000); the ones cut to a top N say so in their titles
        command = [
            sys.executable,
            "-m",
            "datasette",
            "serve",
            str(archive),
            "-m",
            str(metadata),
            "--setting",
            "max_returned_rows",
            str(MAX_ROWS),
        ]
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
    from ..datasette import metadata as project_metadata

    metadata = project_metadata()
    metadata["databases"] = {database: metadata["databases"].pop("xzcrawler")}
    for dashboard in metadata.get("plugins", {}).get("datasette-dashboards", {}).values():
        for part in (*dashboard.get("charts", {}).values(), *dashboard.get("filters", {}).values()):
            if part.get("db") == "xzcrawler":
                part["db"] = database
    return metadata
