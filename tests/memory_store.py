"""A second implementation of the store interface (xzcrawler/store/protocol.py): the archive in
memory, written to a JSON snapshot at ``path`` when it closes (a crawl runs in its own process) and
read back when opened. What an observation means is the rule book's (xzcrawler/core/history.py),
as for the SQLite archive: records, revisions, view snapshots (own fetches, listings' counts, the
site's trait), date refinements, failures, runs and the WARC index; what a merge of two means is
the merge's rule book (xzcrawler/core/merging.py, ``merge_from``), as for ``xzcrawler merge``. It
has no search, no related links' history and no categories table (what only the SQLite archive
offers)."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections import Counter
from pathlib import Path

from xzcrawler.core import families, history, merging, stories
from xzcrawler.core import normalize as nz
from xzcrawler.core.clock import Clock
from xzcrawler.store import ARTICLE_FIELDS, NotAnArchive
from xzcrawler.store.migrations import BOOLEAN_FIELDS, JSON_FIELDS, REVISION_FIELDS


def _flat(entry: dict | None) -> dict | None:
    """An article as the SQLite archive's row holds it: the record's fields and the validators."""
    if entry is None:
        return None
    return {**entry["row"], **{name: entry.get(name) for name in ("last_checked", "etag", "last_modified")}}


def _events(entry: dict) -> list:
    """One side's revisions and article row as the merge's events (core.merging.Event)."""
    current = {name: entry["row"].get(name) for name in REVISION_FIELDS}
    events = [merging.Event(r["at"] or "", 0, current if r["current"] else r["fields"]) for r in entry["log"]]
    return [*events, merging.Event(entry["row"].get("fetched_at") or "", 1, current)]


def _traits(site: str, held: list | None) -> dict | None:
    if held is None:
        return None
    plus_one, same, counts, *updated = held
    return {
        "site": site,
        "plus_one": plus_one,
        "same": same,
        "counts_own_fetches": counts,
        "updated_at": (updated or [None])[0],
    }


def _frozen(row: dict) -> tuple:
    return tuple(sorted(row.items()))


class MemoryStore:
    def __init__(self, path, batch_size: int = 200, *, clock=None, readonly: bool = False, busy_timeout: float = 60):
        self.path = Path(path)
        self.clock = clock or Clock()
        self.readonly = readonly
        self.batch_size = max(1, int(batch_size))
        self.counts: Counter = Counter()
        self.rejected: list[tuple[str, str]] = []
        self._pending: list[tuple[dict, dict, history.Earlier]] = []
        if self.path.is_file():
            state = json.loads(self.path.read_text("utf-8"))
        elif readonly:
            raise NotAnArchive(f"no archive at {path}")
        else:
            state = {"identity": uuid.uuid4().hex, "articles": [], "failures": {}, "runs": [], "warc": [], "marks": []}
            state.update(snapshots=[], refinements=[], traits={}, images=[])
        self._identity = state["identity"]
        self.articles = {(a["row"]["site"], a["row"]["article_id"]): a for a in state["articles"]}
        self.snapshots: list[list] = state["snapshots"]  # view_snapshots' columns
        self.refinements: list[list] = state["refinements"]
        self.site_traits: dict[str, list] = state["traits"]  # site -> [plus_one, same, counts_own_fetches]
        self.memory = history.RunMemory()
        self.traits = history.Traits(lambda site: tuple(self.site_traits.get(site, (0, 0, 0))[:2]))
        self.failures: dict[str, dict] = state["failures"]
        self.runs: list[dict] = state["runs"]
        self.warc: list[dict] = state["warc"]
        self.marks = {(url, at): ids for url, at, ids in state["marks"]}
        self.images = {(row["url"], row["fetched_at"]): row for row in state.get("images", [])}
        self.assets = {(row["url"], row["fetched_at"]): row for row in state.get("assets", [])}
        # families (core/families.py): key -> [story key, algorithm, shingles, MinHash state in hex]
        self.signed = {(site, aid): rest for site, aid, *rest in state.get("signed", [])}
        self.links = {(tuple(a), tuple(b)): rest for a, b, *rest in state.get("links", [])}
        self.members = {(site, aid): family for site, aid, family in state.get("members", [])}

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
                "url": a["row"]["url"],
                "etag": a["etag"],
                "last_modified": a["last_modified"],
                "last_checked": a["last_checked"],
                "published_date": a["row"].get("published_date"),
            }
            for (s, aid), a in self.articles.items()
            if s == site
        }

    def named_categories(self, site: str) -> list[str]:
        named: dict[str, int] = {}
        for (s, aid), a in sorted(self.articles.items()):
            url = a["row"].get("category_url")
            if s == site and url:
                named.setdefault(url, aid)
        return list(named)

    def posts(self, site: str, article_ids: list[int]) -> dict[int, dict]:
        return {
            aid: {"title": a["row"]["title"], "content_hash": a["row"].get("content_hash")}
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
            and f["kind"] not in ("trap", "image", "asset")
            and nz.site_of(url) == site
        ]

    def rebase(self, site: str, base_url: str) -> int:
        return 0

    # -- writes ----------------------------------------------------------------------------------
    def add_article(self, record, raw_body=None, etag=None, last_modified=None) -> None:
        row = {name: record.get(name) for name in ARTICLE_FIELDS}
        row["last_seen"] = row.get("fetched_at")  # (as the SQLite archive: a 304 moves it on)
        earlier = self.memory.take(row["site"], row["article_id"])
        self._pending.append((row, {"etag": etag, "last_modified": last_modified}, earlier))
        if len(self._pending) >= self.batch_size:
            self.flush()

    def _last_view(self, site: str, article_id: int) -> int | None:
        for snapshot in reversed(self.snapshots):
            if snapshot[0] == site and snapshot[1] == article_id:
                return snapshot[3] - (snapshot[5] or 0)
        return None

    def flush(self) -> None:
        for row, validators, earlier in self._pending:
            key = (row["site"], row["article_id"])
            old = self.articles.get(key)
            stored = {name: old["row"].get(name) for name in history.STATE_FIELDS} if old else None
            if stored is not None:
                stored["revision"] = old["revision"]
            done = history.article(dict(row), stored, earlier, self.traits, self.memory, self._last_view)
            self.counts[done.kind] += 1
            # the revisions as the SQLite archive logs them: the current one's content is the row's,
            # a superseded one keeps its own
            log = [dict(entry) for entry in old.get("log", [])] if old else []
            if done.supersedes is not None:
                (superseded,) = [entry for entry in log if entry["revision"] == done.supersedes]
                superseded.update(fields={n: old["row"].get(n) for n in REVISION_FIELDS}, current=False)
            if done.kind != "unchanged":
                changed = json.dumps(done.changed, ensure_ascii=False) if done.changed is not None else None
                log.append(
                    {"revision": done.row["revision"], "at": row["fetched_at"], "changed": changed, "fields": None}
                    | {"current": True}
                )
            self.articles[key] = {
                "row": done.row,
                "revision": done.row["revision"],
                "changes": (old["changes"] if old else []) + ([done.changed] if done.changed else []),
                "log": log,
                "last_checked": row["fetched_at"],
                **validators,
            }
            if done.refinement is not None:
                self.refinements.append([*done.refinement[:5], *done.refinement.old, *done.refinement.new])
            if done.snapshot is not None:
                self.snapshots.append(list(done.snapshot.columns))
            self._save_traits()
            self.resolve_failures(row["url"])
        self._pending = []

    def _save_traits(self) -> None:
        """As the SQLite archive: a site learnt to count our fetches, the rows and series before learn it."""
        for site in self.traits.moved:
            counts = self.traits.counts_own_fetches(site)
            if bool(self.site_traits.get(site, (0, 0, 0))[2]) != counts:
                for (s, _), a in self.articles.items():
                    row = a["row"]
                    if s == site and row.get("views_shown") is not None:
                        row["views"] = max(
                            0, row["views_shown"] - history.own_counted(row["views_rounded"], row["views_own"], counts)
                        )
                series, last = [], {}
                for snapshot in self.snapshots:
                    if snapshot[0] == site:
                        if snapshot[6] is not None:
                            snapshot[5] = history.own_counted(snapshot[7], snapshot[6], counts)
                        readers = snapshot[3] - snapshot[5] if snapshot[5] is not None else None
                        before, last[snapshot[1]] = last.get(snapshot[1]), readers
                        if readers is not None and readers == before:
                            continue  # no change once our fetches are taken out
                    series.append(snapshot)
                self.snapshots = series
            self.site_traits[site] = [*self.traits.of(site), int(counts), self.traits.seen_at.get(site)]
        self.traits.moved.clear()

    def observe_listing(self, site, items, observed_at, source="listing", requested=frozenset(), url=None) -> int:
        self.flush()
        if requested and url:
            self.marks[(url, observed_at)] = sorted(requested)
        stored = {}
        for article_id in history.listing_ids(items):
            held = self.articles.get((site, article_id))
            if held is not None:
                stored[article_id] = {n: held["row"].get(n) for n in history.LISTING_STATE}
        seen = history.listing(
            site, items, observed_at, source, requested, stored, self.traits, self.memory, self._last_view
        )
        for article_id, fields in seen.dates:
            self.articles[(site, article_id)]["row"].update(fields)
        self.refinements += [[*r[:5], *r.old, *r.new] for r in seen.refinements]
        self.snapshots += [list(snapshot.columns) for snapshot in seen.snapshots]
        for reading, source_name in [
            *((r, "listing") for r in seen.readings),
            *((r, "listing-ambiguous") for r in seen.loose),
        ]:
            held = self.articles.get((site, reading.article_id))
            if held is None or (source_name == "listing-ambiguous" and held["row"].get("views") is not None):
                continue  # (not stored yet: its page, still to come, takes the count from the run's memory)
            row = held["row"]
            row.update(
                views=reading.views,
                views_shown=reading.shown,
                views_own=reading.own,
                views_rounded=reading.rounded,
                views_observed_at=reading.observed_at,
                views_source=source_name,
            )
        return len(seen.snapshots)

    def mark_not_modified(self, site: str, article_id: int, when: str) -> None:
        self.flush()
        if (site, article_id) in self.articles:
            self.articles[(site, article_id)]["last_checked"] = when
            self.articles[(site, article_id)]["row"]["last_seen"] = when

    def resolve_failures(self, url: str) -> int:
        failure = self.failures.get(url)
        if failure is None or failure["resolved_at"] is not None:
            return 0
        failure["resolved_at"] = self.clock.iso()
        self.counts["failures_resolved"] += 1
        return 1

    def add_image(self, capture) -> bool:
        key = (capture.url, capture.fetched_at)
        if key in self.images:
            return False
        self.images[key] = capture.row()
        self.counts["images"] += 1
        return True

    def held_images(self) -> set[tuple[str, str]]:
        return {nz.page_key(url) for url, _ in self.images}

    def add_asset(self, capture) -> bool:
        key = (capture.url, capture.fetched_at)
        held = sorted((at, row["digest"]) for (url, at), row in self.assets.items() if url == capture.url)
        if key in self.assets or (held and held[-1][1] == capture.digest):
            return False
        self.assets[key] = capture.row()
        self.counts["assets"] += 1
        return True

    # -- families (core/families.py decides what they are) ----------------------------------------
    def texts_to_sign(self, algorithm: str):
        todo = []
        for key in sorted(self.articles):
            body = self.articles[key]["row"].get("body_text")
            story = stories.story_id(body)
            held = self.signed.get(key)
            if held is None or held[0] != story or held[1] != algorithm:
                todo.append((key, story, body))
        return todo

    def signatures(self, algorithm: str):
        for key, (_, signed_by, count, state) in self.signed.items():
            if signed_by == algorithm and state is not None:
                yield key, count, bytes.fromhex(state)

    def signed_texts(self, algorithm: str):
        out = {}
        for key, (story, signed_by, count, state) in self.signed.items():
            row = self.articles.get(key, {}).get("row")
            if signed_by == algorithm and row is not None and story == stories.story_id(row.get("body_text")):
                state = bytes.fromhex(state) if state is not None else None
                out[(key, story)] = (row.get("content_hash"), count, state)
        return out

    def family_pairs(self):
        return list(self.links)

    def family_members(self):
        return dict(self.members)

    def keep_families(self, signatures, replaced, links, members) -> None:
        for key, story, algorithm, count, state in signatures:
            self.signed[key] = [story, algorithm, count, state.hex() if state is not None else None]
        self.links = {pair: rest for pair, rest in self.links.items() if not set(pair) & set(replaced)}
        for link in links:
            self.links[(link.a, link.b)] = [link.jaccard, link.containment, link.shared]
        self.members = dict(members)

    def held_assets(self):
        return {
            nz.page_key(row["url"]): (row["etag"], row["last_modified"])
            for row in sorted(self.assets.values(), key=lambda row: row["fetched_at"])
        }

    def image_failures(self) -> dict[tuple[str, str], int]:
        return {
            nz.page_key(url): f["attempts"]
            for url, f in self.failures.items()
            if f["kind"] in ("image", "asset") and f["resolved_at"] is None
        }

    def record_categories(self, site, categories, when, name=None) -> None:
        pass

    def record_failure(self, url, kind, reason, http_status=None, raw_body=None, when=None) -> None:
        held = self.failures.get(url, {})
        when = when or self.clock.iso()
        self.failures[url] = {
            "kind": kind,
            "reason": reason,
            "attempts": held.get("attempts", 0) + 1,
            "first_seen": held.get("first_seen") or when,
            "last_tried": when,
            "resolved_at": None,
        }

    def transaction(self):
        return contextlib.nullcontext()

    def forget_run(self) -> None:
        self.flush()
        self.memory.forget()

    # -- runs ------------------------------------------------------------------------------------
    def start_run(self, spider, site, site_url=None, started_at=None) -> int:
        started_at = started_at or self.clock.iso()
        self.runs.append({"site": site, "spider": spider, "started_at": started_at, "status": "running", "stats": None})
        return len(self.runs)

    def finish_run(self, run_id, status, stats, finished_at=None, exit_code=0) -> None:
        stats = json.loads(json.dumps(stats, default=str))
        self.runs[run_id - 1].update(status=status, stats=stats, finished_at=finished_at, exit_code=exit_code)

    def recent_runs(self, site: str, limit: int) -> list[dict]:
        return [r["stats"] for r in reversed(self.runs) if r["site"] == site and r["status"] == "finished"][:limit]

    # -- the WARC index --------------------------------------------------------------------------
    def last_capture(self, url: str):
        found = [r for r in self.warc if r["url"] == url and r["record_type"] == "response"]
        return (found[-1]["digest"], found[-1]["record_id"], found[-1]["fetched_at"]) if found else None

    def capture_of_digest(self, digest: str):
        photos = {url for url, _ in self.images} | {url for url, _ in self.assets}
        found = [
            r for r in self.warc if r["digest"] == digest and r["record_type"] == "response" and r["url"] in photos
        ]  # (the SQLite store finds a theme file by its capture: the same records)
        return (found[0]["url"], found[0]["record_id"], found[0]["fetched_at"]) if found else None

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

    # -- merge (core/merging.py decides; store/merge.py is the SQLite archive's) ------------------
    def merge_from(self, shard: MemoryStore) -> Counter:
        """Fold ``shard`` into this store by the merge's rule book, as ``xzcrawler merge`` folds a
        shard into the SQLite archive: its articles (the one fetched later kept) and their
        revisions (both histories merged by time and content), view snapshots, date refinements,
        what each site's counts include, failures, runs, the WARC index, photos, theme files; then
        the families of what it holds (derived, never copied). Returns the rows written, by table."""
        self.flush()
        written: Counter = Counter()
        for key, theirs in sorted(shard.articles.items()):
            ours = self.articles.get(key)
            our_row, their_row = _flat(ours), _flat(theirs)
            kept = merging.article(our_row, their_row)
            log = None
            if ours is None:
                log = [dict(entry) for entry in theirs["log"]]
            elif ours["log"] and any(entry not in ours["log"] for entry in theirs["log"]):
                wins = merging.theirs_wins(our_row, their_row)
                merged = merging.history(_events(ours), _events(theirs), wins)
                log = [
                    {"revision": r.number, "at": r.at, "changed": r.changed, "fields": r.fields, "current": r.current}
                    for r in merged
                ]
                if not merged or log == ours["log"]:
                    log = None
            if kept is None and log is None:
                continue
            entry = dict(ours) if ours is not None else {}
            if kept is not None:
                written["articles"] += 1
                entry.update(
                    row={name: kept[name] for name in theirs["row"]},
                    **{name: kept[name] for name in ("last_checked", "etag", "last_modified")},
                )
                entry.setdefault("log", [])
            if log is not None:
                written["revisions"] += len(log)
                entry["log"] = log
                entry["changes"] = [json.loads(r["changed"]) for r in log[1:]]
            entry["revision"] = entry["row"]["revision"] = len(entry["log"]) or entry["row"]["revision"]
            self.articles[key] = entry
        for name in ("snapshots", "refinements"):
            new = merging.union(
                [tuple(row) for row in getattr(self, name)], [tuple(row) for row in getattr(shard, name)]
            )
            getattr(self, name).extend(list(row) for row in new)
            written[name] += len(new)
        for site, theirs in shard.site_traits.items():
            kept = merging.SITE_TRAITS.merge(_traits(site, self.site_traits.get(site)), _traits(site, theirs))
            if kept is not None:
                self.site_traits[site] = [
                    kept["plus_one"],
                    kept["same"],
                    kept["counts_own_fetches"],
                    kept["updated_at"],
                ]
                written["site_traits"] += 1
        self.traits = history.Traits(lambda site: tuple(self.site_traits.get(site, (0, 0, 0))[:2]))
        for url, theirs in shard.failures.items():
            kept = merging.FAILURES.merge(self.failures.get(url), theirs)
            if kept is not None:
                self.failures[url] = kept
                written["failures"] += 1
        for theirs in shard.runs:
            key = [theirs.get(name) for name in merging.CRAWL_RUNS.key]
            held = [at for at, run in enumerate(self.runs) if [run.get(name) for name in merging.CRAWL_RUNS.key] == key]
            kept = merging.CRAWL_RUNS.merge(self.runs[held[0]] if held else None, theirs)
            if kept is not None:
                if held:
                    self.runs[held[0]] = kept
                else:
                    self.runs.append(kept)
                written["crawl_runs"] += 1
        for name in ("images", "assets"):  # (append-only: by what each row says)
            mine = getattr(self, name)
            for key, row in getattr(shard, name).items():
                if key not in mine:
                    mine[key] = dict(row)
                    written[name] += 1
        new = merging.union([_frozen(row) for row in self.warc], [_frozen(row) for row in shard.warc])
        self.warc += [dict(row) for row in new]
        written["warc_records"] += len(new)
        for key, ids in shard.marks.items():
            self.marks.setdefault(key, ids)
        families.update(self)
        return written

    # -- reading ---------------------------------------------------------------------------------
    def article_revisions(self):
        return {key: a["revision"] for key, a in self.articles.items()}

    def fields_changed_after(self, site, article_id, revision):
        return [f for fields in self.articles[(site, article_id)]["changes"][revision - 1 :] for f in fields]

    def iter_articles(self):
        for key in sorted(self.articles):
            record = {name: self.articles[key]["row"].get(name) for name in ARTICLE_FIELDS}
            for name in JSON_FIELDS:  # as the SQLite archive gives them
                record[name] = record[name] or []
            for name in BOOLEAN_FIELDS:
                if record[name] is not None:
                    record[name] = bool(record[name])
            yield record

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
                "snapshots": self.snapshots,
                "refinements": self.refinements,
                "traits": self.site_traits,
                "images": list(self.images.values()),
                "assets": list(self.assets.values()),
                "signed": [[*key, *rest] for key, rest in self.signed.items()],
                "links": [[list(a), list(b), *rest] for (a, b), rest in self.links.items()],
                "members": [[*key, family] for key, family in self.members.items()],
            }
            self.path.write_text(json.dumps(state, ensure_ascii=False), "utf-8")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
