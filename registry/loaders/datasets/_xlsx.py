"""Excel workbooks (``.xlsx``) read with openpyxl: the check made before opening one, and the pieces every table
reader shares (opening, the damaged-sheet report, the header, the row limit). openpyxl reads a workbook's
shared strings and styles whole, even in read-only mode, so a small file whose parts inflate to gigabytes (a zip bomb)
would exhaust memory; the zip's directory says how large each part unpacks, and zipfile never unpacks more."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sized
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ...errors import UsregError
from ..base import ConvertContext

MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # all parts of one workbook, unpacked


def unpacked_size_problem(path: Path) -> str | None:
    """Why ``path`` is not opened as a workbook (not a zip, or parts over ``MAX_UNPACKED_BYTES`` unpacked), or None."""
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        return f"not a readable xlsx workbook: {str(exc)[:200]}"
    if size > MAX_UNPACKED_BYTES:
        return f"its parts unpack to {size:,} bytes, more than {MAX_UNPACKED_BYTES:,}: not read"
    return None


def open_workbook(ctx: ConvertContext, path: Path, reader: str, *, size_note: str = "", open_note: str = "") -> Any:
    """The workbook at ``path`` opened read-only, or None with the reason reported (too large unpacked, damaged).

    ``reader`` names who reads it (``"us3m: reading BD3M.xlsx"``) in the error raised when openpyxl is missing;
    ``size_note`` and ``open_note`` end the problem reported when the size check or the opening fails."""
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is in the data extra
        raise UsregError(f"{reader} needs openpyxl", hint="pip install 'usreg[data]'") from None
    unreadable = unpacked_size_problem(path)
    if unreadable:
        ctx.problem("annotation_unreadable", path, f"{unreadable}{size_note}")
        return None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors on a damaged file
        ctx.problem("annotation_unreadable", path, f"not a readable xlsx workbook: {str(exc)[:200]}{open_note}")
        return None
    ctx.note_read(path)
    return book


@contextmanager
def damage_reported(ctx: ConvertContext, path: Path, book: Any, read: Sized, note: str = "") -> Iterator[None]:
    """Closes ``book`` after the block; a damaged sheet (bad XML, a broken zip stream), which fails while its rows are
    read, is reported with the count of rows kept so far (``len(read)``) instead of raised."""
    try:
        yield
    except Exception as exc:
        ctx.problem("annotation_unreadable", path, f"unreadable after {len(read)} rows: {str(exc)[:200]}{note}")
    finally:
        book.close()


def header_of(rows: Iterator[tuple[Any, ...]]) -> list[str]:
    """The next row of ``rows`` as stripped text, empty cells as ''; [] when the sheet has no rows."""
    return [str(c).strip() if c is not None else "" for c in next(rows, ())]


def bounded_rows(
    ctx: ConvertContext, path: Path, rows: Iterator[tuple[Any, ...]], max_rows: int, *, start: int = 2
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, row) of ``rows`` numbered from ``start``; the row numbered past ``max_rows`` and those after it are
    not read, and that is reported."""
    for n, row in enumerate(rows, start=start):
        if n > max_rows:
            ctx.problem("annotation_unreadable", path, f"more than {max_rows:,} rows: the rest are not read")
            break
        yield n, row


def binary_code(value: str) -> int | None:
    """A 0/1 class cell as read from a sheet ('1', '1.0', ' 0 '), or None for any other value."""
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number in (0.0, 1.0) else None
