"""Dataset for Fetus Framework (Cui & Dong, 2022; Mendeley Data n2rbrb9t4f): first-trimester sagittal fetal
ultrasound images sorted into standard and non-standard planes, with boxes of nine structures on standard images.

Layout (the release's folders as a user committed them, XYuktaaa/ultrasound-analysis commit bd12906,
``data/images/DatasetForFetus/``; the box sheet as committed there and in claudyAi/adl commit dc6c0d2):

- Four set folders, each holding ``Standard/`` and ``Non-standard/`` with ``<n>.png`` (RGB PNG; the numbers run
  across the whole release, so a file name is unique): ``Set1-Training&Validation Sets CNN`` (standard images only
  in that copy), ``Set2-Training&Validation Sets ANN Scoring system``, ``Internal Test Set`` and ``External Test Set``.
- ``ObjectDetection.xlsx``: one row per box, columns ``fname`` (``<n>.png``), ``structure``, ``h_min``, ``w_min``,
  ``h_max``, ``w_max``; ``h`` is the row (y) and ``w`` the column (x), as claudyAi/adl reads them (xmin = w_min,
  ymin = h_min; in the user's copy every box lies inside its image that way, and 1,045 would not if swapped). The
  structures are named ``thalami``, ``nasal bone``, ``palate``, ``nasal skin``, ``nasal tip``,
  ``midbrain``, ``NT``, ``IT`` and ``CM`` (kept as the sheet spells them). Where the sheet sits in the download and the
  name of the archive's top folder are not shown by the evidence, so both are searched for.

One sample per image: label ``standard`` or ``non-standard`` from its folder, boxes from the sheet's rows of its file
name. The split is the release's: the two training & validation sets are ``train`` (no validation subset is marked),
the internal and external test sets are ``test``; ``extra['set']`` keeps the set folder. No subject ids.

Reported, never dropped silently: a sheet row that is not a box (missing or non-numeric value, empty box), a row of a
file name with no image, an unknown structure (box left out), a standard image without rows (kept without boxes; one
warning for a whole set folder without rows), a file name found in two folders (both left out), an image outside the
``Standard``/``Non-standard`` folders (counted as dropped by the layout), a missing sheet.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from ...formats.sample import Box
from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import image_decode
from ._xlsx import bounded_rows, damage_reported, header_of, open_workbook

SETS = {
    "set1-training&validation sets cnn": "train",
    "set2-training&validation sets ann scoring system": "train",
    "internal test set": "test",
    "external test set": "test",
}
CLASS_FOLDERS = {"standard": "standard", "non-standard": "non-standard"}
LABELS = ["standard", "non-standard"]
# The sheet's structure names, in the order claudyAi/adl numbers them.
STRUCTURES = ["thalami", "nasal bone", "palate", "nasal skin", "nasal tip", "midbrain", "NT", "IT", "CM"]
SHEET = "objectdetection.xlsx"
COLUMNS = ("fname", "structure", "h_min", "w_min", "h_max", "w_max")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp"}
MAX_ROWS = 200_000

Row = tuple[int, str, str, tuple[float, float, float, float]]


def read_sheet(ctx: ConvertContext, path: Path) -> list[Row]:
    """(row number, fname, structure, (x_min, y_min, x_max, y_max)) of each box row of ObjectDetection.xlsx."""
    reader = "fetus-framework: reading ObjectDetection.xlsx"
    book = open_workbook(ctx, path, reader, size_note="; no boxes", open_note="; no boxes")
    if book is None:
        return []
    out: list[Row] = []
    with damage_reported(ctx, path, book, out, "; boxes lost"):
        rows = book.active.iter_rows(values_only=True)
        header = header_of(rows)
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            ctx.problem("annotation_unreadable", path, f"no column(s) {', '.join(missing)} (found {header}); no boxes")
            return []
        index = [header.index(c) for c in COLUMNS]
        for n, raw in bounded_rows(ctx, path, rows, MAX_ROWS):
            cells = [raw[i] if i < len(raw) else None for i in index]
            if all(c is None or str(c).strip() == "" for c in cells):
                continue  # an empty row of the sheet
            row = _box_row(ctx, path, n, cells)
            if row is not None:
                out.append(row)
    return out


def _box_row(ctx: ConvertContext, path: Path, n: int, cells: list[object]) -> Row | None:
    fname, structure = (str(c).strip() if c is not None else "" for c in cells[:2])
    try:
        if not fname or not structure:
            raise ValueError("no fname or structure")
        h_min, w_min, h_max, w_max = (float(str(c)) for c in cells[2:])
        if not all(math.isfinite(v) for v in (h_min, w_min, h_max, w_max)):
            raise ValueError("a coordinate is not a finite number")
        if w_max <= w_min or h_max <= h_min:
            raise ValueError("an empty box (max not above min)")
    except (TypeError, ValueError) as exc:
        ctx.problem("annotation_unreadable", path, f"row {n}: {cells!r} is not a box ({exc}); left out")
        return None
    return n, fname, structure, (w_min, h_min, w_max, h_max)


@register
class FetusFramework(Converter):
    name = "fetus-framework"
    summary = (
        "<set>/{Standard,Non-standard}/<n>.png in four set folders, with ObjectDetection.xlsx boxes "
        "(fname, structure, h_min, w_min, h_max, w_max)"
    )
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        root = ctx.find_dir(
            lambda d: sum(_set_of(p) is not None for p in d.iterdir() if p.is_dir()) >= 2,
            "the Set1-/Set2-Training&Validation and Internal/External Test Set folders",
        )
        ctx.declare_labels(LABELS)
        ctx.declare_box_categories(STRUCTURES)
        ctx.split_note = (
            "The release's split: Set1 and Set2 (training & validation sets, no validation subset marked) are train, "
            "the internal and external test sets are test (extra['set'] names the set folder)."
        )
        images, duplicated = self._images(ctx, root)
        boxes_of, sheet = self._boxes(ctx, images, duplicated)
        sheet_rel = ctx.rel(sheet) if sheet is not None else None
        by_set: dict[str, list[tuple[str, Path, str]]] = defaultdict(list)
        for name, (set_dir, image, label) in images.items():
            by_set[set_dir.name].append((name, image, label))
        for set_name, members in by_set.items():
            unannotated = [(n, i) for n, i, label in members if label == "standard" and n not in boxes_of]
            standard = sum(1 for _, _, label in members if label == "standard")
            if sheet is not None and unannotated and len(unannotated) == standard:
                ctx.problem(
                    "missing_annotation",
                    root / set_name,
                    f"none of the {standard} standard image(s) of this set has a row in {sheet.name}: "
                    "kept without boxes",
                    "warning",
                )
            elif sheet is not None:
                for name, image in unannotated:
                    ctx.problem(
                        "missing_annotation",
                        image,
                        f"a standard image without rows in {sheet.name}: kept without boxes",
                        "warning",
                        Path(name).stem,
                    )
        for name, (set_dir, image, label) in sorted(images.items(), key=lambda kv: _natural(kv[0])):
            sid = Path(name).stem
            boxes = boxes_of.get(name, [])
            yield Item(
                sample_id=sid,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                split=SETS[set_dir.name.lower()],
                label=ctx.check_label(label, image, sid),
                boxes=boxes,
                annotation_file=sheet_rel if boxes else None,
                extra={"set": set_dir.name},
            )

    @staticmethod
    def _images(ctx: ConvertContext, root: Path) -> tuple[dict[str, tuple[Path, Path, str]], set[str]]:
        """File name -> (set folder, image, label) of every image in a set's Standard/ or Non-standard/ folder, and the
        names found in two folders (reported and left out)."""
        found: dict[str, list[tuple[Path, Path, str]]] = defaultdict(list)
        for set_dir in sorted(p for p in root.iterdir() if p.is_dir() and _set_of(p) is not None):
            for class_dir in sorted(p for p in set_dir.iterdir() if p.is_dir()):
                label = CLASS_FOLDERS.get(class_dir.name.lower())
                if label is None:
                    continue  # its images are counted as dropped by the layout
                for image in sorted(class_dir.iterdir()):
                    if image.is_file() and image.suffix.lower() in IMAGE_SUFFIXES and not image.name.startswith("."):
                        found[image.name].append((set_dir, image, label))
        out: dict[str, tuple[Path, Path, str]] = {}
        duplicated: set[str] = set()
        for name, places in found.items():
            if len(places) == 1:
                out[name] = places[0]
                continue
            duplicated.add(name)
            where = ", ".join(ctx.rel(p[1].parent) for p in places)
            for _, image, _ in places:
                ctx.problem(
                    "duplicate_name",
                    image,
                    f"{name} is in {len(places)} folders ({where}): the sheet's rows cannot be assigned; left out",
                    sample_id=Path(name).stem,
                )
        return out, duplicated

    @staticmethod
    def _boxes(
        ctx: ConvertContext, images: dict[str, tuple[Path, Path, str]], duplicated: set[str]
    ) -> tuple[dict[str, list[Box]], Path | None]:
        sheets = [f for f in ctx.files() if f.name.lower() == SHEET]
        if not sheets:
            ctx.problem("missing_annotation", ctx.source_dir, "ObjectDetection.xlsx is not in the download: no boxes")
            return {}, None
        sheets.sort(key=lambda f: (len(f.relative_to(ctx.source_dir).parts), ctx.rel(f)))
        sheet = sheets[0]
        for other in sheets[1:]:
            ctx.problem("annotation_unreadable", other, f"a second ObjectDetection.xlsx; {ctx.rel(sheet)} is read")
        boxes_of: dict[str, list[Box]] = defaultdict(list)
        no_image: dict[str, int] = {}
        for n, fname, structure, (x0, y0, x1, y1) in read_sheet(ctx, sheet):
            if fname in duplicated:
                continue  # reported with the images
            if fname not in images:
                no_image.setdefault(fname, n)
                continue
            sid = Path(fname).stem
            if not ctx.check_box_category(structure, f"{ctx.rel(sheet)}:{n}", sid):
                continue
            boxes_of[fname].append(Box(x0, y0, x1, y1, structure, STRUCTURES.index(structure) + 1))
        for fname, n in sorted(no_image.items(), key=lambda kv: kv[1]):
            ctx.problem(
                "missing_image",
                sheet,
                f"row {n}: {fname} is in no set's Standard/ or Non-standard/ folder; its rows are left out",
            )
        return dict(boxes_of), sheet


def _set_of(path: Path) -> str | None:
    return SETS.get(path.name.lower())


def _natural(name: str) -> tuple[int, str]:
    stem = Path(name).stem
    return (int(stem), name) if stem.isdigit() else (1 << 62, name)
