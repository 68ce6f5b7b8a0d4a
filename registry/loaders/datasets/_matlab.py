"""MATLAB ``.mat`` files whose variable ``data`` is a struct array, one record per sample (OASBUD, the fatty-liver
B-mode set): reading the records and their one-value fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...errors import UsregError


def struct_records(entry_id: str, path: Path, reads: str) -> np.ndarray:
    """The records of the variable ``data`` in ``path``, flattened; a clear error when the file is not a readable
    MATLAB file or has no such variable (``reads`` names the file the loader expects, for the hint)."""
    try:
        import scipy.io
    except ImportError:  # pragma: no cover - scipy is in the data extra
        raise UsregError(f"{entry_id}: reading its .mat file needs scipy", hint="pip install 'usreg[data]'") from None
    try:
        data = scipy.io.loadmat(str(path))
    except (ValueError, OSError, NotImplementedError) as exc:
        raise UsregError(
            f"{entry_id}: {path.name} is not a readable MATLAB file ({exc})",
            hint=f"check that the download is complete: `usreg cache clean {entry_id}` then fetch again",
        ) from None
    if "data" not in data:
        raise UsregError(
            f"{entry_id}: {path.name} has no variable 'data' (found: {', '.join(sorted(data)) or 'none'})",
            hint=f"this loader reads {reads}",
        )
    return np.asarray(data["data"]).reshape(-1)


def scalar(value: Any) -> Any:
    """The one value of a MATLAB field (a 1x1 array), as a Python value; ValueError when it holds more or none."""
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"expected one value, found {arr.size}")
    item = arr.reshape(-1)[0]
    return item.item() if isinstance(item, np.generic) else item
