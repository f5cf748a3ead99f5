"""Reading WARC records back: the one reader of reparse, of the index (reconcile) and of the
files' warcinfo. A record is one gzip member, found by its offset in the index.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import NamedTuple

from warcio.archiveiterator import ArchiveIterator

from ..core import pages


class TooLarge(ValueError):
    """A record whose body, once decoded, is over the bound (a bomb is not unpacked)."""


class Captured(NamedTuple):
    """A response record read back: what a re-extraction parses and what its conditional
    requests would have sent."""

    date: str  # WARC-Date
    status: int
    content_type: str | None
    body: bytes  # decoded (Content-Encoding undone)
    etag: str | None
    last_modified: str | None


class OpenFiles:
    """The WARC files a reader of many records keeps open between them, the ``limit`` used last
    (a re-extraction reads tens of thousands of records from a few files, in order: opening the
    file again for each record was a tenth of reading one). Close it when done."""

    def __init__(self, limit: int = 8):
        self.limit = limit
        self._open: dict[str, object] = {}  # path -> file, the one used last at the end

    def get(self, path: Path):
        key = str(path)
        fh = self._open.pop(key, None)
        if fh is None:
            fh = open(path, "rb")  # noqa: SIM115  (kept open: closed by close(), or when dropped below)
            if len(self._open) >= self.limit:
                self._open.pop(next(iter(self._open))).close()
        self._open[key] = fh
        return fh

    def close(self) -> None:
        while self._open:
            self._open.popitem()[1].close()


def read_response(
    path: Path, offset: int, max_body: int = pages.MAX_BODY, refers_to=None, files: OpenFiles | None = None
) -> Captured:
    """(WARC-Date, status, content type, decoded body, etag, last-modified) of the response record at
    ``offset``; TooLarge when the decoded body is over ``max_body`` (a bomb is not unpacked). A
    revisit record (the same payload as an earlier capture) takes its body from the record it
    refers to: ``refers_to(url, record id)`` gives that record's (path, offset). ``files``: the
    files kept open across calls (default: the file is opened for this record alone)."""
    if files is None:
        with open(path, "rb") as fh:
            return _read_at(fh, offset, max_body, refers_to, None)
    return _read_at(files.get(path), offset, max_body, refers_to, files)


def _read_at(fh, offset: int, max_body: int, refers_to, files: OpenFiles | None) -> Captured:
    fh.seek(offset)
    found = _plain_response(fh, max_body)
    if found is None:
        fh.seek(offset)
        found = _warcio_response(fh, max_body, refers_to, files)
    return found


def _warcio_response(fh, max_body: int, refers_to, files: OpenFiles | None = None) -> tuple:
    """read_response's values of the record at ``fh``'s position, read by warcio."""
    record = next(iter(ArchiveIterator(fh)))
    date = record.rec_headers.get_header("WARC-Date")
    status = int(record.http_headers.get_statuscode())
    content_type = record.http_headers.get_header("Content-Type")
    etag = record.http_headers.get_header("ETag")
    last_modified = record.http_headers.get_header("Last-Modified")
    if record.rec_type == "revisit":
        # the original is of this address, or of the one WARC-Refers-To-Target-URI names (a photo's
        # bytes under another address)
        original = record.rec_headers.get_header("WARC-Refers-To-Target-URI") or record.rec_headers.get_header(
            "WARC-Target-URI"
        )
        target = refers_to and refers_to(original, record.rec_headers.get_header("WARC-Refers-To"))
        if target is None:
            raise ValueError("a revisit record whose original is not in the index")
        body = read_response(*target, max_body=max_body, files=files).body
        return Captured(date, status, content_type, body, etag, last_modified)
    # (content_stream undoes the Content-Encoding, as Scrapy did)
    body = _bounded(record.content_stream().read(max_body + 1), max_body)
    return Captured(date, status, content_type, body, etag, last_modified)


def _bounded(body: bytes, max_body: int) -> bytes:
    """``body``, read to one byte past the bound; TooLarge when that byte came."""
    if len(body) > max_body:
        raise TooLarge(f"the response body is over {max_body} bytes once decoded")
    return body


# The common record read without warcio: a re-extraction reads every response of the archive, and
# warcio's header parser and its buffered gzip reader took 0.18 ms a record, about what libxml2 takes
# to parse the page. Only a record in the form this project's writer gives (one gzip member, a
# response, HTTP headers with no continuation lines and no Transfer-Encoding, the body as sent or
# gzip-encoded in one whole member) is read here, to the values warcio gives
# (tests/test_warc_reader.py and test_warc.py compare the two); any other form, and anything odd,
# is left to warcio.
_WARC_HEAD_ROOM = 1 << 20  # what a record holds besides its body (its WARC and HTTP headers)


def _plain_response(fh, max_body: int) -> tuple | None:
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    parts, size, limit = [], 0, max_body + _WARC_HEAD_ROOM
    try:
        while not inflate.eof:
            if size >= limit:
                return None  # (and decompress(…, 0) would not be bounded at all)
            chunk = fh.read(16384)  # (a record of the site is ~5 KB compressed)
            if not chunk:
                return None  # cut short
            part = inflate.decompress(chunk, limit - size)
            parts.append(part)
            size += len(part)
            if inflate.unconsumed_tail:
                return None  # over the bound: warcio reads it within its own
    except zlib.error:
        return None
    data = b"".join(parts)
    warc_end = data.find(b"\r\n\r\n")
    if warc_end < 0 or not data.startswith(b"WARC/"):
        return None
    warc = _headers(data[:warc_end].split(b"\r\n")[1:])
    if warc is None or warc.get("warc-type") != "response":
        return None
    try:
        length = int(warc.get("content-length", ""))
    except ValueError:
        return None
    block = data[warc_end + 4 : warc_end + 4 + length]
    http_end = block.find(b"\r\n\r\n")
    if http_end < 0:
        return None
    status_line, *lines = block[:http_end].split(b"\r\n")
    http = _headers(lines)
    protocol, _, rest = status_line.partition(b" ")
    if http is None or protocol not in (b"HTTP/1.0", b"HTTP/1.1") or "transfer-encoding" in http:
        return None
    try:
        status = int(rest.split(b" ", 1)[0])
    except ValueError:
        return None
    payload, encoding = block[http_end + 4 :], http.get("content-encoding")
    if encoding is None:
        body = payload[: max_body + 1]
    elif encoding.lower() == "gzip":
        gunzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            body = gunzip.decompress(payload, max_body + 1)
        except zlib.error:
            return None
        if not gunzip.eof or gunzip.unused_data:
            return None  # cut short, or more than one member: as warcio reads it
    else:
        return None
    return Captured(
        warc.get("warc-date"),
        status,
        http.get("content-type"),
        _bounded(body, max_body),
        http.get("etag"),
        http.get("last-modified"),
    )


def _headers(lines: list[bytes]) -> dict[str, str] | None:
    """Header lines as warcio reads them (UTF-8, else Latin-1; the first of a name wins; a line
    with no colon is dropped), lower-cased names; None when a line continues the one before."""
    found: dict[str, str] = {}
    for raw in lines:
        if raw[:1] in (b" ", b"\t"):
            return None
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            line = raw.decode("iso-8859-1")
        name, colon, value = line.rstrip().partition(":")
        if colon:
            found.setdefault(name.rstrip(" \t").lower(), value.lstrip())
    return found


def record_of(data: bytes):
    """The first WARC record of ``data`` (whole gzip members), read by warcio."""
    return next(iter(ArchiveIterator(io.BytesIO(data))))


def member_end(fh, offset: int) -> int | None:
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


def recorded_payload(path: Path, offset: int, max_payload: int = 1 << 26) -> tuple[str, str | None, bytes]:
    """(record type, its WARC-Payload-Digest header, the payload as recorded: the HTTP body before
    any Content-Encoding is undone) of the record at ``offset``; what `xzcrawler verify` checks the
    index's digest against. Raises (OSError, ValueError, zlib.error, StopIteration) for a record
    that does not read."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh, no_record_parse=False)))
        payload = record.raw_stream.read(max_payload + 1)
        if len(payload) > max_payload:
            raise TooLarge(f"a payload over {max_payload} bytes")
        return record.rec_type, record.rec_headers.get_header("WARC-Payload-Digest"), payload
