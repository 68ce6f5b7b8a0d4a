"""MATLAB ``.mat`` files whose variable ``data`` is a struct array, one record per sample (OASBUD, the fatty-liver
B-mode set): reading the records and their one-value fields."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import UsregError

MAX_RECORDS = 100_000  # records of the struct array ``data`` (the releases: 100 and 55)
MAX_UNPACKED_BYTES = 2 << 30  # all variables of one file, unpacked (the releases: under 200 MB)
MI_COMPRESSED = 15  # the MATLAB 5 element type of a zlib-compressed variable
CHUNK = 1 << 20


def struct_records(entry_id: str, path: Path, reads: str) -> np.ndarray:
    """The records of the variable ``data`` in ``path``, flattened; a clear error when the file is not a readable
    MATLAB file, has no such variable or declares more than MAX_RECORDS records (``reads`` names the file the loader
    expects, for the hint). The variables' headers are read first, and no other variable is loaded."""
    try:
        import scipy.io
    except ImportError:  # pragma: no cover - scipy is in the data extra
        raise UsregError(f"{entry_id}: reading its .mat file needs scipy", hint="pip install 'usreg[data]'") from None
    again = f"check that the download is complete: `usreg cache clean {entry_id}` then fetch again"
    unpacked = unpacked_size(path)
    if unpacked > MAX_UNPACKED_BYTES:
        raise UsregError(
            f"{entry_id}: {path.name} unpacks to more than {MAX_UNPACKED_BYTES:,} bytes ({path.stat().st_size:,} on "
            "disk): a damaged file or a decompression bomb; not read",
            hint=again,
        )
    try:
        found = {name: (shape, kind) for name, shape, kind in scipy.io.whosmat(str(path))}
        if "data" in found:
            _check_records(entry_id, path, reads, *found["data"])
        data = scipy.io.loadmat(str(path), variable_names=["data"]) if "data" in found else {}
    except (ValueError, OSError, NotImplementedError, EOFError, scipy.io.matlab.MatReadError) as exc:
        raise UsregError(f"{entry_id}: {path.name} is not a readable MATLAB file ({exc})", hint=again) from None
    if "data" not in data:
        raise UsregError(
            f"{entry_id}: {path.name} has no variable 'data' (found: {', '.join(sorted(found)) or 'none'})",
            hint=f"this loader reads {reads}",
        )
    return np.asarray(data["data"]).reshape(-1)


def unpacked_size(path: Path) -> int:
    """Bytes the variables of a MATLAB 5 file unpack to, counted by inflating its compressed elements a chunk at a
    time and stopping past ``MAX_UNPACKED_BYTES`` (scipy inflates each element whole, so a file of 10 MB can take
    10 GB of memory); 0 for other files (MATLAB 4, 7.3), which scipy refuses or reads as they are."""
    total = 0
    with open(path, "rb") as f:
        header = f.read(128)
        if len(header) < 128 or header[126:128] not in (b"IM", b"MI"):
            return 0
        order = "<" if header[126:128] == b"IM" else ">"
        while total <= MAX_UNPACKED_BYTES:
            tag = f.read(8)
            if len(tag) < 8:
                break
            kind, size = struct.unpack(order + "II", tag)
            if kind != MI_COMPRESSED:
                total += size
                f.seek(size + (-size % 8), 1)
                continue
            inflater, left = zlib.decompressobj(), size
            while left > 0 and total <= MAX_UNPACKED_BYTES:
                data = f.read(min(left, CHUNK))
                if not data:
                    break
                left -= len(data)
                try:
                    while data and total <= MAX_UNPACKED_BYTES:
                        total += len(inflater.decompress(data, CHUNK))
                        data = inflater.unconsumed_tail
                except zlib.error:
                    return total  # damaged: scipy reports it
            f.seek(left, 1)
    return total


def _check_records(entry_id: str, path: Path, reads: str, shape: tuple[int, ...], kind: str) -> None:
    records = int(np.prod(shape, dtype=np.float64))
    if kind != "struct" or records > MAX_RECORDS:
        raise UsregError(
            f"{entry_id}: {path.name}'s variable 'data' is a {kind} array of shape {shape}, not a struct array of at "
            f"most {MAX_RECORDS:,} records",
            hint=f"this loader reads {reads}",
        )


def scalar(value: Any) -> Any:
    """The one value of a MATLAB field (a 1x1 array), as a Python value; ValueError when it holds more or none."""
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"expected one value, found {arr.size}")
    item = arr.reshape(-1)[0]
    return item.item() if isinstance(item, np.generic) else item
