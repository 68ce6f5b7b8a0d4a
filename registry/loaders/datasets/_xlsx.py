"""Excel workbooks (``.xlsx``) read with openpyxl: the check made before opening one. openpyxl reads a workbook's
shared strings and styles whole, even in read-only mode, so a small file whose parts inflate to gigabytes (a zip bomb)
would exhaust memory; the zip's directory says how large each part unpacks, and zipfile never unpacks more."""

from __future__ import annotations

import zipfile
from pathlib import Path

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
