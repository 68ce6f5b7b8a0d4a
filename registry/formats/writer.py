"""Write a converted dataset atomically: build in a hidden sibling directory, then rename it into place.

``DatasetWriter`` is a context manager. Inside it the pipeline writes images and masks into ``staging``; ``finish``
writes the manifest, COCO files, metadata, checks, Croissant and checksums, then swaps the staging directory in. If
anything fails or the process is interrupted, the staging directory is removed (or, after a hard kill, left hidden
and removed by the next conversion) and an earlier complete version, if any, is untouched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock

from .. import __version__
from ..checks.status import CheckStatus
from ..clock import now_iso
from ..home import conversion_lock, lock_file
from .coco import InstanceStore, category_table, write_coco
from .croissant import build_croissant, write_croissant
from .hf_folder import write_hf_folder
from .layout import (
    CHECKS_NAME,
    CROISSANT_NAME,
    METADATA_NAME,
    dataset_dir,
    sha256_file,
    write_checksums,
)
from .manifest import MANIFEST_NAME, write_manifest

if TYPE_CHECKING:
    from ..loaders.base import ConvertContext
    from ..loaders.splits import SplitResult
    from ..schema import Dataset

METADATA_SCHEMA = "usreg-dataset/1"

INSTANCES_NAME = ".coco-instances.jsonl"


class ConversionState(StrEnum):
    """``metadata.json`` ``status.state`` of a converted dataset."""

    COMPLETE = "complete"  # every data check passed and every source image was used
    PARTIAL = "partial"  # a check failed or source images were dropped; ``status.reasons`` says which


def conversion_status(checks: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    """``complete`` when every data check passes and no source image was dropped, else ``partial`` with the reasons."""
    failed = [c for c in checks.get("checks", []) if c.get("status") == CheckStatus.FAIL]
    reasons = [f"check {c['name']} failed: {c.get('summary', '')}".rstrip(": ") for c in failed]
    files = metadata.get("source_files") or {}
    dropped = int(files.get("dropped", 0))
    if dropped:
        why = ", ".join(f"{k} {v}" for k, v in (files.get("dropped_by_reason") or {}).items())
        reasons.append(f"{dropped} source image file(s) were not used ({why})")
    return {
        "state": ConversionState.PARTIAL if reasons else ConversionState.COMPLETE,
        "reasons": reasons,
        "failed_checks": [c["name"] for c in failed],
        "dropped_files": dropped,
    }


@dataclass
class Staged:
    """A conversion written to the staging directory, waiting for its data checks."""

    path: Path
    metadata: dict[str, Any]
    files: dict[str, str]
    targets: list[str]


class DatasetWriter:
    def __init__(self, home: Path, dataset_id: str, version: str) -> None:
        self.home = Path(home)
        self.dataset_id = dataset_id
        self.version = version
        self.target = dataset_dir(self.home, dataset_id, version)
        self.parent = self.target.parent
        self.staging = self.parent / f".{version}.partial-{uuid.uuid4().hex[:12]}"
        self._lock = FileLock(str(conversion_lock(self.home, dataset_id, version)))
        self._instances: InstanceStore | None = None

    def __enter__(self) -> DatasetWriter:
        self.parent.mkdir(parents=True, exist_ok=True)
        self._lock.acquire()
        try:
            for stale in self.parent.glob(f".{self.version}.partial-*"):
                shutil.rmtree(stale, ignore_errors=True)
            for stale in self.parent.glob(f".{self.version}.old-*"):
                shutil.rmtree(stale, ignore_errors=True)
            (self.staging / "images").mkdir(parents=True)
        except BaseException:
            self._lock.release()
            raise
        return self

    def instance_store(self) -> InstanceStore:
        """Where the pipeline spills COCO instances until ``finish`` writes the COCO files."""
        self._instances = InstanceStore(self.staging / INSTANCES_NAME)
        return self._instances

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self._instances is not None:
                self._instances.remove()
            if self.staging.exists():
                shutil.rmtree(self.staging, ignore_errors=True)
        finally:
            self._lock.release()

    # ------------------------------------------------------------------------------------------------------------
    def stage(
        self,
        *,
        entry: Dataset,
        converter: dict[str, Any],
        ctx: ConvertContext,
        rows: list[dict[str, Any]],
        split: SplitResult,
        problems: list[Any],
        files: dict[str, str],
        source_dir: Path,
        source_files: dict[str, Any] | None = None,
    ) -> Staged:
        """Write the manifest, the Hugging Face view and the COCO files into the staging directory; the metadata is
        returned, to be written by :meth:`publish` once the data checks have run on the staged files."""
        staging = self.staging
        write_manifest(staging / MANIFEST_NAME, rows, split.kind, split.seed)
        write_hf_folder(staging, rows)
        files = dict(files)
        files[MANIFEST_NAME] = sha256_file(staging / MANIFEST_NAME)

        targets = {name: t.classes for name, t in sorted(ctx.targets.items())}
        used_targets = sorted({m["target"] for r in rows for m in r["masks"]})
        for name in used_targets:
            targets.setdefault(name, {0: "background"})
        box_categories = list(ctx.box_categories) or sorted({b["category"] for r in rows for b in r["boxes"]})

        metadata = self._metadata(entry, converter, ctx, rows, split, problems, targets, box_categories, source_dir)
        if source_files is not None:
            metadata["source_files"] = source_files
        self._write_coco(rows, targets, box_categories, metadata)
        if self._instances is not None:
            self._instances.remove()
        return Staged(staging, metadata, files, [t for t in targets if t in used_targets])

    def publish(self, staged: Staged, checks: dict[str, Any]) -> Path:
        """Write the checks, the metadata (with the conversion's status), Croissant and the checksums, then swap the
        staged directory into place."""
        staging, metadata = staged.path, staged.metadata
        (staging / CHECKS_NAME).write_text(json.dumps(checks, indent=2), encoding="utf-8")
        metadata["status"] = conversion_status(checks, metadata)
        (staging / METADATA_NAME).write_text(json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8")
        doc = build_croissant(metadata, staged.files[MANIFEST_NAME], staged.targets)
        write_croissant(staging / CROISSANT_NAME, doc)
        write_checksums(staging, staged.files)
        self._publish()
        return self.target

    def _metadata(
        self,
        entry: Dataset,
        converter: dict[str, Any],
        ctx: ConvertContext,
        rows: list[dict[str, Any]],
        split: SplitResult,
        problems: list[Any],
        targets: dict[str, dict[int, str]],
        box_categories: list[str],
        source_dir: Path,
    ) -> dict[str, Any]:
        subjects = {r["subject_id"] for r in rows if r.get("subject_id")}
        converted = {r["sample_id"] for r in rows}
        kinds: dict[str, int] = defaultdict(int)
        for p in problems:
            kinds[p.kind] += 1
        labels = ctx.label_classes
        if labels is None:
            found = sorted({r["label"] for r in rows if r.get("label") is not None})
            labels = found or None
        return {
            "schema": METADATA_SCHEMA,
            "id": self.dataset_id,
            "version": self.version,
            "created": now_iso(zulu=True),
            "usreg_version": __version__,
            "converter": converter,
            "entry": entry.model_dump(mode="json", exclude_none=True),
            "targets": {
                name: {
                    "classes": {str(k): v for k, v in sorted(classes.items())},
                    "description": getattr(ctx.targets.get(name), "description", ""),
                }
                for name, classes in targets.items()
            },
            "labels": labels,
            "box_categories": box_categories,
            "splits": {**split.as_dict(), "note": ctx.split_note, **ctx.split_info},
            "counts": {
                "samples": len(rows),
                "subjects": len(subjects),
                "with_masks": sum(1 for r in rows if r["masks"]),
                "with_boxes": sum(1 for r in rows if r["boxes"]),
                "with_label": sum(1 for r in rows if r.get("label") is not None),
                "skipped": len({p.sample_id for p in problems if p.severity == "error" and p.sample_id} - converted),
            },
            "problem_counts": dict(sorted(kinds.items())),
            "problems": [p.as_dict() for p in problems],
            "source": {"dir": str(source_dir), "lock": self._source_lock()},
        }

    def _source_lock(self) -> dict[str, Any] | None:
        lock = lock_file(self.home, self.dataset_id, self.version)
        if not lock.is_file():
            return None
        try:
            return json.loads(lock.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return {"error": f"unreadable {lock.name}: {exc}"}

    def _write_coco(
        self,
        rows: list[dict[str, Any]],
        targets: dict[str, dict[int, str]],
        box_categories: list[str],
        metadata: dict[str, Any],
    ) -> None:
        if not any(r["masks"] or r["boxes"] for r in rows):
            return
        categories, lookup = category_table(targets, box_categories)
        by_split: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            by_split[r["split"]].append(r)
        for split_name, split_rows in sorted(by_split.items()):
            info = {
                "description": f"{self.dataset_id} {split_name} split, converted by usreg; file_name is relative to "
                "the dataset directory",
                "version": self.version,
                "date_created": metadata["created"],
                "contributor": "usreg",
            }
            store = self._instances
            safe_split = re.sub(r"[^A-Za-z0-9._-]+", "_", split_name).strip("._") or "split"
            write_coco(
                self.staging / "annotations" / f"coco_{safe_split}.json",
                split_rows,
                store.get if store is not None else (lambda _sid: {}),
                categories,
                lookup,
                info,
            )

    def _publish(self) -> None:
        """Swap the finished staging directory into place; the previous version is removed only afterwards."""
        old = None
        if self.target.exists():
            old = self.parent / f".{self.version}.old-{uuid.uuid4().hex[:12]}"
            os.replace(self.target, old)
        os.replace(self.staging, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
