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

import datetime as dt
import http
import io
import os
from pathlib import Path

from scrapy import signals
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from .archive import Archive

DROP_HEADERS = {b"transfer-encoding"}  # Scrapy hands over the body de-chunked


def _headers(headers) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        if name.lower() in DROP_HEADERS:
            continue
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


class WarcFiles:
    """Size-rotated .warc.gz files and their index rows (no Scrapy here: usable on its own)."""

    def __init__(self, directory: Path, max_bytes: int, prefix: str = "xzcrawler"):
        self.directory = directory
        self.max_bytes = max_bytes
        self.prefix = prefix
        self.directory.mkdir(parents=True, exist_ok=True)
        self._fh = None
        self._writer = None
        self._name = None
        self._seq = 0
        self._stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d%H%M%S")
        self.index: list[dict] = []

    def _open(self) -> None:
        self._seq += 1
        self._name = f"{self.prefix}-{self._stamp}-{os.getpid()}-{self._seq:05d}.warc.gz"
        self._fh = open(self.directory / self._name, "wb")
        self._writer = WARCWriter(self._fh, gzip=True, warc_version="1.1")
        info = self._writer.create_warcinfo_record(
            self._name, {"software": "xzcrawler (Scrapy, warcio)", "format": "WARC File Format 1.1",
                         "description": "crawl of the 021cf.cn network"}  # fmt: skip
        )
        self._writer.write_record(info)

    def write(self, record, url: str, status: int | None) -> None:
        if self._fh is None or self._fh.tell() >= self.max_bytes:
            self.close()
            self._open()
        offset = self._fh.tell()
        self._writer.write_record(record)
        headers = record.rec_headers
        self.index.append({
            "url": url, "fetched_at": headers.get_header("WARC-Date"), "file": self._name, "offset": offset,
            "length": self._fh.tell() - offset, "status": status, "record_type": headers.get_header("WARC-Type"),
            "digest": headers.get_header("WARC-Payload-Digest") or headers.get_header("WARC-Block-Digest"),
            "record_id": headers.get_header("WARC-Record-ID"),
        })  # fmt: skip

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None

    def exchange(self, request, response=None, error: str | None = None) -> str:
        """Write the records of one exchange; returns the WARC-Date used."""
        now = datetime_to_iso_date(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), use_micros=True)
        parts = request.url.split("/", 3)
        path = "/" + (parts[3] if len(parts) > 3 else "")
        request_headers = StatusAndHeaders(
            f"{request.method} {path} HTTP/1.1", [("Host", parts[2] if len(parts) > 2 else ""), *_headers(request.headers)],
            is_http_request=True,
        )  # fmt: skip
        warc_request = self._writer_or_open().create_warc_record(
            request.url, "request", payload=io.BytesIO(request.body or b""), length=len(request.body or b""),
            http_headers=request_headers, warc_headers_dict={"WARC-Date": now},
        )  # fmt: skip
        if response is not None:
            status = response.status
            try:
                reason = http.HTTPStatus(status).phrase
            except ValueError:
                reason = "Unknown"
            protocol = getattr(response, "protocol", None) or "HTTP/1.1"
            body = response.body or b""
            warc_response = self._writer.create_warc_record(
                request.url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=StatusAndHeaders(f"{status} {reason}", _headers(response.headers), protocol=protocol),
                warc_headers_dict={"WARC-Date": now},
            )  # fmt: skip
            warc_request.rec_headers.add_header("WARC-Concurrent-To", warc_response.rec_headers.get_header("WARC-Record-ID"))
            self.write(warc_response, request.url, status)
            self.write(warc_request, request.url, None)
        else:
            text = f"fetch-error: {error}\n".encode()
            metadata = self._writer.create_warc_record(
                request.url, "metadata", payload=io.BytesIO(text), length=len(text),
                warc_content_type="application/warc-fields", warc_headers_dict={"WARC-Date": now},
            )  # fmt: skip
            self.write(warc_request, request.url, None)
            self.write(metadata, request.url, None)
        return now

    def _writer_or_open(self):
        if self._writer is None:
            self._open()
        return self._writer


class WarcRecorder:
    """Downloader middleware: every request and response of the crawl into WARC files."""

    def __init__(self, files: WarcFiles, db_path: str, stats):
        self.files = files
        self.db_path = db_path
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        from scrapy.exceptions import NotConfigured

        if not settings.getbool("XZ_WARC_ENABLED"):
            raise NotConfigured("XZ_WARC_ENABLED is off")
        db_path = settings.get("XZ_DB_PATH")
        directory = Path(settings.get("XZ_WARC_DIR") or Path(db_path).parent / "warc")
        middleware = cls(WarcFiles(directory, settings.getint("XZ_WARC_MAX_BYTES")), db_path, crawler.stats)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request, response, spider=None):
        request.meta["xz_fetched_at"] = self.files.exchange(request, response)
        self.stats.inc_value("xz/warc_records", 2)
        if len(self.files.index) >= 1000:
            self._flush_index()
        return response

    def process_exception(self, request, exception, spider=None):
        self.files.exchange(request, None, f"{type(exception).__name__}: {exception}")
        self.stats.inc_value("xz/warc_records", 2)
        return None

    def _flush_index(self) -> None:
        rows, self.files.index = self.files.index, []
        if rows:
            with Archive(self.db_path) as archive:
                archive.add_warc_index(rows)

    def spider_closed(self, spider, reason):
        self.files.close()
        self._flush_index()
