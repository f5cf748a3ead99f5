"""A second, minimal implementation of the store interface (xzcrawler/store/protocol.py): the
archive in memory, written to a JSON snapshot at ``path`` when it closes (a crawl runs in its own
process) and read back when opened. It keeps records, revisions, failures, runs and the WARC
index; none of the SQLite archive's observations across pages (views from listings, own fetches,
date refinements, related links seen), no search, no history beyond revision numbers."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections import Counter
from pathlib import Path

from xzcrawler.core import normalize as nz
from xzcrawler.core.clock import Clock
from xzcrawler.store import ARTICLE_FIELDS, NotAnArchive
from xzcrawler.store.migrations import CONTENT_FIELDS


class MemoryStore:
    def __init__(self, path, batch_size: int = 200, *, clock=None, readonly: bool = False, busy_timeout: float = 60):
        self.path = Path(path)
        self.clock = clock or Clock()
        self.readonly = readonly
        self.batch_size = max(1, int(batch_size))
        self.counts: Counter = Counter()
        self.rejected: list[tuple[str, str]] = []
        self._pending: list[tuple[dict, dict]] = []
        if self.path.is_file():
            state = json.loads(self.path.read_text("utf-8"))
        elif readonly:
            raise NotAnArchive(f"no archive at {path}")
        else:
            state = {"identity": uuid.uuid4().hex, "articles": [], "failures": {}, "runs": [], "warc": [], "marks": []}
        self._identity = state["identity"]
        self.articles = {(a["record"]["site"], a["record"]["article_id"]): a for a in state["articles"]}
        self.failures: dict[str, dict] = state["failures"]
        self.runs: list[dict] = state["runs"]
        self.warc: list[dict] = state["warc"]
        self.marks = {(url, at): ids for url, at, ids in state["marks"]}

    # -- counters, identity ----------------------------------------------------------------------
    @property
    def pending_count(self) -> int:
        return len(self._pending)

    @property
    def identity(self) -> str:
        return self._identity

    # -- start state -----------------------------------------------------------------------------
    def known_articles(self, site: str) -> dict[int, dict]:
        return {
            aid: {
                "article_id": aid,
                "url": a["record"]["url"],
                "etag": a["etag"],
                "last_modified": a["last_modified"],
                "last_checked": a["last_checked"],
                "published_date": a["record"].get("published_date"),
            }
            for (s, aid), a in self.articles.items()
            if s == site
        }

    def posts(self, site: str, article_ids: list[int]) -> dict[int, dict]:
        return {
            aid: {"title": a["record"]["title"], "content_hash": a["record"].get("content_hash")}
            for (s, aid), a in self.articles.items()
            if s == site and aid in article_ids
        }

    def last_run_status(self, site: str) -> str | None:
        mine = [run for run in self.runs if run["site"] == site]
        return mine[-1]["status"] if mine else None

    def pending_failures(self, site: str, max_attempts: int) -> list[str]:
        return [
            url
            for url, f in self.failures.items()
            if f["resolved_at"] is None
            and f["attempts"] < max_attempts
            and f["kind"] != "trap"
            and nz.site_of(url) == site
        ]

    def rebase(self, site: str, base_url: str) -> int:
        return 0

    # -- writes ----------------------------------------------------------------------------------
    def add_article(self, record, raw_body=None, etag=None, last_modified=None) -> None:
        row = {name: record.get(name) for name in ARTICLE_FIELDS}
        self._pending.append((row, {"etag": etag, "last_modified": last_modified}))
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        for row, validators in self._pending:
            key = (row["site"], row["article_id"])
            old = self.articles.get(key)
            changed = [f for f in CONTENT_FIELDS if old is not None and old["record"].get(f) != row.get(f)]
            revision = 1 if old is None else old["revision"] + bool(changed)
            self.counts["new" if old is None else "changed" if changed else "unchanged"] += 1
            self.articles[key] = {
                "record": row,
                "revision": revision,
                "changes": (old["changes"] if old else []) + ([changed] if changed else []),
                "last_checked": row["fetched_at"],
                **validators,
            }
            self.resolve_failures(row["url"])
        self._pending = []

    def observe_listing(self, site, items, observed_at, source="listing", requested=frozenset(), url=None) -> int:
        self.flush()
        if source == "listing" and url:
            self.marks[(url, observed_at)] = sorted(requested)
        return 0

    def mark_not_modified(self, site: str, article_id: int, when: str) -> None:
        self.flush()
        if (site, article_id) in self.articles:
            self.articles[(site, article_id)]["last_checked"] = when

    def resolve_failures(self, url: str) -> int:
        failure = self.failures.get(url)
        if failure is None or failure["resolved_at"] is not None:
            return 0
        failure["resolved_at"] = self.clock.iso()
        self.counts["failures_resolved"] += 1
        return 1

    def record_categories(self, site, categories, when, name=None) -> None:
        pass

    def record_failure(self, url, kind, reason, http_status=None, raw_body=None, when=None) -> None:
        attempts = self.failures.get(url, {}).get("attempts", 0) + 1
        self.failures[url] = {"kind": kind, "reason": reason, "attempts": attempts, "resolved_at": None}

    def transaction(self):
        return contextlib.nullcontext()

    def forget_run(self) -> None:
        self.flush()

    # -- runs ------------------------------------------------------------------------------------
    def start_run(self, spider, site, site_url=None, started_at=None) -> int:
        self.runs.append({"site": site, "status": "running", "stats": None})
        return len(self.runs)

    def finish_run(self, run_id, status, stats, finished_at=None, exit_code=0) -> None:
        self.runs[run_id - 1].update(status=status, stats=json.loads(json.dumps(stats, default=str)))

    def recent_runs(self, site: str, limit: int) -> list[dict]:
        return [r["stats"] for r in reversed(self.runs) if r["site"] == site and r["status"] == "finished"][:limit]

    # -- the WARC index --------------------------------------------------------------------------
    def last_capture(self, url: str):
        found = [r for r in self.warc if r["url"] == url and r["record_type"] == "response"]
        return (found[-1]["digest"], found[-1]["record_id"], found[-1]["fetched_at"]) if found else None

    def add_warc_index(self, rows: list[dict]) -> None:
        self.warc += [dict(row) for row in rows]

    def warc_files_indexed(self) -> dict[str, int]:
        ends: dict[str, int] = {}
        for r in self.warc:
            ends[r["file"]] = max(ends.get(r["file"], 0), r["offset"] + r["length"])
        return ends

    def warc_responses(self, since=None):
        return [(r["url"], r["file"], r["offset"]) for r in self.warc if r["record_type"] in ("response", "revisit")]

    def listing_marks(self):
        return {key: frozenset(ids) for key, ids in self.marks.items()}

    def revisit_originals(self):
        return [(r["url"], r["record_id"], r["file"], r["offset"]) for r in self.warc if r["record_type"] == "response"]

    # -- reading ---------------------------------------------------------------------------------
    def article_revisions(self):
        return {key: a["revision"] for key, a in self.articles.items()}

    def fields_changed_after(self, site, article_id, revision):
        return [f for fields in self.articles[(site, article_id)]["changes"][revision - 1 :] for f in fields]

    def iter_articles(self):
        for key in sorted(self.articles):
            yield dict(self.articles[key]["record"])

    def close(self) -> None:
        self.flush()
        if not self.readonly:
            state = {
                "identity": self._identity,
                "articles": list(self.articles.values()),
                "failures": self.failures,
                "runs": self.runs,
                "warc": self.warc,
                "marks": [[url, at, ids] for (url, at), ids in self.marks.items()],
            }
            self.path.write_text(json.dumps(state, ensure_ascii=False), "utf-8")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
