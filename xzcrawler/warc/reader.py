"""Reading WARC records back: the one reader of reparse, of the index (reconcile) and of the
files' warcinfo. A record is one gzip member, found by its offset in the index.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from ..core import pages


class TooLarge(ValueError):
    """A record whose body, once decoded, is over the bound (a bomb is not unpacked)."""


def read_response(path: Path, offset: int, max_body: int = pages.MAX_BODY, refers_to=None):
    """(WARC-Date, status, content type, decoded body, etag, last-modified) of the response record at
    ``offset``; TooLarge when the decoded body is over ``max_body`` (a bomb is not unpacked). A
    revisit record (the same payload as an earlier capture) takes its body from the record it
    refers to: ``refers_to(url, record id)`` gives that record's (path, offset)."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        date = record.rec_headers.get_header("WARC-Date")
        status = int(record.http_headers.get_statuscode())
        content_type = record.http_headers.get_header("Content-Type")
        etag = record.http_headers.get_header("ETag")
        last_modified = record.http_headers.get_header("Last-Modified")
        if record.rec_type == "revisit":
            target = refers_to(
                record.rec_headers.get_header("WARC-Target-URI"), record.rec_headers.get_header("WARC-Refers-To")
            )
            if target is None:
                raise ValueError("a revisit record whose original is not in the index")
            *_, body, _, _ = read_response(*target, max_body=max_body)
            return date, status, content_type, body, etag, last_modified
        body = record.content_stream().read(max_body + 1)  # undoes the Content-Encoding, as Scrapy did
    if len(body) > max_body:
        raise TooLarge(f"the response body is over {max_body} bytes once decoded")
    return date, status, content_type, body, etag, last_modified


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
