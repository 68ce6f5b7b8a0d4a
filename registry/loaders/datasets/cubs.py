"""CUBS, the Carotid Ultrasound Boundary Study (Meiburger et al. 2021): 2,176 carotid B-mode images with LI/MA tracings.

Layout (from ultatron's ``data/adapters/cubs.py``, which reads the real download):
``CUBS/IMAGES/<patient>_<side>.tiff``, ``CUBS/CF/<stem>_CF.txt`` (calibration, mm per pixel), manual tracings per
annotator in ``CUBS/SEGMENTATIONS/Manual-A1/<stem>-LI.txt`` and ``<stem>-MA.txt`` (one ``x y`` point per line, decimal
commas allowed), and ``ClinicalDatabase-CUBS.csv``.

- Target ``intima_media``: the region between the lumen-intima (LI) and media-adventitia (MA) tracings of the chosen
  annotator (option ``annotator``, default ``Manual-A1``), filled as the polygon LI (left to right) then MA (right to
  left): 0 background, 1 intima-media complex. An image without both tracings is reported and skipped.
- Subject = the stem before its last ``_`` (the patient; two images, left and right side, per patient); the side and
  the calibration factor go to ``extra``. No official split: a seeded split grouped by patient.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ..decode import mask_polygons
from ..tables import read_lines

CLASSES = {0: "background", 1: "intima-media complex"}
MAX_POINTS = 100_000


class CubsOptions(CommonOptions):
    annotator: str = Field("Manual-A1", description="Folder of the tracings under SEGMENTATIONS/.")


def read_points(path: Path) -> list[tuple[float, float]] | None:
    """``x y`` points of a tracing file, or None if a line is not two numbers."""
    points = []
    for line in read_lines(path, MAX_POINTS):
        parts = line.split()
        if not parts:
            continue
        try:
            x, y = (float(p.replace(",", ".")) for p in parts[:2])
        except ValueError:
            return None
        points.append((x, y))
    return points


MAX_SCALAR_LINES = 16  # a calibration factor file holds one number


def _scalar(path: Path) -> float | None:
    if not path.is_file():
        return None
    try:
        return float("\n".join(read_lines(path, MAX_SCALAR_LINES)).strip().replace(",", "."))
    except ValueError:
        return None


@register
class Cubs(Converter):
    name = "cubs"
    summary = "IMAGES/*.tiff with SEGMENTATIONS/<annotator>/<stem>-{LI,MA}.txt tracings (intima-media region)"
    Options = CubsOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(CubsOptions)
        root = ctx.find_dir(lambda d: (d / "IMAGES").is_dir() and (d / "SEGMENTATIONS").is_dir(), "IMAGES/")
        ctx.declare_target("intima_media", CLASSES)
        ctx.split_note = "No official split: a seeded split grouped by patient (left and right images together)."
        tracings = root / "SEGMENTATIONS" / opts.annotator
        images = sorted(p for p in (root / "IMAGES").iterdir() if p.suffix.lower() in (".tif", ".tiff"))
        for image in images:
            stem = image.stem
            li, ma = tracings / f"{stem}-LI.txt", tracings / f"{stem}-MA.txt"
            if not (li.is_file() and ma.is_file()):
                ctx.problem(
                    "missing_mask", image, f"no LI and MA tracing in {opts.annotator}/; skipped", sample_id=stem
                )
                continue
            li_pts, ma_pts = read_points(li), read_points(ma)
            if not li_pts or not ma_pts or len(li_pts) + len(ma_pts) < 3:
                bad = li if not li_pts else ma
                ctx.problem("annotation_unreadable", bad, "not a list of 'x y' points; image skipped", sample_id=stem)
                continue
            polygon = [c for pt in sorted(li_pts) + sorted(ma_pts, reverse=True) for c in pt]
            patient, _, side = stem.rpartition("_")
            yield Item(
                sample_id=stem,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={
                    "intima_media": Decode(
                        mask_polygons, ([(1, polygon)],), needs_shape=True, source=f"{ctx.rel(li)}, {ctx.rel(ma)}"
                    )
                },
                subject_id=patient or stem,
                extra={"side": side, "cf_mm_per_px": _scalar(root / "CF" / f"{stem}_CF.txt")},
                annotation_file=ctx.rel(li),
            )
