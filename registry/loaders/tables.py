"""Bounded reads of the tables and documents converters read themselves (CSV/TSV tables, whole JSON documents).

A hostile or damaged download must give a clear error or a reported, bounded partial read, never an unbounded one:

- a CSV table is read row by row, at most ``MAX_TABLE_ROWS`` rows (or a converter's smaller limit); the row past the
  limit and those after it are not read, which is reported as a problem naming the file (the conversion is then
  partial);
- the csv module's own limits (a value over its field size limit, a NUL byte) raise ``csv.Error`` naming the file and
  row, which the pipeline turns into a clear error (a converter that can go on without the table catches it instead);
- a document read whole (JSON, XML) is read only up to ``MAX_DOCUMENT_BYTES``; a larger one is reported, not read;
- a text list is read line by line, at most a number of lines of at most ``MAX_LINE_CHARS`` characters each.

Tables are read as UTF-8 with a byte-order mark dropped and undecodable bytes replaced, as the converters did.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

if TYPE_CHECKING:  # base imports splits, which reads its tables here
    from .base import ConvertContext

#: rows read from one table; the largest known release table (MIMIC-IV-ECHO's echo-record-list.csv, one row per DICOM
#: file: just over 500,000) stays well under it
MAX_TABLE_ROWS = 1_000_000
#: bytes of one document read whole (a JSON file's objects take several times its size in memory); the releases'
#: annotation documents are at most tens of megabytes
MAX_DOCUMENT_BYTES = 256 << 20
#: characters of one line of a text list (a file without line breaks must not be read whole as one line)
MAX_LINE_CHARS = 1 << 20


def _csv_error(ctx: ConvertContext, path: Path, row: int, exc: csv.Error) -> csv.Error:
    why = str(exc)
    if "field larger than field limit" in why:
        why = f"a value longer than the csv module's limit of {csv.field_size_limit():,} characters"
    return csv.Error(f"{ctx.rel(path)}, row {row}: {why}")


def _bounded(
    ctx: ConvertContext, path: Path, rows: Iterable[Any], max_rows: int, start: int, kind: str
) -> Iterator[tuple[int, Any]]:
    """(row number, row) of ``rows`` numbered from ``start``, at most ``max_rows``; a further row is reported and not
    read, and a ``csv.Error`` is raised again naming the file and the row."""
    n = start - 1
    try:
        for n, row in enumerate(rows, start=start):
            if n - start >= max_rows:
                ctx.problem(kind, path, f"more than {max_rows:,} rows: the rest are not read")
                return
            yield n, row
    except csv.Error as exc:
        raise _csv_error(ctx, path, n + 1, exc) from None


class TableOptions(TypedDict, total=False):
    """How a table is read: ``delimiter`` (","), ``max_rows`` (None: ``MAX_TABLE_ROWS``), ``strip`` (keys and values
    stripped, None as ''; False) and ``kind``, the problem kind of the row limit ("annotation_unreadable")."""

    delimiter: str
    max_rows: int | None
    strip: bool
    kind: str


class CsvTable:
    """A CSV table with a header row, opened as a context manager: ``columns`` (the header) and ``rows()`` ((row number
    from 2, dict) pairs, at most ``max_rows``); options as ``TableOptions``."""

    def __init__(self, ctx: ConvertContext, path: Path, **options: Unpack[TableOptions]) -> None:
        self.ctx, self.path = ctx, path
        self.delimiter = options.get("delimiter", ",")
        limit = options.get("max_rows")
        self.max_rows = MAX_TABLE_ROWS if limit is None else limit
        self.strip = options.get("strip", False)
        self.kind = options.get("kind", "annotation_unreadable")

    def __enter__(self) -> CsvTable:
        self._fh = open(self.path, newline="", encoding="utf-8-sig", errors="replace")
        self.ctx.note_read(self.path)
        self._reader = csv.DictReader(self._fh, delimiter=self.delimiter)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._fh.close()

    @property
    def columns(self) -> list[str]:
        try:
            names = self._reader.fieldnames
        except csv.Error as exc:
            raise _csv_error(self.ctx, self.path, 1, exc) from None
        return [(n or "").strip() if self.strip else n for n in names or []]

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        for n, row in _bounded(self.ctx, self.path, self._reader, self.max_rows, 2, self.kind):
            if self.strip:
                row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            yield n, row


def csv_dicts(ctx: ConvertContext, path: Path, **options: Unpack[TableOptions]) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number from 2, row as a dict keyed by the header) of a CSV table, at most ``max_rows`` (default
    ``MAX_TABLE_ROWS``; see ``CsvTable``)."""
    with CsvTable(ctx, path, **options) as table:
        yield from table.rows()


def csv_lists(
    ctx: ConvertContext, path: Path, *, delimiter: str = ",", max_rows: int | None = None
) -> Iterator[tuple[int, list[str]]]:
    """(row number from 1, cells) of a CSV table read without a header, at most ``max_rows`` rows."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        ctx.note_read(path)
        limit = MAX_TABLE_ROWS if max_rows is None else max_rows
        yield from _bounded(ctx, path, csv.reader(fh, delimiter=delimiter), limit, 1, "annotation_unreadable")


def read_document_bytes(
    ctx: ConvertContext, path: Path, consequence: str, *, max_bytes: int | None = None
) -> bytes | None:
    """The bytes of a document read whole (an XML file), or None with the reason reported when it is over
    ``max_bytes`` (default ``MAX_DOCUMENT_BYTES``): "more than <max> bytes, over the limit: not read; <consequence>".
    At most ``max_bytes + 1`` bytes are read, whatever the file system says its size is; ``OSError`` is left to the
    caller."""
    limit = MAX_DOCUMENT_BYTES if max_bytes is None else max_bytes
    with open(path, "rb") as fh:
        raw = fh.read(limit + 1)
    ctx.note_read(path)
    if len(raw) > limit:
        ctx.problem(
            "annotation_unreadable", path, f"more than {limit:,} bytes, over the limit: not read; {consequence}"
        )
        return None
    return raw


def read_document(
    ctx: ConvertContext,
    path: Path,
    consequence: str,
    *,
    max_bytes: int | None = None,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> str | None:
    """The text of a document read whole (a JSON file), or None when it is over the limit (see
    ``read_document_bytes``). ``OSError`` and ``UnicodeDecodeError`` (a ``ValueError``) are left to the caller, which
    reports them as it did."""
    raw = read_document_bytes(ctx, path, consequence, max_bytes=max_bytes)
    return None if raw is None else raw.decode(encoding, errors)


def read_lines(
    path: Path,
    max_lines: int | None = None,
    *,
    ctx: ConvertContext | None = None,
    encoding: str = "utf-8",
    errors: str = "replace",
) -> list[str]:
    """The first ``max_lines`` lines (default ``MAX_TABLE_ROWS``) of a text list, line ends dropped, read line by line
    (never the whole file at once): a line over ``MAX_LINE_CHARS`` characters, or lines past ``MAX_DOCUMENT_BYTES``
    characters in all, end the read, which ``ctx`` (when given) reports. ``OSError`` is left to the caller."""
    limit = MAX_TABLE_ROWS if max_lines is None else max_lines
    out: list[str] = []
    total = 0
    with open(path, encoding=encoding, errors=errors) as fh:
        if ctx is not None:
            ctx.note_read(path)
        while len(out) < limit:
            line = fh.readline(MAX_LINE_CHARS + 1)
            if not line:
                break
            total += len(line)
            if len(line) > MAX_LINE_CHARS or total > MAX_DOCUMENT_BYTES:
                if ctx is not None:
                    over = (
                        f"over {MAX_LINE_CHARS:,} characters" if len(line) > MAX_LINE_CHARS else "past the size limit"
                    )
                    ctx.problem(
                        "annotation_unreadable", path, f"line {len(out) + 1} is {over}: it and the rest are not read"
                    )
                break
            out.append(line.rstrip("\r\n"))
    return out
