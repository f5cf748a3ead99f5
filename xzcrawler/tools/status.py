"""`xzcrawler status [ARCHIVE]`: the operator's view of an archive, read-only (issue 32, item 3).

Per site: its newest runs (when, verdict and exit code, pages fetched, articles new and changed),
its open failures with their reasons, and what a refresh would re-check next under the refetch
policy (how many articles are due now, and when the next ones fall due).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ..core import normalize as nz
from ..core.refresh import DEFAULT_POLICY, DUE_SLACK, is_due, recheck_after
from ..store import verify as q


def status(archive_path: str | Path, runs: int = 5, now: dt.datetime | None = None, policy=None) -> list[dict]:
    """One entry per site of the archive at ``archive_path``. ``now``: the time the refresh policy
    is judged at (default: the real time); ``policy``: XZ_REFETCH_POLICY (default: the default)."""
    now = nz.parse_iso(now) if now is not None else dt.datetime.now(dt.UTC)
    policy = policy or DEFAULT_POLICY
    conn = q.open_readonly(archive_path)
    try:
        out = []
        for site, name in q.site_names(conn).items():
            entry = {"site": site, "name": name, "runs": [], "open_failures": [], "due_now": 0, "next_due": None}
            for run_id, started, finished, state, code, stats in q.last_runs(conn, site, runs):
                stats = json.loads(stats or "{}")
                entry["runs"].append(
                    {
                        "run": run_id,
                        "started_at": started,
                        "finished_at": finished,
                        "status": state,
                        "exit_code": code,
                        "verdict": stats.get("xz/verdict"),
                        "pages": stats.get("response_received_count", 0),
                        "new": stats.get("xz/articles_new", 0),
                        "changed": stats.get("xz/articles_changed", 0),
                    }
                )
            entry["open_failures"] = [
                {"url": url, "kind": kind, "reason": reason, "http_status": code, "attempts": attempts}
                for url, kind, reason, code, attempts in q.open_failures(conn, site)
            ]
            upcoming = []
            for _aid, published, checked in q.check_state(conn, site):
                if is_due(published, checked, now, policy):
                    entry["due_now"] += 1
                else:
                    upcoming.append(nz.parse_iso(checked) + recheck_after(published, now, policy) * (1 - DUE_SLACK))
            entry["next_due"] = nz.utc_iso(min(upcoming)) if upcoming else None
            entry["articles"] = entry["due_now"] + len(upcoming)
            out.append(entry)
        return out
    finally:
        conn.close()


def lines(sites: list[dict], examples: int = 5) -> list[str]:
    """The text form of ``status``'s entries."""
    out = []
    for entry in sites:
        title = f"{entry['name']} ({entry['site']})" if entry["name"] else entry["site"]
        out.append(f"{title}: {entry['articles']} articles")
        for run in entry["runs"]:
            verdict = "ok" if run["exit_code"] == 0 else f"exit {run['exit_code']}: {run['verdict'] or run['status']}"
            out.append(
                f"  run {run['run']:>4}  {run['started_at'] or '-':20}  {verdict}  pages {run['pages']}, "
                f"new {run['new']}, changed {run['changed']}"
            )
        if not entry["runs"]:
            out.append("  no runs recorded")
        failures = entry["open_failures"]
        out.append(f"  open failures: {len(failures)}")
        for failure in failures[:examples]:
            out.append(
                f"    {failure['kind']:8} {failure['url']}  {failure['reason']} "
                f"({'HTTP ' + str(failure['http_status']) + ', ' if failure['http_status'] else ''}"
                f"{failure['attempts']} attempts)"
            )
        if len(failures) > examples:
            out.append(f"    … {len(failures) - examples} more (--json lists all)")
        out.append(
            f"  next refresh re-checks {entry['due_now']} article(s) due now"
            + (f"; the next fall due at {entry['next_due']}" if entry["next_due"] else "")
        )
    return out
