"""MATLAB ``.mat`` files whose variable ``data`` is a struct array, one record per sample (OASBUD, the fatty-liver
B-mode set): reading the records and their one-value fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...errors import UsregError

MAX_RECORDS = 100_000  # records of the struct array ``data`` (the releases: 100 and 55)


def struct_records(entry_id: str, path: Path, reads: str) -> np.ndarray:
    """The records of the variable ``data`` in ``path``, flattened; a clear error when the file is not a readable
    MATLAB file, has no such variable or declares more than MAX_RECORDS records (``reads`` names the file the loader
    expects, for the hint). The variables' headers are read first, and no other variable is loaded."""
    try:
        import scipy.io
    except ImportError:  # pragma: no cover - scipy is in the data extra
        raise UsregError(f"{entry_id}: reading its .mat file needs scipy", hint="pip install 'usreg[data]'") from None
    again = f"check that the download is complete: `usreg cache clean {entry_id}` then fetch again"
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
