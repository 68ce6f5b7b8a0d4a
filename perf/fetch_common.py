"""Shared set-up of the fetch benchmarks: a large file on the local host server and a catalog pointing at it."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

HEADER = "# yaml-language-server: $schema=../../schemas/dataset.schema.json\n"


def parse_size(text: str) -> int:
    """``1G``, ``256M``, ``64K`` or a plain number of bytes (binary units)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", text, re.I)
    if not m:
        raise ValueError(f"not a size: {text!r}")
    return int(float(m.group(1)) * 1024 ** " KMGT".index((m.group(2) or " ").upper()))


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def make_blob(path: Path, size: int) -> Path:
    """A file of ``size`` random bytes (reused when it already has that size)."""
    if path.exists() and path.stat().st_size == size:
        return path
    chunk = 16 << 20
    with path.open("wb") as f:
        left = size
        while left:
            n = min(chunk, left)
            f.write(os.urandom(n))
            left -= n
    return path


def workdir(given: str | None) -> Path:
    path = Path(given) if given else Path(tempfile.gettempdir()) / "usreg-perf-fetch"
    path.mkdir(parents=True, exist_ok=True)
    return path


def catalog_with_http_file(root: Path, dataset_id: str, url: str) -> Path:
    """A one-entry catalog whose dataset is the file at ``url``."""
    import yaml

    (root / "entries" / "datasets").mkdir(parents=True, exist_ok=True)
    (root / "entries" / "models").mkdir(parents=True, exist_ok=True)
    entry = {
        "id": dataset_id,
        "name": "Fetch benchmark blob",
        "anatomy": ["other"],
        "sources": [{"kind": "http", "url": url}],
    }
    (root / "entries" / "datasets" / f"{dataset_id}.yaml").write_text(HEADER + yaml.safe_dump(entry, sort_keys=False))
    return root


def usreg_exe() -> str:
    exe = Path(sys.executable).with_name("usreg")
    return str(exe) if exe.exists() else "usreg"
