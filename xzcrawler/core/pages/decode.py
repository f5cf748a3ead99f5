"""Bytes to text for Chinese pages: declared, undeclared and lying encodings.

Order of trust:
1. a byte-order mark;
2. valid UTF-8 (GBK text is almost never valid UTF-8, so this also catches a
   GBK declaration on a UTF-8 page);
3. the declared encoding (HTTP header, then ``<meta>``), GB2312/GBK widened to
   GB18030, its superset;
4. GB18030 (covers pages with no declaration, or one that lies);
5. bs4's UnicodeDammit, then UTF-8 with replacement characters: nothing ever raises.
Truncated pages cut inside a multibyte character are tried with up to three
trailing bytes dropped.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_WIDEN = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "gb_2312-80": "gb18030"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def normalize_encoding(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    return _WIDEN.get(name, _WIDEN.get(canonical, canonical))


def charset_of(content_type: str | bytes | None) -> str | None:
    """The charset parameter of a Content-Type header value, if any."""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def declared_encoding(body: bytes, header_encoding: str | None = None) -> str | None:
    """The encoding the page claims: the HTTP header first, then ``<meta>``."""
    if header_encoding:
        found = normalize_encoding(header_encoding)
        if found:
            return found
    match = _META_CHARSET.search(body[:4096])
    return normalize_encoding(match.group(1).decode("ascii", "ignore")) if match else None


def _strict(body: bytes, encoding: str) -> str | None:
    for cut in range(4):
        chunk = body[: len(body) - cut] if cut else body
        try:
            return chunk.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def whole_utf8(body: bytes) -> str | None:
    """The text of a body that is UTF-8 from its first byte to its last, with no byte-order mark:
    what ``decode_html`` gives for it (valid UTF-8 comes first in its order of trust), and a text
    whose UTF-8 is ``body`` itself. None for any other body."""
    if body.startswith(codecs.BOM_UTF8):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode_html(body: bytes, header_encoding: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding used)``; never raises."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, "replace"), encoding.replace("-sig", "")
    declared = declared_encoding(body, header_encoding)
    text = _strict(body, "utf-8")
    if text is not None:
        return text, "utf-8"
    if declared and declared not in ("utf-8", "ascii"):
        text = _strict(body, declared)
        if text is not None:
            return text, declared
    lenient = body.decode("utf-8", "replace")
    if lenient.count("\ufffd") * 1000 < max(len(lenient), 1):
        return lenient, "utf-8"  # a stray bad byte in a UTF-8 page
    text = _strict(body, "gb18030")
    if text is not None:
        return text, "gb18030"
    from bs4 import UnicodeDammit  # last resort: its detector, replacement characters at worst

    dammit = UnicodeDammit(body, [e for e in (declared, "gb18030") if e], is_html=True)
    if dammit.unicode_markup is not None:
        return dammit.unicode_markup, dammit.original_encoding or "unknown"
    return lenient, "utf-8"
