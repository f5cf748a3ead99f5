"""Rebuild the archive from its WARC files with the current parser: no network.

Every indexed ``response`` record is read back in the order it was fetched, parsed by
``xzcrawler.core.pages`` (in worker processes), vetted and written as a crawl's items are
(``core.validate.vet``, ``store.write.write_item``, in the order fetched), so a
re-parse with an unchanged parser reproduces the crawl's rows, and one with an improved parser
leaves a revision wherever an article's content now reads differently.

In place, the archive is derived afresh beside the old file and put in its place
(``store.rebuild``): what was observed is never observed twice, so a re-extraction in place gives
the tables ``--into`` gives, however often it runs.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..core import families, items, paths
from ..core import normalize as nz
from ..core.clock import CaptureClock
from ..core.harvest import Exchange, harvest
from ..core.validate import vet
from ..store import SqliteStore
from ..store.atomic import atomic_path
from ..store.errors import StorageError, _storage
from ..store.rebuild import carry_over, drop_log_files, settle
from ..store.write import write_item
from ..warc import TooLarge, read_response, reconcile
from ..warc.reader import OpenFiles


class ReparseRefused(ValueError):
    """A re-extraction that would not be faithful; the message says what to do instead."""


@dataclass
class ReparseCounts:
    responses: int = 0
    articles: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    listings: int = 0
    not_modified: int = 0
    failures: int = 0
    changed_fields: Counter = field(default_factory=Counter)
    lost: list = field(default_factory=list)  # (site, article id) held before, no article once derived again

    def lines(self) -> list[str]:
        fields = ", ".join(f"{name} {count}" for name, count in self.changed_fields.most_common()) or "none"
        return [
            f"responses read : {self.responses}",
            f"articles       : {self.articles} parsed: {self.new} new, {self.changed} changed, {self.unchanged} unchanged",
            f"changed fields : {fields}",
            f"listing pages  : {self.listings}",
            f"304s           : {self.not_modified}",
            f"failures       : {self.failures}",
        ]


def _run_of(file: str) -> str:
    """The crawl process that wrote a WARC file: the stamp and pid of its name."""
    return "-".join(str(file).split("-")[-3:-1])


# Records parsed by one worker task, and how many tasks may be ahead of the writer (the parsed
# pages wait in memory until written: the window bounds them, at 12 x 64 pages a worker of ~4 KB
# each pickled, tens of MB). A window of 3 left the workers idle while the writer committed a
# group of 1,000 rows: a re-extraction into a new archive took 10% longer.
CHUNK = 64
WINDOW_PER_WORKER = 12
# Below this many records the work is done in this process (starting workers costs more).
PARALLEL_FROM = 400
# The failure kinds of an article vetting refused (core.validate.vet).
VETTING = ("identity", "invalid")
# Records written in one transaction (each write would commit alone otherwise).
COMMIT_EVERY = 1000

_worker: dict = {}  # what each worker is given once: the WARC folder, the originals of revisits


# A worker's garbage collector runs its youngest generation every this many allocations (Python's
# default: 700). A page read makes and drops thousands of objects, nearly none in a cycle, and the
# collections that counted them were 2-4% of a worker's time; a worker's memory is still bounded
# (a cycle waits at most this many allocations).
WORKER_GC_THRESHOLD = 50_000


@contextlib.contextmanager
def _few_collections():
    """This process's collector set as a worker's while it writes (its items made and dropped by the
    thousand, too: 5-9% of the writer's time went to counting them), as it was afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], WORKER_GC_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _start_worker(warc_dir: Path, originals: dict) -> None:
    _worker.update(warc_dir=warc_dir, originals=originals, files=OpenFiles())


def _stop_worker() -> None:
    """The in-process reader's end (a pool's workers end with their processes): its files closed."""
    _worker.pop("files").close()


def _start_pool_worker(warc_dir: Path, originals: dict) -> None:
    """A worker process's start: what it is given, and its collector set for reading pages."""
    _start_worker(warc_dir, originals)
    gc.freeze()  # (what the fork brought is never collected here)
    gc.set_threshold(WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])


def _harvest_records(chunk: list[tuple[str, str, int]]) -> list[tuple]:
    """Read and harvest WARC records: for each (url, file, offset), ("items", fetched_at, items)
    or ("failed", reason). Pure of any store: it runs in a worker process."""
    out, originals = [], _worker["originals"]
    for url, file, offset in chunk:
        try:
            got = read_response(
                paths.warc_file(_worker["warc_dir"], file),
                offset,
                refers_to=lambda url, record_id: originals.get((url, record_id)),
                files=_worker["files"],
            )
        except (TooLarge, OSError, ValueError, StopIteration) as exc:
            out.append(("failed", f"{file}@{offset}: {type(exc).__name__}: {exc}"))
            continue
        exchange = Exchange(
            url, got.status, got.body, nz.utc_iso(got.date), got.content_type, got.etag, got.last_modified
        )
        found = [vet(item) for item in harvest(exchange, nz.site_of(url)).items]
        for item in found:
            if isinstance(item, items.Article):
                item.raw_body = None  # (kept only with a row the store refuses; the WARC record has it)
        out.append(("items", exchange.fetched_at, found))
    return out


def _originals(source, warc_dir: Path) -> dict:
    """(url, record id) -> (WARC file, offset) of each record a revisit of ``source``'s index may
    refer to: what the workers read a revisit's body from."""
    return {
        (url, record_id): (str(paths.warc_file(warc_dir, file)), offset)
        for url, record_id, file, offset in source.revisit_originals()
        if paths.bare_warc_name(file)
    }


def _pool(workers: int, warc_dir: Path, originals: dict) -> ProcessPoolExecutor:
    """Worker processes that parse WARC records (forked where the platform can, with every worker
    started here: before the caller opens an archive, none is carried into a worker)."""
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_pool_worker, initargs=(warc_dir, originals)
    )
    for future in [pool.submit(int) for _ in range(workers)]:
        future.result()
    return pool


def _harvested(records: list[tuple[str, str, int]], pool: ProcessPoolExecutor | None, window: int) -> Iterator:
    """Each record's harvest, in the records' order: by ``pool`` (at most ``window`` tasks ahead
    of the caller, the first of them given to it at once: it parses while the caller gets ready),
    or in this process."""
    chunks = [records[i : i + CHUNK] for i in range(0, len(records), CHUNK)]
    if pool is None:
        return (found for chunk in chunks for found in _harvest_records(chunk))
    todo = iter(chunks)
    pending = deque(pool.submit(_harvest_records, chunk) for chunk in itertools.islice(todo, window))
    return _in_order(pool, pending, todo)


def _in_order(pool: ProcessPoolExecutor, pending: deque, todo: Iterator) -> Iterator:
    """The results of the ``pending`` tasks in turn, one more chunk of ``todo`` given to ``pool`` as
    each is taken (the window stays full)."""
    while pending:
        done = pending.popleft().result()
        chunk = next(todo, None)
        if chunk is not None:
            pending.append(pool.submit(_harvest_records, chunk))
        yield from done


@_few_collections()
def reparse(
    source_db: str | Path,
    target_db: str | Path | None = None,
    since: str | None = None,
    warc_dir: str | Path | None = None,
    workers: int | None = None,
    progress=None,
    open_store=SqliteStore,
    open_target=None,
    _before: dict | None = None,
    _scratch: bool = False,
) -> ReparseCounts:
    """Re-read the WARC records indexed in ``source_db`` into ``target_db`` (default: in place),
    parsing in ``workers`` processes (default: one per core, from PARALLEL_FROM records; 1: all in
    this process) and writing in this one, in the order the records were fetched: the result is
    the same for any number of workers. ``progress(done, total)`` is told of the records read.
    ``open_store(path, readonly=)``: the store class (any Store, see store/protocol.py);
    ``open_target``: the target's, when another. In place (a SQLite archive), the archive is
    derived afresh and put in place of the old one (``store.rebuild``); ``since`` then is refused
    (only part of the captures would be derived). A new ``target_db`` is derived beside its name
    and put there when whole (``store.atomic``): a failed run leaves none."""
    open_target = open_target or open_store
    source_db = Path(source_db)
    target_db = Path(target_db) if target_db else source_db
    warc_dir = paths.warc_dir(source_db, warc_dir)
    sqlite = open_store is SqliteStore and open_target is SqliteStore
    if target_db.resolve() == source_db.resolve() and sqlite:
        return _in_place(source_db, since, warc_dir, workers, progress)
    if sqlite and not _scratch and not target_db.exists():
        with atomic_path(target_db) as fresh:
            return reparse(source_db, fresh, since, warc_dir, workers, progress, _scratch=True)
    chosen = workers is not None
    workers = max(1, int(workers)) if chosen else (os.cpu_count() or 1)
    with open_store(source_db, readonly=target_db != source_db) as source:
        if not source.readonly:
            reconcile(source, warc_dir)  # records a killed crawl wrote but did not index
        records = source.warc_responses(since)
        originals = _originals(source, warc_dir)
    counts = ReparseCounts()
    parallel = workers > 1 and (chosen or len(records) >= PARALLEL_FROM)
    pool = _pool(workers, warc_dir, originals) if parallel else None
    if pool is None:
        _start_worker(warc_dir, originals)
    harvested = _harvested(records, pool, workers * WINDOW_PER_WORKER)
    clock = CaptureClock()
    try:
        with open_store(source_db, readonly=True) as source:  # (read while the workers begin)
            marks = source.listing_marks()  # what the crawl had asked for when each listing came
            # its texts' signatures, taken again for the texts derived as they were (families.update)
            known = source.signed_texts(families.ALGORITHM)
        target = (
            open_target(target_db, clock=clock, scratch=_scratch)
            if open_target is SqliteStore
            else open_target(target_db)
        )
    except BaseException:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        else:
            _stop_worker()
        raise
    try:
        before = target.article_revisions() if _before is None else _before
        run = None
        pairs = zip(records, harvested, strict=True)
        done = 0
        while group := list(itertools.islice(pairs, COMMIT_EVERY)):
            with _storage(), target.transaction():  # one commit per group, not one per page
                for (url, file, _offset), (outcome, *result) in group:
                    counts.responses += 1
                    # each crawl process wrote its own files (…-<stamp>-<pid>-<seq>.warc.gz) and knew only its
                    # own fetches in flight: where another run's records begin, the store forgets them too
                    if _run_of(file) != run:
                        run = _run_of(file)
                        target.forget_run()
                    if outcome == "failed":
                        counts.failures += 1
                        write_item(items.failure(url, "reparse", result[0], None, None), target)
                        continue
                    fetched_at, found = result
                    clock.at = fetched_at  # what the store dates now is this capture's
                    for item in found:
                        if isinstance(item, items.ListingSeen):
                            item.requested = marks.get((url, fetched_at), frozenset())
                        # (an article the worker's vetting refused is a failure of kind identity or invalid)
                        refused = isinstance(item, items.Failure) and item.kind in VETTING
                        counts.articles += isinstance(item, items.Article) or refused
                        counts.listings += isinstance(item, items.ListingSeen)
                        counts.not_modified += isinstance(item, items.NotModified)
                        counts.failures += isinstance(item, items.Failure)
                        write_item(item, target)
            done += len(group)
            if progress is not None:
                progress(done, len(records))
        with _storage(), target.transaction():
            target.flush()
        # the families of what was derived, as the crawl's end makes them (the texts signed by the
        # workers, but those derived as the source held them, whose signatures are taken again)
        with _storage():
            families.update(target, map_=pool.map if pool is not None else map, known=known)
        known = None
        counts.failures += len(target.rejected)  # rows the store kept as failures (their own faults)
    finally:
        harvested.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        else:
            _stop_worker()
        target.close()
    with open_target(target_db, readonly=True) as target:
        after = target.article_revisions()
        for (site, article_id), revision in after.items():
            old = before.get((site, article_id))
            if old is None:
                counts.new += 1
            elif revision > old:
                counts.changed += 1
                counts.changed_fields.update(target.fields_changed_after(site, article_id, old))
            else:
                counts.unchanged += 1
        counts.lost = sorted(before.keys() - after.keys())
    return counts


def _in_place(source_db: Path, since: str | None, warc_dir: Path, workers: int | None, progress) -> ReparseCounts:
    """Derive the archive afresh from its captures beside it, carry over what no capture holds,
    and rename it over the old file (store.rebuild). A failure leaves the old archive as it was."""
    if since is not None:
        raise ReparseRefused(
            "--since re-reads only part of the captures: in place the whole archive is derived again "
            "(drop --since), or give --into NEW.db"
        )
    with SqliteStore(source_db) as source:
        reconcile(source, warc_dir)  # records a killed crawl wrote but did not index
        before = source.article_revisions()
    with atomic_path(source_db) as fresh:
        counts = reparse(source_db, fresh, None, warc_dir, workers, progress, _before=before, _scratch=True)
        if counts.lost:  # (raised here, the fresh file is removed: the archive stays as it was)
            shown = ", ".join(f"{site}/{article_id}" for site, article_id in counts.lost[:5])
            raise ReparseRefused(
                f"{len(counts.lost)} article(s) the archive holds are no article once derived again from "
                f"its captures ({shown}{' …' if len(counts.lost) > 5 else ''}): this parser reads their "
                "pages otherwise, or they were never captured (a run with XZ_WARC_ENABLED off). The "
                "archive is left as it was; derive it --into NEW.db to see what this parser makes of it"
            )
        try:
            with _storage():
                carry_over(source_db, fresh)
                settle(fresh)
                settle(source_db)
        except StorageError as exc:  # (an archive another process reads cannot leave its log)
            raise type(exc)(
                f"{exc}: the archive could not be replaced (another process may be reading it: close it "
                "and run again); it is left as it was"
            ) from exc
        drop_log_files(source_db)
    return counts
