"""The WARC writer: size-rotated WARC/1.1 files, gzip per record, with warcio, and the index
rows of what it wrote (no Scrapy: a request or response is anything with Scrapy's attributes).

Each exchange is a ``request`` and a ``response`` record (a network failure is a ``request`` and
a ``metadata`` record); a response whose payload equals its last capture is a ``revisit`` record.
Each file opens with a warcinfo record naming the archive that owns it (``OWNER_FIELD``).
"""

from __future__ import annotations

import http
import io
import logging
import os
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from ..core.assets import kind_of_type
from ..core.images import payload_digest

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
# The full response records of pictures and theme files this process wrote, by archive (its
# identity) and payload digest: the sites a run crawls side by side (``-a site=a,b,…``) each write
# with their own WarcFiles, and one theme's font on twelve sites, or one photo two sites show, is
# one file (a revisit of the first). Kept for the run (the archive's own index, which
# ``capture_of_digest`` reads, holds a capture only once its row is written, after its record):
# at most MAX_WRITTEN entries (~200 bytes each).
_WRITTEN: dict[str, dict[str, tuple[str, str, str]]] = {}
MAX_WRITTEN = 100_000

# The warcinfo field naming the archive that wrote a file (its ``archive_info`` id).
OWNER_FIELD = "xz-archive"

# Files this process is writing: a run of several sites has one recorder per site in one folder,
# and one's start must not index (or cut) what another is writing.
_WRITING: set[Path] = set()


class WarcFiles:
    """Size-rotated .warc.gz files and their index rows."""

    def __init__(
        self,
        directory: Path,
        max_bytes: int,
        prefix: str = "xzcrawler",
        clock=None,
        last_capture=None,
        owner: str | None = None,
        capture_of_digest=None,
    ):
        from ..core.clock import Clock

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
        # a photo's payload digest -> (url, WARC-Record-ID, WARC-Date) of a full response record of
        # those bytes under any address (the archive's, ``capture_of_digest``; this run's, below):
        # the same picture under another address is a revisit of it (issue 31)
        self.capture_of_digest = capture_of_digest
        self._pending_digests = _WRITTEN.setdefault(owner, {}) if owner else {}
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
            digest = headers.get_header("WARC-Payload-Digest")
            self._pending_captures[url] = (
                digest,
                headers.get_header("WARC-Record-ID"),
                headers.get_header("WARC-Date"),
            )
            if _is_picture(record.http_headers) and digest not in self._pending_digests:
                if len(self._pending_digests) >= MAX_WRITTEN:
                    self._pending_digests.clear()  # (bounded: the archive's index answers for older ones)
                self._pending_digests[digest] = (
                    url,
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
            original = None
            if previous is not None and previous[0] == digest:
                original = (request.url, previous[1], previous[2])
            elif len(body) >= MIN_REVISIT_BYTES and 200 <= status < 300 and _is_picture(http_headers):
                original = self._same_picture(digest)
            if original is not None:
                # the same payload as a capture held (the last of this address, or a photo's bytes
                # under another): a revisit record (headers only) that refers to it
                warc_response = self._writer.create_revisit_record(
                    request.url,
                    digest,
                    original[0],
                    original[2],
                    http_headers=http_headers,
                    warc_headers_dict={"WARC-Date": now, "WARC-Refers-To": original[1]},
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

    def _same_picture(self, digest: str) -> tuple[str, str, str] | None:
        """(url, record id, date) of a full response record of a photo with these bytes."""
        found = self._pending_digests.get(digest)
        if found is None and self.capture_of_digest is not None:
            found = self.capture_of_digest(digest)
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


def _is_picture(http_headers) -> bool:
    """Whether a response's headers say it is a picture (image/*) or a file of a theme (a
    stylesheet, script or font, core.assets): only these are deduplicated across addresses (a
    page's bytes under two addresses are two pages; one theme's style.css on twelve sites is one
    file)."""
    if http_headers is None:
        return False
    content_type = (http_headers.get_header("Content-Type") or "").strip().lower()
    return content_type.startswith("image/") or kind_of_type(content_type) is not None
