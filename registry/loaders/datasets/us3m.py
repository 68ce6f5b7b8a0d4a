"""US3M, the multimodal breast ultrasound release of TDF-Net (Kaggle timesxy/multimodal-breast-ultrasound-dataset-us3m).

Layout (from code that opened the download: wujia-xyz/DABI-Net's TDF-Net baseline, whose data README and dataset
class read it, and the authors' TimesXY/TDF_Net README):

- ``BD3M.xlsx``: one row per patient; column ``序号`` (serial number) is the patient id and column
  ``病理结果（0：良性，1：恶性）`` (pathology result, 0 benign, 1 malignant) the label.
- ``BD3M/<patient id>/BUS_*.jpg``, ``DUS_*.jpg`` and ``EUS_*.jpg``: the B-mode, colour Doppler and elastography images
  of that patient (DABI-Net joins ``str(id)``; the authors' README shows a zero-padded ``001/``, so a folder is matched
  to its row by number when both are numbers).

One sample per image, labelled with its patient's pathology; the modality (``BUS``, ``DUS``, ``EUS``) is kept in
``extra``. The patient is the subject, so no patient is in two splits; the release has no official split.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ...errors import UsregError
from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import entry_classes, image_decode
from ._xlsx import binary_code, bounded_rows, damage_reported, header_of, open_workbook

TABLE = "bd3m.xlsx"
IMAGE_FOLDER = "BD3M"
ID_COLUMN = "序号"
LABEL_COLUMN = "病理结果（0：良性，1：恶性）"
MODALITIES = {"BUS": "b-mode", "DUS": "colour doppler", "EUS": "elastography"}
IMAGE_NAME = re.compile(r"^(?P<modality>BUS|DUS|EUS)_[^/]*\.jpe?g$", re.IGNORECASE)
MAX_ROWS = 100_000


class Us3mOptions(CommonOptions):
    id_column: str = Field(ID_COLUMN, description="Column of BD3M.xlsx holding the patient id (folder name).")
    label_column: str = Field(LABEL_COLUMN, description="Column of BD3M.xlsx holding the pathology (0/1).")


def patient_key(value: object) -> str:
    """A patient id as compared with folder names: numbers without leading zeros ('001', 1 and 1.0 are '1')."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def read_table(ctx: ConvertContext, path: Path, opts: Us3mOptions) -> list[tuple[int, str, str]]:
    """(row number, patient id, label cell) of BD3M.xlsx's first sheet; empty rows are skipped."""
    book = open_workbook(ctx, path, "us3m: reading BD3M.xlsx", size_note="; no labels read")
    if book is None:
        return []
    out: list[tuple[int, str, str]] = []
    with damage_reported(ctx, path, book, out):
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = header_of(rows)
        missing = [c for c in (opts.id_column, opts.label_column) if c not in header]
        if missing:
            ctx.problem("annotation_unreadable", path, f"no column(s) {missing} (found {header}); no labels read")
            return []
        id_col, label_col = header.index(opts.id_column), header.index(opts.label_column)
        for n, row in bounded_rows(ctx, path, rows, MAX_ROWS):
            cells = list(row)
            pid = cells[id_col] if id_col < len(cells) else None
            value = cells[label_col] if label_col < len(cells) else None
            if pid is None and value is None:
                continue
            if pid is None or not str(pid).strip():
                ctx.problem("annotation_unreadable", path, f"row {n}: no patient id; the row is skipped")
                continue
            out.append((n, patient_key(pid), "" if value is None else str(value).strip()))
    return out


@register
class Us3m(Converter):
    name = "us3m"
    summary = "BD3M.xlsx (patient -> pathology 0/1) with BD3M/<patient>/{BUS,DUS,EUS}_*.jpg"
    Options = Us3mOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(Us3mOptions)
        classes = entry_classes(ctx.entry)
        ctx.declare_labels([classes[k] for k in sorted(classes)])
        tables = [f for f in ctx.files() if f.name.lower() == TABLE]
        if not tables:
            raise UsregError(
                f"us3m: no BD3M.xlsx under {ctx.source_dir}",
                hint="Kaggle's timesxy/multimodal-breast-ultrasound-dataset-us3m holds BD3M.xlsx beside BD3M/",
            )
        for table in tables:
            yield from self._table(ctx, opts, table, classes)

    def _table(self, ctx: ConvertContext, opts: Us3mOptions, table: Path, classes: dict[int, str]) -> Iterator[Item]:
        root = table.parent / IMAGE_FOLDER
        if not root.is_dir():
            ctx.problem("missing_image", table, f"no {IMAGE_FOLDER}/ folder beside the table; nothing converted")
            return
        folders: dict[str, Path] = {}
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            key = patient_key(folder.name)
            if key in folders:
                ctx.problem("duplicate", folder, f"a second folder of patient {key}; not converted")
                continue
            folders[key] = folder
        for path in sorted(p for p in root.iterdir() if p.is_file()):
            ctx.problem("unexpected_file", path, "a file outside the patient folders; not converted")
        rows: dict[str, tuple[int, str]] = {}
        for n, pid, value in read_table(ctx, table, opts):
            if pid in rows:
                ctx.problem("duplicate", table, f"row {n}: patient {pid} is listed again; the first row is kept")
                continue
            rows[pid] = (n, value)
        for pid in sorted(set(rows) - set(folders), key=_natural):
            ctx.problem("missing_image", table, f"row {rows[pid][0]}: patient {pid} has no folder in {IMAGE_FOLDER}/")
        for pid in sorted(folders, key=_natural):
            folder = folders[pid]
            if pid not in rows:
                ctx.problem(
                    "missing_label", folder, f"patient {pid} is not in {table.name}; its images are not converted"
                )
                continue
            n, value = rows[pid]
            code = binary_code(value)
            where = f"{ctx.rel(table)}:{n}"
            if code is None or code not in classes:
                ctx.problem(
                    "unknown_label", table, f"row {n}: pathology {value!r} is not 0 or 1; images kept without label"
                )
            label = classes.get(code) if code is not None else None
            images = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
            if not any(IMAGE_NAME.match(p.name) for p in images):
                ctx.problem("missing_image", folder, f"patient {pid}: no BUS_, DUS_ or EUS_ image")
            for image in images:
                m = IMAGE_NAME.match(image.name)
                if not m or image.parent != folder:
                    ctx.problem("unexpected_file", image, "not a BUS_/DUS_/EUS_ image of the patient; not converted")
                    continue
                modality = m.group("modality").upper()
                sid = f"{pid}_{image.stem}"
                yield Item(
                    sample_id=sid,
                    image=image_decode(ctx, image),
                    source_file=ctx.rel(image),
                    subject_id=pid,
                    label=ctx.check_label(label, where, sid) if label else None,
                    extra={"modality": modality, "mode": MODALITIES[modality], "patient_folder": folder.name},
                    annotation_file=where,
                )


def _natural(key: str) -> tuple[int, int | str]:
    return (0, int(key)) if key.isdigit() else (1, key)
