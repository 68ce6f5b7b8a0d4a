"""A Hugging Face ``imagefolder`` view of a converted dataset, so that

    datasets.load_dataset("imagefolder", data_dir=<converted dataset>)

yields one split per usreg split with the images, the masks and the sample metadata.

The ``imagefolder`` builder takes its splits from folder names (``train/``, ``validation/``, ``test/``) and reads a
``metadata.parquet`` whose ``file_name`` (and ``<column>_file_name``) must lie inside the metadata file's folder. So
``hf/<split>/`` holds the metadata and relative symbolic links to ``images/`` and ``masks/``: no pixel is stored
twice, and the links keep working when the dataset folder is moved or copied with ``cp -r``.

The builder refuses splits whose metadata have different features, and it infers the features of a JSON or CSV
metadata file from its values: an unlabelled test split (no mask column, every label empty) would read as other
features than the training split. Parquet carries its schema, so every split's metadata is written with one schema:
each mask target's column in every split (empty where a sample has no such mask), labels and subjects as strings,
frames as integers.

The builder also reads a split from every file and folder name below ``data_dir``: a name that holds a split keyword
between separators (``test_image1.png``, ``case-val-3.png``, ``masks_dev/``) is taken as that split's file, so
``hf/train/test_image1.png`` would load as a ``test`` split without its metadata. Such a link is named after a hash
of its name instead (``sample-<hex>.png``): its ``sample_id`` column still names the sample.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HF_DIR = "hf"
METADATA = "metadata.parquet"
# usreg split name -> the folder name that `datasets` recognises for it
SPLIT_FOLDERS = {
    "train": "train",
    "training": "train",
    "val": "validation",
    "valid": "validation",
    "validation": "validation",
    "dev": "validation",
    "test": "test",
    "testing": "test",
}


#: a cross-validation fold's split name (fold0, Fold_3, fold-1)
FOLD = re.compile(r"(?i)fold[-_ ]?\d+")
#: a name that `datasets` reads as a split's file or folder: a split keyword at the start or after a separator, then
#: a separator or the end (its patterns ``{keyword}[-._ 0-9]*`` and ``*[-._ 0-9]{keyword}[-._ 0-9]*``, any case)
SPLIT_WORD = re.compile(
    r"(?i)(?:^|[-._ 0-9/])(?:train|training|validation|valid|dev|val|test|testing|eval|evaluation)(?:[-._ 0-9/]|$)"
)


def safe_name(name: str) -> str:
    """``name``, unless `datasets` would read a split from it; then ``sample-<hex>`` from a hash of it (hex digits
    spell no split keyword)."""
    if not SPLIT_WORD.search(name):
        return name
    return "sample-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(target, link.parent), link)


def write_hf_folder(root: Path, rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Write ``hf/<split>/metadata.parquet`` and the links for every row; returns the number of rows per folder.

    Rows in splits that `datasets` has no folder name for (e.g. ``unlabeled``) are left out of this view; they stay
    in ``manifest.parquet``. A dataset published as cross-validation folds only (``fold0`` ... ``foldN``, no train,
    validation or test) is written as one ``train`` folder, each sample's fold in its ``usreg_split`` column:
    ``datasets`` has no split name for a fold, and leaving every sample out would make the view empty.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(rows)
    per_split: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        folder = SPLIT_FOLDERS.get(str(row.get("split") or "").lower())
        if folder:
            per_split.setdefault(folder, []).append(row)
    if not per_split:
        folds = [row for row in rows if FOLD.fullmatch(str(row.get("split") or ""))]
        if folds:
            per_split["train"] = folds
    targets = sorted({str(m["target"]) for rs in per_split.values() for r in rs for m in r.get("masks") or []})
    schema = pa.schema(
        [("file_name", pa.string())]
        + [(f"mask_{target}_file_name", pa.string()) for target in targets]
        + [(name, pa.string()) for name in ("sample_id", "subject_id", "label")]
        + [("frame", pa.int64()), ("usreg_split", pa.string())]
    )
    counts: dict[str, int] = {}
    for folder, split_rows in sorted(per_split.items()):
        base = root / HF_DIR / folder
        base.mkdir(parents=True, exist_ok=True)
        records = [_record(root, base, row) for row in split_rows]
        pq.write_table(pa.Table.from_pylist(records, schema=schema), base / METADATA)
        counts[folder] = len(split_rows)
    return counts


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _record(root: Path, base: Path, row: dict[str, Any]) -> dict[str, Any]:
    """One sample's metadata row, with its image (and masks) linked into ``base``."""
    sample_id = row["sample_id"]
    image_name = f"{safe_name(str(sample_id))}.png"
    _link(root / row["image"], base / image_name)
    record: dict[str, Any] = {"file_name": image_name}
    for mask in row.get("masks") or []:
        mask_name = f"{safe_name('masks_' + str(mask['target']))}/{safe_name(str(sample_id))}.png"
        _link(root / mask["path"], base / mask_name)
        record[f"mask_{mask['target']}_file_name"] = mask_name
    frame = row.get("frame")
    record.update(
        sample_id=str(sample_id),
        subject_id=_text(row.get("subject_id")),
        label=_text(row.get("label")),
        frame=int(frame) if frame is not None else None,
        usreg_split=_text(row.get("split")),
    )
    return record
