"""PCOSGen, the Auto-PCOS classification challenge's ovarian ultrasound frames (Zenodo 10430727 and 10960327).

Layout (from code that opened the downloads: ultatron's ``data/adapters/ovarian/pcosgen.py`` and the authors'
PCOSClassify benchmark code):

- Training, ``PCOSGen-train.zip``: ``PCOSGen-train/class_label.xlsx`` (columns ``imagePath``, ``Healthy``; the authors'
  code drops empty rows and columns) and the images ``PCOSGen-train/images/<imagePath>`` (JPEG). ``Healthy`` 1 is
  healthy, 0 unhealthy (PCOS); the label is the entry's class with that id.
- Test, ``PCOSGen-test.zip``: ``updated test dataset/images/image#####.jpg`` with ``updated test dataset/class
  label.csv``, whose first column is ``imagePath``. Its other columns are not the training set's binary ``Healthy``
  (ultatron reads an abnormal/normal and a PCOS-visible column from them), so no label is assigned to test images:
  the row's other columns are kept raw in ``extra``.

Splits: the two records are the official training and test sets. No subject ids: frames come from internet videos.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from ...errors import UsregError
from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import entry_classes, image_decode
from ..tables import csv_dicts
from ._xlsx import binary_code, bounded_rows, damage_reported, header_of, open_workbook

TRAIN_TABLE = "class_label.xlsx"
TEST_TABLE = "class label.csv"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
MAX_ROWS = 100_000


def read_train_table(ctx: ConvertContext, path: Path) -> list[tuple[int, str, str]]:
    """(row number, imagePath, Healthy) of class_label.xlsx; empty rows skipped, as the authors' code does."""
    book = open_workbook(ctx, path, "pcosgen: reading class_label.xlsx")
    if book is None:
        return []
    out: list[tuple[int, str, str]] = []
    with damage_reported(ctx, path, book, out):
        rows = book.active.iter_rows(values_only=True)
        header = header_of(rows)
        if "imagePath" not in header or "Healthy" not in header:
            ctx.problem("annotation_unreadable", path, f"no imagePath and Healthy columns (found {header})")
            return []
        image_col, label_col = header.index("imagePath"), header.index("Healthy")
        for n, row in bounded_rows(ctx, path, rows, MAX_ROWS):
            cells = list(row)
            name = cells[image_col] if image_col < len(cells) else None
            value = cells[label_col] if label_col < len(cells) else None
            if name is None and value is None:
                continue  # an empty row of the sheet
            out.append((n, str(name or "").strip(), "" if value is None else str(value).strip()))
    return out


def read_test_table(ctx: ConvertContext, path: Path) -> dict[str, dict[str, str]]:
    """imagePath -> the row's other columns (raw) of ``class label.csv``."""
    try:
        rows = [row for _, row in csv_dicts(ctx, path, max_rows=MAX_ROWS, strip=True)]
    except (OSError, csv.Error) as exc:
        ctx.problem("annotation_unreadable", path, f"not a readable CSV file: {exc}")
        return {}
    out: dict[str, dict[str, str]] = {}
    for n, row in enumerate(rows, start=2):
        name = row.pop("imagePath", "")
        if not name:
            ctx.problem("annotation_unreadable", path, f"line {n}: no value in column 'imagePath'")
            continue
        if name in out:
            ctx.problem(
                "duplicate_row", path, f"line {n}: {name} is listed again; the first row is kept", severity="warning"
            )
            continue
        out[name] = {k: v for k, v in row.items() if k}
    return out


@register
class Pcosgen(Converter):
    name = "pcosgen"
    summary = "PCOSGen-train/{class_label.xlsx, images/} (labelled) and 'updated test dataset'/images/ (test)"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        classes = entry_classes(ctx.entry)
        ctx.declare_labels([classes[k] for k in sorted(classes)])
        ctx.split_note = "Official split: the training record (Zenodo 10430727) and the test record (10960327)."
        tables = [f for f in ctx.files() if f.name.lower() == TRAIN_TABLE]
        if not tables:
            raise UsregError(
                f"pcosgen: no {TRAIN_TABLE} under {ctx.source_dir}",
                hint="the training set is PCOSGen-train.zip from Zenodo record 10430727",
            )
        used: set[Path] = set()
        for table in tables:
            folder = table.parent / "images"
            for n, name, value in read_train_table(ctx, table):
                where = f"{ctx.rel(table)}:{n}"
                image = folder / name
                if not name or not image.is_file():
                    ctx.problem("missing_image", table, f"row {n}: image {name!r} is not in {ctx.rel(folder)}")
                    continue
                code = binary_code(value)
                sid = Path(name).stem
                if code is None or code not in classes:
                    ctx.problem("unknown_label", table, f"row {n}: Healthy {value!r} is not 0 or 1", sample_id=sid)
                used.add(image)
                yield Item(
                    sample_id=sid,
                    image=image_decode(ctx, image),
                    source_file=ctx.rel(image),
                    split="train",
                    label=ctx.check_label(classes.get(code) if code is not None else None, where, sid),
                    annotation_file=where,
                )
        yield from self._test(ctx, used)

    def _test(self, ctx: ConvertContext, used: set[Path]) -> Iterator[Item]:
        train_roots = {t.parent for t in ctx.files() if t.name.lower() == TRAIN_TABLE}
        rows: dict[Path, dict[str, dict[str, str]]] = {}
        for table in (f for f in ctx.files() if f.name.lower() == TEST_TABLE):
            rows[table.parent] = read_test_table(ctx, table)
        listed: set[tuple[Path, str]] = set()
        for image in ctx.files():
            if image in used or image.suffix.lower() not in IMAGE_SUFFIXES or image.parent.name != "images":
                continue
            if any(image.is_relative_to(root) for root in train_roots):
                ctx.problem("not_converted", image, "an image of the training set that class_label.xlsx does not list")
                continue
            base = image.parent.parent
            extra = rows.get(base, {}).get(image.name)
            if base in rows and extra is None:
                ctx.problem(
                    "missing_label",
                    image,
                    f"not listed in {TEST_TABLE}; converted without its columns",
                    severity="warning",
                )
            listed.add((base, image.name))
            sid = f"test_{image.stem}"
            yield Item(
                sample_id=sid,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                split="test",
                extra={"test_columns": extra} if extra else {},
                annotation_file=ctx.rel(base / TEST_TABLE) if extra is not None else None,
            )
        for base, table_rows in rows.items():
            for name in sorted(set(table_rows) - {n for b, n in listed if b == base}):
                ctx.problem("missing_image", base / TEST_TABLE, f"{name} is listed but not in images/")
