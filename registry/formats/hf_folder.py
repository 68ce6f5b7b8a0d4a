"""A Hugging Face ``imagefolder`` view of a converted dataset, so that

    datasets.load_dataset("imagefolder", data_dir=<converted dataset>)

yields one split per usreg split with the images, the masks and the sample metadata.

The ``imagefolder`` builder takes its splits from folder names (``train/``, ``validation/``, ``test/``) and reads a
``metadata.jsonl`` whose ``file_name`` (and ``<column>_file_name``) must lie inside the metadata file's folder. So
``hf/<split>/`` holds the metadata and relative symbolic links to ``images/`` and ``masks/``: no pixel is stored
twice, and the links keep working when the dataset folder is moved or copied with ``cp -r``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HF_DIR = "hf"
METADATA = "metadata.jsonl"
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


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(target, link.parent), link)


def write_hf_folder(root: Path, rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Write ``hf/<split>/metadata.jsonl`` and the links for every row; returns the number of rows per folder.

    Rows in splits that `datasets` has no folder name for (e.g. ``unlabeled``) are left out of this view; they stay
    in ``manifest.parquet``.
    """
    per_split: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        folder = SPLIT_FOLDERS.get(str(row.get("split") or "").lower())
        if folder:
            per_split.setdefault(folder, []).append(row)
    counts: dict[str, int] = {}
    for folder, split_rows in sorted(per_split.items()):
        base = root / HF_DIR / folder
        base.mkdir(parents=True, exist_ok=True)
        lines = []
        for row in split_rows:
            sample_id = row["sample_id"]
            image_name = f"{sample_id}.png"
            _link(root / row["image"], base / image_name)
            record: dict[str, Any] = {"file_name": image_name}
            for mask in row.get("masks") or []:
                mask_name = f"masks_{mask['target']}/{sample_id}.png"
                _link(root / mask["path"], base / mask_name)
                record[f"mask_{mask['target']}_file_name"] = mask_name
            record.update(
                sample_id=sample_id,
                subject_id=row.get("subject_id"),
                label=row.get("label"),
                frame=row.get("frame"),
                usreg_split=row.get("split"),
            )
            lines.append(json.dumps(record, ensure_ascii=False))
        (base / METADATA).write_text("\n".join(lines) + "\n", encoding="utf-8")
        counts[folder] = len(split_rows)
    return counts
