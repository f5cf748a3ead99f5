"""WARC/1.1 capture of every exchange of a crawl, with warcio.

``WarcRecorder`` is a downloader middleware placed next to the downloader, so it sees each
response as it came off the wire (before decompression): robots.txt, listings, articles, error
statuses, 304s. Each exchange is a ``request`` and a ``response`` record (a network failure is
a ``request`` and a ``metadata`` record), gzip-compressed one record per member, in files
rotated by size under ``XZ_WARC_DIR`` (default: ``warc/`` beside the archive). Every record is
indexed in the archive's ``warc_records`` table (url, fetched_at, file, offset, status,
digest), which ``xzcrawler reparse`` reads back.

The response's WARC-Date is also stamped on the request (``meta["xz_fetched_at"]``), so the
archive's ``fetched_at`` and the WARC agree to the second and a re-parse reproduces the rows.
"""

from __future__ import annotations

import base64
import hashlib
import http
import io
import logging
import os
import zlib
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from .core import paths
from .core.clock import crawl_clock
from .extensions import open_store
from .store import STORAGE_ERRORS, Archive, StorageError

logger = logging.getLogger(__name__)
DROP_HEADERS = {b"transfer-encoding"}  # Scrapy hands over the body de-chunked


def _headers(headers) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        if name.lower() in DROP_HEADERS:
            continue
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


# A payload smaller than this is written again in full: its revisit record would be no smaller
# (robots.txt: a ~470-byte response against a ~520-byte revisit record).
MIN_REVISIT_BYTES = 1024

# The warcinfo field naming the archive that wrote a file (its ``archive_info`` id).
OWNER_FIELD = "xz-archive"

# Files this process is writing: a run of several sites has one recorder per site in one folder,
# and one's start must not index (or cut) what another is writing.
_WRITING: set[Path] = set()


class WarcFiles:
    """Size-rotated .warc.gz files and their index rows (no Scrapy here: usable on its own)."""

    def __init__(
        self,
        directory: Path,
        max_bytes: int,
        prefix: str = "xzcrawler",
        clock=None,
        last_capture=None,
        owner: str | None = None,
    ):
        from .core.clock import Clock

        self.clock = clock or Clock()
        self.directory = directory
        self.max_bytes = max_bytes
        self.prefix = prefix
        # the identity of the archive these files belong to: named in each file's warcinfo record
        # (and, shortened, in its name) so that archives sharing a folder tell their files apart
        self.owner = owner
        self.directory.mkdir(parents=True, exist_ok=True)
        self._fh = None
        self._writer = None
        self._name = None
        self._seq = 0
        self._stamp = self.clock.now().strftime("%Y%m%d%H%M%S")
        self.index: list[dict] = []
        # url -> (payload digest, WARC-Record-ID, WARC-Date) of the last response record captured
        # before this run (the archive's index); None: every response is written in full
        self.last_capture = last_capture
        self._pending_captures: dict[str, tuple[str, str, str]] = {}  # url -> last capture of ``index``
        self.revisits = 0

    def _open(self) -> None:
        self._seq += 1
        mark = f"-{self.owner[:8]}" if self.owner else ""
        self._name = f"{self.prefix}{mark}-{self._stamp}-{os.getpid()}-{self._seq:05d}.warc.gz"
        self._fh = open(self.directory / self._name, "wb")
        _WRITING.add((self.directory / self._name).resolve())
        self._writer = WARCWriter(self._fh, gzip=True, warc_version="1.1")
        info = self._writer.create_warcinfo_record(
            self._name,
            {
                "software": "xzcrawler (Scrapy, warcio)",
                "format": "WARC File Format 1.1",
                "description": "crawl of the 021cf.cn network",
                **({OWNER_FIELD: self.owner} if self.owner else {}),
            },
        )
        self._writer.write_record(info)

    def write(self, record, url: str, status: int | None) -> None:
        if self._fh is None or self._fh.tell() >= self.max_bytes:
            self.close()
            self._open()
        offset = self._fh.tell()
        self._writer.write_record(record)
        headers = record.rec_headers
        if headers.get_header("WARC-Type") == "response":
            self._pending_captures[url] = (
                headers.get_header("WARC-Payload-Digest"),
                headers.get_header("WARC-Record-ID"),
                headers.get_header("WARC-Date"),
            )
        self.index.append(
            {
                "url": url,
                "fetched_at": headers.get_header("WARC-Date"),
                "file": self._name,
                "offset": offset,
                "length": self._fh.tell() - offset,
                "status": status,
                "record_type": headers.get_header("WARC-Type"),
                "digest": headers.get_header("WARC-Payload-Digest") or headers.get_header("WARC-Block-Digest"),
                "record_id": headers.get_header("WARC-Record-ID"),
            }
        )

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None
            _WRITING.discard((self.directory / self._name).resolve())

    def exchange(self, request, response=None, error: str | None = None) -> str:
        """Write the records of one exchange; returns the WARC-Date used."""
        now = datetime_to_iso_date(self.clock.now().replace(tzinfo=None), use_micros=True)
        parts = request.url.split("/", 3)
        path = "/" + (parts[3] if len(parts) > 3 else "")
        request_headers = StatusAndHeaders(
            f"{request.method} {path} HTTP/1.1",
            [("Host", parts[2] if len(parts) > 2 else ""), *_headers(request.headers)],
            is_http_request=True,
        )
        warc_request = self._writer_or_open().create_warc_record(
            request.url,
            "request",
            payload=io.BytesIO(request.body or b""),
            length=len(request.body or b""),
            http_headers=request_headers,
            warc_headers_dict={"WARC-Date": now},
        )
        if response is not None:
            status = response.status
            try:
                reason = http.HTTPStatus(status).phrase
            except ValueError:
                reason = "Unknown"
            protocol = getattr(response, "protocol", None) or "HTTP/1.1"
            body = response.body or b""
            http_headers = StatusAndHeaders(f"{status} {reason}", _headers(response.headers), protocol=protocol)
            digest = payload_digest(body)
            previous = self._previous(request.url) if len(body) >= MIN_REVISIT_BYTES else None
            if previous is not None and previous[0] == digest:
                # the same payload as the last capture: a revisit record (headers only) that refers to it
                warc_response = self._writer.create_revisit_record(
                    request.url,
                    digest,
                    request.url,
                    previous[2],
                    http_headers=http_headers,
                    warc_headers_dict={"WARC-Date": now, "WARC-Refers-To": previous[1]},
                )
                self.revisits += 1
            else:
                warc_response = self._writer.create_warc_record(
                    request.url,
                    "response",
                    payload=io.BytesIO(body),
                    length=len(body),
                    http_headers=http_headers,
                    warc_headers_dict={"WARC-Date": now, "WARC-Payload-Digest": digest},
                )
            warc_request.rec_headers.add_header(
                "WARC-Concurrent-To", warc_response.rec_headers.get_header("WARC-Record-ID")
            )
            self.write(warc_response, request.url, status)
            self.write(warc_request, request.url, None)
        else:
            text = f"fetch-error: {error}\n".encode()
            metadata = self._writer.create_warc_record(
                request.url,
                "metadata",
                payload=io.BytesIO(text),
                length=len(text),
                warc_content_type="application/warc-fields",
                warc_headers_dict={"WARC-Date": now},
            )
            self.write(warc_request, request.url, None)
            self.write(metadata, request.url, None)
        return now

    def _previous(self, url: str) -> tuple[str, str, str] | None:
        """(digest, record id, date) of the last full capture of ``url``: one not yet in the
        archive's index (this run's), else the index's."""
        found = self._pending_captures.get(url)
        if found is None and self.last_capture is not None:
            found = self.last_capture(url)
        return found

    def take_index(self) -> list[dict]:
        """The index rows written since the last call (for the archive's warc_records)."""
        rows, self.index = self.index, []
        self._pending_captures.clear()
        return rows

    def _writer_or_open(self):
        if self._writer is None:
            self._open()
        return self._writer


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest of a body, as warcio writes it (SHA-1, base32)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


class WarcRecorder:
    """Downloader middleware: every request and response of the crawl into WARC files.

    The index rows are written to the archive in batches; a run killed before a batch is written
    leaves records the index lacks, so every start first indexes what the files hold beyond the
    index (``reconcile``). A write the disk refuses (full, file too large, I/O error) stops the
    run with one message: the verdict is exit 7, and the next run fetches the pages again.
    """

    def __init__(self, files: WarcFiles, store, stats, crawler=None):
        self.files = files
        self.store = store
        self.stats = stats
        self.crawler = crawler
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        from scrapy.exceptions import NotConfigured

        if not settings.getbool("XZ_WARC_ENABLED"):
            raise NotConfigured("XZ_WARC_ENABLED is off")
        db_path = settings.get("XZ_DB_PATH")
        directory = paths.warc_dir(db_path, settings.get("XZ_WARC_DIR"))
        store = open_store(crawler)
        files = WarcFiles(
            directory,
            settings.getint("XZ_WARC_MAX_BYTES"),
            clock=crawl_clock(crawler),
            last_capture=store.last_capture,
            owner=store.identity,
        )
        middleware = cls(files, store, crawler.stats, crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider):
        site = getattr(spider, "site_key", None)
        if site:  # a file name per site: the sites of one run write side by side
            self.files.prefix = f"xzcrawler-{site}"
        # (the name then carries the archive's id: xzcrawler-<site>-<id8>-<time>-<pid>-<seq>)
        try:
            added = reconcile(self.store, self.files.directory)
        except (StorageError, OSError, *STORAGE_ERRORS) as exc:
            self._fail(exc)
            return
        if added:
            self.stats.set_value("xz/warc_records_reindexed", added)
            logger.warning("indexed %d WARC record(s) a killed run had left out of warc_records", added)

    def _fail(self, exc: Exception) -> None:
        self.stats.inc_value("xz/storage_errors")
        if self.stats.get_value("xz/storage_error") is None:
            self.stats.set_value("xz/storage_error", f"WARC: {type(exc).__name__}: {exc}")
        if not self.failed:
            self.failed = True
            logger.error("WARC write failed, stopping the run: %s: %s", type(exc).__name__, exc)
            if self.crawler is not None:
                from .extensions import stop_crawl

                stop_crawl(self.crawler, "storage_error")

    def process_response(self, request, response, spider=None):
        if self.failed:
            raise IgnoreRequest("the WARC cannot be written: the run is stopping")
        revisits = self.files.revisits
        try:
            request.meta["xz_fetched_at"] = self.files.exchange(request, response)
        except OSError as exc:
            self._fail(exc)
            raise IgnoreRequest(f"not archived: the WARC cannot be written ({exc})") from None
        self.stats.inc_value("xz/warc_records", 2)
        self.stats.inc_value("xz/warc_revisits", self.files.revisits - revisits)
        if len(self.files.index) >= 1000:
            self._flush_index()
        return response

    def process_exception(self, request, exception, spider=None):
        if self.failed:
            return None
        try:
            self.files.exchange(request, None, f"{type(exception).__name__}: {exception}")
        except OSError as exc:
            self._fail(exc)
            return None
        self.stats.inc_value("xz/warc_records", 2)
        return None

    def _flush_index(self) -> None:
        rows = self.files.take_index()
        if rows:
            try:
                self.store.add_warc_index(rows)
            except (StorageError, *STORAGE_ERRORS) as exc:
                # the records are in the files: the next start indexes them (reconcile)
                self.stats.inc_value("xz/storage_errors")
                if self.stats.get_value("xz/storage_error") is None:
                    self.stats.set_value("xz/storage_error", f"WARC index: {exc}")

    def spider_closed(self, spider, reason):
        try:
            self.files.close()
        except OSError as exc:
            self._fail(exc)
        self._flush_index()


def warcinfo_fields(path: Path) -> dict[str, str] | None:
    """The fields of the warcinfo record a WARC file opens with; None when it opens with none (or
    with a record still being written)."""
    try:
        with open(path, "rb") as fh:
            end = _member_end(fh, 0)
            if end is None:
                return None
            fh.seek(0)
            record = next(iter(ArchiveIterator(io.BytesIO(fh.read(min(end, 1 << 20))))))
            if record.rec_headers.get_header("WARC-Type") != "warcinfo":
                return None
            text = record.content_stream().read(1 << 16).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001  (not a WARC file we can read: nobody's we know)
        return None
    fields = {}
    for line in text.splitlines():
        name, colon, value = line.partition(":")
        if colon:
            fields[name.strip()] = value.strip()
    return fields


def own_files(archive: Archive, directory: Path, indexed: dict[str, int] | None = None) -> list[Path]:
    """The WARC files of ``directory`` this archive wrote: those whose warcinfo names its identity,
    and those its index lists that name no archive (written before files were marked). A file of
    another archive in the same folder (a shard beside it) is never among them, even if a merge
    indexed it here: only its writer may cut it."""
    if not directory.is_dir():
        return []
    identity = archive.identity
    indexed = archive.warc_files_indexed() if indexed is None else indexed
    owned = []
    for path in sorted(directory.glob("*.warc.gz")):
        mark = f"-{identity[:8]}-"
        if (
            "-" in path.name
            and path.name.startswith("xzcrawler-")
            and mark not in path.name
            and path.name not in indexed
        ):
            continue  # another archive's name: no need to open it
        fields = warcinfo_fields(path)
        owner = fields.get(OWNER_FIELD) if fields else None
        if owner == identity or (owner is None and path.name in indexed):
            owned.append(path)
    return owned


def reconcile(archive: Archive, directory: Path) -> int:
    """Index the records of this archive's WARC files in ``directory`` that ``warc_records``
    lacks (a run killed between writing records and indexing them), and cut a record left
    half-written at the end of such a file. Files another archive wrote are left alone. Returns
    how many rows were added."""
    if not directory.is_dir():
        return 0
    known = archive.warc_files_indexed()
    added = 0
    for path in own_files(archive, directory, known):
        if path.resolve() in _WRITING:
            continue
        size = path.stat().st_size
        start = known.get(path.name, 0)
        if start >= size:
            continue
        rows, end = _index_file(path, start)
        if end < size:
            with open(path, "r+b") as fh:  # a torn last record: what a reader would choke on
                fh.truncate(end)
        if known.get(path.name) is None:
            rows = [row for row in rows if row["record_type"] != "warcinfo"]
        if rows:
            archive.add_warc_index(rows)
            added += len(rows)
    return added


def _index_file(path: Path, start: int) -> tuple[list[dict], int]:
    """Index rows of the whole records (gzip members) of ``path`` from byte ``start``, and the
    offset where the last whole one ends."""
    rows: list[dict] = []
    offset, size = start, path.stat().st_size
    with open(path, "rb") as fh:
        while offset < size:
            end = _member_end(fh, offset)
            if end is None:
                break  # torn: the process died while writing it
            fh.seek(offset)
            try:
                record = next(iter(ArchiveIterator(io.BytesIO(fh.read(end - offset)))))
            except Exception:  # noqa: BLE001  (not a WARC record: stop indexing this file here)
                break
            headers = record.rec_headers
            kind = headers.get_header("WARC-Type")
            status = None
            if kind == "response" and record.http_headers is not None:
                status = int(record.http_headers.get_statuscode() or 0) or None
            rows.append(
                {
                    "url": headers.get_header("WARC-Target-URI"),
                    "fetched_at": headers.get_header("WARC-Date"),
                    "file": path.name,
                    "offset": offset,
                    "length": end - offset,
                    "status": status,
                    "record_type": kind,
                    "digest": headers.get_header("WARC-Payload-Digest") or headers.get_header("WARC-Block-Digest"),
                    "record_id": headers.get_header("WARC-Record-ID"),
                }
            )
            offset = end
    return rows, offset


def _member_end(fh, offset: int) -> int | None:
    """Where the gzip member (one record) starting at ``offset`` ends; None if it is cut short."""
    fh.seek(offset)
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    consumed = 0
    try:
        while not decompressor.eof:
            chunk = fh.read(65536)
            if not chunk:
                return None
            decompressor.decompress(chunk, 1 << 20)
            while decompressor.unconsumed_tail and not decompressor.eof:
                decompressor.decompress(decompressor.unconsumed_tail, 1 << 20)
            consumed += len(chunk) - len(decompressor.unused_data)
    except zlib.error:
        return None
    return offset + consumed
