"""Export formats: pure writers of records to a binary file, by name (``export --format``).

A new format is one writer function here, its name in FORMATS and its file name ending in
NAME_FORMATS; ``store.export`` and the CLI take both from here.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

# Which format a file name says (after a .gz), and the names that say a format we do not write.
NAME_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
OTHER_FORMATS = (".tsv", ".xlsx", ".xls", ".parquet", ".db", ".sqlite", ".html", ".xml")


def format_of_name(out: str | os.PathLike) -> str | None:
    """The export format a file name says (``x.csv.gz``: csv), or None when it says none."""
    if str(out) == "-":
        return None
    name = Path(out).name.lower()
    stem = name[:-3] if name.endswith(".gz") else name
    return next((fmt for suffix, fmt in NAME_FORMATS.items() if stem.endswith(suffix)), None)


def jsonl_writer(records: Iterable[dict], fh: BinaryIO, columns: Sequence[str] | None) -> int:
    """JSON lines: one record per line, UTF-8, nothing lost (the archive's own export format)."""
    count = 0
    for record in records:
        fh.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
        count += 1
    return count


# A cell a spreadsheet would run as a formula (=IMPORTXML(…), +, -, @, or a tab or CR before one):
# prefixed with ' so that it shows as the text it is (OWASP, "CSV Injection"). ``raw`` writes the
# text as stored.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value, raw: bool = False) -> str | int | float:
    """One CSV cell: a list of strings is joined one per line (``\\n``, shown as lines of one cell by
    spreadsheets); a list of objects (images, related) or an object is its JSON text; None and
    an empty list are an empty cell; a boolean is ``true`` or ``false`` (as in the JSONL); strings
    and numbers are as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = "\n".join(value)
    elif isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if not raw and isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_writer(records: Iterable[dict], fh: BinaryIO, columns: Sequence[str] | None, raw: bool = False) -> int:
    """CSV for spreadsheets: UTF-8 with a byte order mark (Excel reads Chinese only so), a header
    row, then one row per record, cells as ``csv_cell`` makes them (RFC 4180 quoting, CRLF; a
    formula-like cell neutralised unless ``raw``)."""
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="", write_through=True)
    try:
        records = iter(records)
        first = next(records, None)
        names = list(columns) if columns is not None else list(first or ())
        table = csv.writer(text)
        table.writerow(names)
        count = 0
        for record in itertools.chain([first], records) if first is not None else ():
            table.writerow([csv_cell(record.get(name), raw) for name in names])
            count += 1
        text.flush()
        return count
    finally:
        text.detach()  # the caller closes the file (and the gzip stream around it)


# Export formats by name: a writer of records (with the columns in order) to a binary file.
FORMATS = {"jsonl": jsonl_writer, "csv": csv_writer}
