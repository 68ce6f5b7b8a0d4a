"""DFHI, the large-scale fetal head biometry dataset (Alzubaidi et al., Data in Brief 2023; Zenodo 8265464).

Layout (TrinhThaiSonDHQT/Fetal-Head-Segmentation ``shared/prepare_dataset.py``, which read the unpacked record, and a
download script that unzips the record's ``files-archive``): four zips, ``Trans-cerebellum.zip``,
``Trans-thalamic.zip``, ``Trans-ventricular.zip`` and ``Diverse Fetal Head Images.zip``, each with one top folder of
its name. A plane folder holds the images ``<Plane>/<Plane>/*.png``, the masks
``<Plane>/<Plane>-PASCAL/SegmentationClass/<same name>.png`` (PASCAL-VOC colour masks), a pixel-size table
``<Plane>-Pixel-Size.csv`` (columns ``Label`` and ``Pixel in mm``) and a Cityscapes export of the same labels
(``<Plane>-Cityscapes.zip`` with ``gtFine/default/*``). ``Diverse Fetal Head Images/`` holds
``Orginal_train_images_to_959_661/*.png`` with ``Test-Dataset-PASCAL/SegmentationClass/*.png``.

Target ``structures``: the VOC colours background (0,0,0), brain (128,0,0), CSP (0,128,0) and LV (128,128,0) become
classes 0-3 (other colours are reported and set to background). The Cityscapes and VOC object masks repeat the
same labels and are left out on purpose. Subjects: ``Patient<n>`` from the name (the plane images come from
FETAL_PLANES_DB), else the leading number of an HC18-style name (``010_2HC``). No official split: a seeded split
grouped by subject.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register, safe_id
from ..common import image_decode
from ..decode import mask_palette
from ..tables import csv_dicts

# (folder of the zip, its image folder, short name used in sample ids)
PARTS = (
    ("Trans-cerebellum", "Trans-cerebellum", "tc"),
    ("Trans-thalamic", "Trans-thalamic", "tt"),
    ("Trans-ventricular", "Trans-ventricular", "tv"),
    ("Diverse Fetal Head Images", "Orginal_train_images_to_959_661", "diverse"),
)
PALETTE = ((0, 0, 0, 0), (128, 0, 0, 1), (0, 128, 0, 2), (128, 128, 0, 3))
CLASSES = {0: "background", 1: "fetal brain", 2: "cavum septum pellucidum", 3: "lateral ventricle"}
PATIENT = re.compile(r"^(Patient\d+)_", re.IGNORECASE)
HC18 = re.compile(r"^(\d+)_\d*HC$", re.IGNORECASE)
OTHER_EXPORTS = re.compile(r"(?i)^(gtfine|imgsfine|leftimg8bit|segmentationobject)$|cityscapes|citys?paces")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp"}
MAX_ROWS = 100_000  # rows of one pixel-size table


def subject_of(stem: str) -> str:
    m = PATIENT.match(stem)
    if m:
        return m.group(1)
    m = HC18.match(stem)
    return f"hc18_{int(m.group(1)):03d}" if m else stem


def _pixel_sizes(ctx: ConvertContext, folder: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for table in sorted(folder.glob("*.csv")):
        try:
            for n, row in csv_dicts(ctx, table, max_rows=MAX_ROWS):
                _pixel_size(ctx, table, n, row, out)
        except (OSError, csv.Error) as exc:
            ctx.problem("annotation_unreadable", table, f"not a readable CSV file ({exc}); pixel sizes left out")
    return out


def _pixel_size(ctx: ConvertContext, table: Path, n: int, row: dict[str, str], out: dict[str, float]) -> None:
    name = (row.get("Label") or "").strip()
    value = next((v for k, v in row.items() if k and "pixel" in k.lower()), None)
    if not name or not value:
        return
    try:
        out[name] = float(value)
    except ValueError:
        ctx.problem(
            "annotation_unreadable", table, f"line {n}: pixel size {value!r} is not a number; left out", "warning"
        )


@register
class Dfhi(Converter):
    name = "dfhi"
    summary = "<Plane>/<Plane>/*.png with <Plane>/<Plane>-PASCAL/SegmentationClass/*.png VOC colour masks, per zip"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        root = ctx.find_dir(
            lambda d: any((d / part / images).is_dir() for part, images, _ in PARTS),
            "the Trans-*/ and Diverse Fetal Head Images/ folders",
        )
        ctx.declare_target("structures", dict(CLASSES))
        ctx.split_note = "No official split; a seeded split grouped by patient (Patient<n> or the HC18 number)."
        for part, images_dir, short in PARTS:
            folder = root / part
            if not folder.is_dir():
                continue
            masks: dict[str, Path] = {}
            for seg in sorted(p for p in folder.rglob("SegmentationClass") if p.is_dir()):
                for m in sorted(seg.iterdir()):
                    if m.is_file() and m.suffix.lower() == ".png":
                        masks.setdefault(m.name, m)
            sizes = _pixel_sizes(ctx, folder)
            used: set[Path] = set()
            images = sorted(p for p in (folder / images_dir).glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
            for image in images:
                sid = safe_id(f"{short}_{image.stem}")
                mask = masks.get(image.name) or masks.get(image.stem + ".png")
                if mask is None:
                    ctx.problem("missing_mask", image, "no SegmentationClass/<same name>.png; skipped", sample_id=sid)
                    continue
                used.update((image, mask))
                extra: dict[str, object] = {"plane": part}
                if image.name in sizes:
                    extra["pixel_mm"] = sizes[image.name]
                yield Item(
                    sample_id=sid,
                    image=image_decode(ctx, image),
                    source_file=ctx.rel(image),
                    masks={"structures": Decode(mask_palette, (str(mask), PALETTE), source=ctx.rel(mask))},
                    subject_id=subject_of(image.stem),
                    extra=extra,
                )
            for f in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES):
                if f in used:
                    continue
                inner = f.relative_to(folder).parts[:-1]
                if any(OTHER_EXPORTS.search(part_name) for part_name in inner):
                    ctx.ignore_file(f, "Cityscapes or VOC object export of the same labels; the class masks are used")
                elif f.parent.name == "SegmentationClass":
                    ctx.problem("missing_image", f, f"mask without an image in {images_dir}/; ignored")
