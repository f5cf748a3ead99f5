"""The WARC reader's own path (warc/reader.py: a plain response record read without warcio) gives
what warcio gives, for every form a record may take; any form it does not read is left to warcio."""

from __future__ import annotations

import gzip
import io
import zlib

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from xzcrawler.warc import TooLarge, read_response
from xzcrawler.warc import reader as R

PAGE = "<html><head><title>徐州厂房</title></head><body><p>厂房出租 5G</p></body></html>".encode() * 40


def _record(
    path, headers: list[tuple[str, str]], payload: bytes, status="200 OK", protocol="HTTP/1.1", kind="response"
):
    """Append one gzip-member WARC record as warcio writes it; returns its offset."""
    with open(path, "ab") as fh:
        offset = fh.tell()
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        http = StatusAndHeaders(status, headers, protocol=protocol)
        record = writer.create_warc_record(
            "http://xuzhou.021cf.cn/post/1.html",
            kind,
            payload=io.BytesIO(payload),
            length=len(payload),
            http_headers=http,
            warc_headers_dict={"WARC-Date": "2026-11-30T23:05:46.314281Z"},
        )
        writer.write_record(record)
    return offset


def _by_warcio(path, offset, max_body):
    with open(path, "rb") as fh:
        fh.seek(offset)
        return R._warcio_response(fh, max_body, None)


def _outcome(read, *args):
    try:
        return read(*args)
    except TooLarge:
        return "TooLarge"


def _plain(path, offset, max_body):
    with open(path, "rb") as fh:
        fh.seek(offset)
        return R._plain_response(fh, max_body)


CASES = {
    # (HTTP headers, payload, read by the plain path?)
    "gzip body, as the site sends": (
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
        gzip.compress(PAGE),
        True,
    ),
    "body as sent": (
        [("Content-Type", "text/html"), ("ETag", '"5f-1"'), ("Last-Modified", "Mon, 30 Nov 2026 23:05:46 GMT")],
        PAGE,
        True,
    ),
    "header names in any case, the first of two wins": (
        [("content-type", "text/html"), ("CONTENT-TYPE", "text/plain"), ("etag", "a"), ("ETag", "b")],
        PAGE,
        True,
    ),
    "a value with inner and trailing spaces": ([("Content-Type", "  text/html;   charset=utf-8   ")], PAGE, True),
    "a Latin-1 header value": ([("Content-Type", "text/html; x=caf\xe9")], PAGE, True),
    "Content-Encoding in capitals": ([("Content-Encoding", "GZIP")], gzip.compress(PAGE), True),
    "no headers at all": ([], PAGE, True),
    "an empty body": ([("Content-Type", "text/html")], b"", True),
    "chunked": ([("Transfer-Encoding", "chunked")], b"5\r\nhello\r\n0\r\n\r\n", False),
    "deflate": ([("Content-Encoding", "deflate")], zlib.compress(PAGE), False),
    "br (no decoder: as stored)": ([("Content-Encoding", "br")], b"not brotli", False),
    "gzip cut short": ([("Content-Encoding", "gzip")], gzip.compress(PAGE)[:-200], False),
    "gzip that is not gzip": ([("Content-Encoding", "gzip")], b"plain text, mislabelled", False),
    "two gzip members": ([("Content-Encoding", "gzip")], gzip.compress(PAGE) + gzip.compress(b"more"), False),
}


@pytest.mark.parametrize("name", CASES)
def test_each_form_reads_as_warcio_reads_it(tmp_path, name):
    headers, payload, plain = CASES[name]
    path = tmp_path / "a.warc.gz"
    offset = _record(path, headers, payload)
    expected = _by_warcio(path, offset, 1 << 20)
    assert read_response(path, offset, 1 << 20) == expected
    assert (_plain(path, offset, 1 << 20) is not None) is plain


def test_a_record_among_others_reads_from_its_offset(tmp_path):
    path = tmp_path / "a.warc.gz"
    offsets = [_record(path, [("Content-Encoding", "gzip")], gzip.compress(PAGE + str(i).encode())) for i in range(3)]
    for i, offset in enumerate(offsets):
        assert read_response(path, offset)[3] == PAGE + str(i).encode()
        assert _plain(path, offset, 1 << 20) is not None


def test_status_lines_of_both_protocols_and_none_without_reason(tmp_path):
    path = tmp_path / "a.warc.gz"
    for status, protocol in (
        ("404 Not Found", "HTTP/1.1"),
        ("304", "HTTP/1.0"),
        ("500 Internal Server Error", "HTTP/1.0"),
    ):
        offset = _record(path, [("Content-Type", "text/html")], b"", status=status, protocol=protocol)
        assert read_response(path, offset) == _by_warcio(path, offset, 1 << 20)
        assert read_response(path, offset)[1] == int(status.split()[0])


@pytest.mark.parametrize("encoded", [False, True], ids=["as sent", "gzip bomb"])
def test_a_body_over_the_bound_is_too_large_either_way(tmp_path, encoded):
    big = b"x" * 200_000
    path = tmp_path / "a.warc.gz"
    offset = _record(path, [("Content-Encoding", "gzip")] if encoded else [], gzip.compress(big) if encoded else big)
    assert _outcome(_by_warcio, path, offset, 100_000) == "TooLarge"
    with pytest.raises(TooLarge):
        read_response(path, offset, 100_000)
    assert read_response(path, offset, 300_000)[3] == big


def test_a_record_far_over_the_bound_is_not_unpacked_here_and_warcio_refuses_it(tmp_path):
    """A record whose own gzip member unpacks past the body's bound and the headers' room: this
    path stops at the bound (a bomb at the WARC level) and warcio, within its own, says TooLarge."""
    path = tmp_path / "a.warc.gz"
    offset = _record(path, [], b"\0" * (3 << 20))
    assert _plain(path, offset, 100_000) is None
    with pytest.raises(TooLarge):
        read_response(path, offset, 100_000)


def test_a_record_that_is_no_response_is_left_to_warcio(tmp_path):
    path = tmp_path / "a.warc.gz"
    offset = _record(path, [("Content-Type", "text/html")], PAGE, kind="resource")
    assert _plain(path, offset, 1 << 20) is None


def test_a_file_cut_inside_the_record_is_left_to_warcio(tmp_path):
    path = tmp_path / "a.warc.gz"
    offset = _record(path, [("Content-Encoding", "gzip")], gzip.compress(PAGE))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 50])
    assert _plain(path, offset, 1 << 20) is None


def _raw_record(path, http_head: bytes, payload: bytes) -> int:
    """A record written byte by byte (forms warcio's writer does not make)."""
    block = http_head + b"\r\n\r\n" + payload
    record = (
        b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Date: 2026-11-30T23:05:46Z\r\n"
        b"WARC-Target-URI: http://xuzhou.021cf.cn/post/1.html\r\n"
        + f"Content-Length: {len(block)}\r\n\r\n".encode()
        + block
        + b"\r\n\r\n"
    )
    with open(path, "ab") as fh:
        offset = fh.tell()
        fh.write(gzip.compress(record))
    return offset


@pytest.mark.parametrize(
    "head, plain",
    [
        (b"HTTP/1.1 200 OK\r\nContent-Type: text/html;\r\n charset=utf-8\r\nETag: a", False),  # a folded line
        (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nno colon here\r\nETag: a", True),
        (b"HTTP/1.1 200 OK\r\nContent-Type : text/html\r\nETag:\ta", True),
        (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\xe5\xbe\x90", True),  # UTF-8 in a value
    ],
    ids=["folded", "no colon", "space before colon, tab after", "utf-8 value"],
)
def test_header_lines_warcio_reads_its_own_way(tmp_path, head, plain):
    path = tmp_path / "a.warc.gz"
    offset = _raw_record(path, head, PAGE)
    assert read_response(path, offset) == _by_warcio(path, offset, 1 << 20)
    assert (_plain(path, offset, 1 << 20) is not None) is plain
