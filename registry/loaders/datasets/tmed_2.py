"""TMED-2, the Tufts Medical Echocardiogram Dataset version 2 (Huang et al.; tmed.cs.tufts.edu).

Layout (the authors' ``tufts-ml/tmed2-echocardiogram-classifiers``: ``LoadData_Visualize.ipynb``,
``TMED2_Summary_Tables.ipynb`` and ``Data_Processing/*``): the release folder ``approved_users_only/`` holds

- ``labels_per_image.csv`` (``query_key``, ``view_label``, ``diagnosis_label``): one row per labelled image;
- ``view_and_diagnosis_labeled_set/labeled/*.png`` (view and study-level aortic-stenosis labels) and
  ``view_labeled_set/labeled/*.png`` (view labels only), 112 x 112 grey PNGs named ``<patient>s<study>_<n>.png``;
- ``DEV479/``, ``DEV165/``, ``DEV56/`` with ``TMED2_fold{0,1,2}_labeledpart.csv`` (``query_key``, ``view_label``,
  ``diagnosis_label``, ``SourceFolder``, ``view_classifier_split``, ``diagnosis_classifier_split``) and the matching
  ``*_unlabeledpart.csv``;
- unlabelled images (``view_and_diagnosis_labeled_set/unlabeled/`` and the unlabelled set).

The sets may come as inner zips (``labeled.zip`` holding ``labeled/``); fetch unpacks them where they lie, and the
converter finds each image by its file name.

- One sample per labelled image (the rows of ``labels_per_image.csv`` and of the fold CSV); ``label`` is the view
  (option ``label: view``, default) or the aortic-stenosis grade (``label: diagnosis``; ``Not_Provided`` = no label).
  Both labels, the study and both split columns go to ``extra``.
- Split: the fold CSV's (option ``fold_csv``, default ``DEV479/TMED2_fold0_labeledpart.csv``)
  ``view_classifier_split`` or ``diagnosis_classifier_split``, whichever matches ``label``; images it does not place
  in train / val / test get a seeded split grouped by patient.
- Subject: the patient number (the part before ``s``), so a patient's studies stay in one split.
- Unlabelled images (outside a ``labeled/`` folder and in no label CSV) are left out on purpose; an image in a
  ``labeled/`` folder that no CSV lists is reported and not converted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Item, register, safe_id
from ..common import canonical_split, image_decode
from ..generic_csv import read_csv_rows
from ..splits import natural_key

VIEWS = ["PLAX", "PSAX", "A4C", "A2C", "A4CorA2CorOther"]
DIAGNOSES = ["no_AS", "mild_AS", "mildtomod_AS", "moderate_AS", "severe_AS"]
NOT_PROVIDED = {"", "not_provided", "nan"}
OFFICIAL = {"train", "val", "test"}
QUERY_KEY = re.compile(r"^(?P<patient>\d+)s(?P<study>\d+)_(?P<image>\d+)\.png$", re.IGNORECASE)
LABELS_CSV = "labels_per_image.csv"


class Options(CommonOptions):
    label: Literal["view", "diagnosis"] = Field(
        "view", description="The sample label: the echocardiogram view, or the study's aortic-stenosis grade."
    )
    fold_csv: str = Field(
        "DEV479/TMED2_fold0_labeledpart.csv",
        description="The published split file, relative to the release folder (DEV479/DEV165/DEV56, fold 0-2).",
    )


def _value(text: str | None) -> str | None:
    text = (text or "").strip()
    return None if text.lower() in NOT_PROVIDED else text


def _read_labels(ctx: ConvertContext, path: Path, rows: dict[str, dict[str, str | None]], fold: bool) -> None:
    """Add ``path``'s rows to ``rows`` (query_key -> fields); a row whose labels contradict an earlier file's is
    reported (the earlier labels are kept)."""
    for n, row in enumerate(read_csv_rows(ctx, path), start=2):
        key = (row.get("query_key") or "").strip()
        if not key:
            ctx.problem("annotation_unreadable", path, f"line {n}: no query_key", severity="warning")
            continue
        entry = rows.setdefault(key, {"csv": ctx.rel(path)})
        for field in ("view_label", "diagnosis_label"):
            value = _value(row.get(field))
            if value is None:
                continue
            if entry.get(field) not in (None, value):
                ctx.problem(
                    "annotation_unreadable",
                    path,
                    f"line {n}: {key} has {field} {value!r} here but {entry[field]!r} in {entry['csv']}; "
                    "the first is kept",
                    severity="warning",
                )
                continue
            entry[field] = value
        if fold:
            entry["SourceFolder"] = _value(row.get("SourceFolder"))
            for column in ("view_classifier_split", "diagnosis_classifier_split"):
                entry[column] = _value(row.get(column))


@register
class Tmed2(Converter):
    name = "tmed-2"
    summary = (
        "approved_users_only/ with labels_per_image.csv, DEV479/TMED2_fold<k>_labeledpart.csv splits and "
        "*_labeled_set/labeled/<patient>s<study>_<n>.png images"
    )
    Options = Options

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(Options)
        root = ctx.find_dir(
            lambda d: (d / LABELS_CSV).is_file() or (d / opts.fold_csv).is_file(),
            f"{LABELS_CSV} or {opts.fold_csv}",
        )
        rows: dict[str, dict[str, str | None]] = {}
        if (root / LABELS_CSV).is_file():
            _read_labels(ctx, root / LABELS_CSV, rows, fold=False)
        fold_csv = root / opts.fold_csv
        split_column = f"{opts.label}_classifier_split"
        if fold_csv.is_file():
            _read_labels(ctx, fold_csv, rows, fold=True)
            ctx.split_note = (
                f"Official split: {opts.fold_csv}'s {split_column} (train / val / test); labelled images it does "
                "not place there get a seeded split grouped by patient."
            )
        else:
            ctx.problem(
                "missing_annotation", root, f"{opts.fold_csv} not found: a seeded split grouped by patient is used"
            )
            ctx.split_note = "No fold CSV: a seeded split grouped by patient."
        classes = VIEWS if opts.label == "view" else DIAGNOSES
        ctx.declare_labels(classes)

        pngs: dict[str, list[Path]] = {}
        for f in ctx.files():
            if f.suffix.lower() == ".png":
                pngs.setdefault(f.name, []).append(f)

        used: set[Path] = set()
        for key in sorted(rows, key=natural_key):
            info = rows[key]
            path = self._image(root, key, info.get("SourceFolder"), pngs)
            sid = safe_id(Path(key).stem)
            if path is None:
                ctx.problem(
                    "missing_image", info["csv"] or root, f"{key} is listed but not in the download", "error", sid
                )
                continue
            used.add(path)
            m = QUERY_KEY.match(key)
            if m is None:
                ctx.problem(
                    "annotation_unreadable",
                    path,
                    "the name is not <patient>s<study>_<n>.png: no patient, so it is its own subject",
                    severity="warning",
                    sample_id=sid,
                )
            split = _value(info.get(split_column))
            split = canonical_split(split) if split else None
            view, diagnosis = info.get("view_label"), info.get("diagnosis_label")
            extra = {
                "view": view,
                "diagnosis": diagnosis or "Not_Provided",
                "study": f"{m['patient']}s{m['study']}" if m else None,
                "view_classifier_split": info.get("view_classifier_split"),
                "diagnosis_classifier_split": info.get("diagnosis_classifier_split"),
            }
            yield Item(
                sample_id=sid,
                image=image_decode(ctx, path),
                source_file=ctx.rel(path),
                split=split if split in OFFICIAL else None,
                subject_id=m["patient"] if m else sid,
                label=ctx.check_label(view if opts.label == "view" else diagnosis, info["csv"] or root, sid),
                extra={k: v for k, v in extra.items() if v is not None},
                annotation_file=info["csv"],
            )

        for name, paths in sorted(pngs.items()):
            for path in paths:
                if path in used:
                    continue
                if name not in rows and "labeled" not in path.relative_to(ctx.source_dir).parts:
                    ctx.ignore_file(path, "an unlabelled image (no view or diagnosis label): not converted")
                elif name not in rows:
                    ctx.problem(
                        "missing_annotation",
                        path,
                        f"in a labeled/ folder but in neither {LABELS_CSV} nor {opts.fold_csv}; not converted",
                    )
                else:
                    chosen = self._image(root, name, rows[name].get("SourceFolder"), pngs)
                    ctx.problem(
                        "duplicate_image",
                        path,
                        f"{name} is also at {ctx.rel(chosen or path)}; only that one is converted",
                        severity="warning",
                    )

    @staticmethod
    def _image(root: Path, key: str, folder: str | None, pngs: dict[str, list[Path]]) -> Path | None:
        """The image file of ``key``: in its SourceFolder if that holds it, else the one in a ``labeled/`` folder,
        else the first found."""
        if folder and (root / folder / key).is_file():
            return root / folder / key
        found = pngs.get(Path(key).name, [])
        for path in found:
            if path.parent.name == "labeled":
                return path
        return found[0] if found else None
