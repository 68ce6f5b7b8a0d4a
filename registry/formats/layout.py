"""Where converted datasets live, and which directories count as complete.

``$USREG_HOME/datasets/<id>/<version>/`` is complete only once it exists under that name: conversions build in a
hidden sibling (``.<version>.partial-*``) and rename it into place as the last step, so a directory without a leading
dot always holds a finished conversion.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import UsageError, UsregError
from ..home import ID_RE, check_version
from ..home import dataset_dir as dataset_dir
from ..home import datasets_root as datasets_root
from ..home import downloads_dir as downloads_dir

CHECKSUMS_NAME = "CHECKSUMS.sha256"
METADATA_NAME = "metadata.json"
CHECKS_NAME = "checks.json"
CROISSANT_NAME = "croissant.json"


def complete_versions(home: Path, dataset_id: str) -> list[Path]:
    """Finished conversions of ``dataset_id``, newest first."""
    base = datasets_root(home) / dataset_id
    if not base.is_dir():
        return []
    found = [p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / CHECKSUMS_NAME).is_file()]
    return sorted(found, key=lambda p: (p / CHECKSUMS_NAME).stat().st_mtime, reverse=True)


def resolve_dataset_dir(home: Path, dataset_id: str, version: str | None = None) -> Path:
    """The directory of a converted dataset, or a clear error saying how to get it."""
    if not ID_RE.match(dataset_id or ""):
        raise UsageError(f"{dataset_id!r} is not a dataset id", hint="ids are kebab-case, e.g. carotid-plaque")
    if version is not None:
        check_version(version)
        path = dataset_dir(home, dataset_id, version)
        if (path / CHECKSUMS_NAME).is_file():
            return path
        others = [p.name for p in complete_versions(home, dataset_id)]
        raise UsregError(
            f"dataset '{dataset_id}' version '{version}' is not converted (no {path})"
            + (f"; converted versions: {', '.join(others)}" if others else ""),
            hint=f"run `usreg fetch {dataset_id}` (or `usreg convert {dataset_id}` if it is already downloaded)",
        )
    versions = complete_versions(home, dataset_id)
    if not versions:
        raise UsregError(
            f"dataset '{dataset_id}' is not fetched: nothing under {datasets_root(home) / dataset_id}",
            hint=f"run `usreg fetch {dataset_id}` first (USREG_HOME is {home})",
        )
    return versions[0]


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(root: Path, known: dict[str, str] | None = None) -> Path:
    """Write ``CHECKSUMS.sha256`` (``<sha256>  <relative path>`` per file, sorted) for every file under ``root``.

    ``known`` maps relative paths to digests already computed while writing, so those files are not read again.
    """
    known = known or {}
    lines = []
    # links (the hf/ view) point at files listed here already; hashing them again would double the work
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = path.relative_to(root).as_posix()
        if rel == CHECKSUMS_NAME:
            continue
        lines.append(f"{known.get(rel) or sha256_file(path)}  {rel}")
    target = root / CHECKSUMS_NAME
    tmp = target.with_name(f".{CHECKSUMS_NAME}.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


def read_checksums(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (root / CHECKSUMS_NAME).read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, rel = line.split("  ", 1)
            out[rel] = digest
    return out


def verify_checksums(root: Path) -> list[str]:
    """Relative paths whose content no longer matches ``CHECKSUMS.sha256`` (or that are missing)."""
    bad = []
    for rel, digest in read_checksums(root).items():
        path = root / rel
        if not path.is_file() or sha256_file(path) != digest:
            bad.append(rel)
    return bad
