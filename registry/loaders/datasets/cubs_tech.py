"""CUBS tech, the technical-considerations database of the Carotid Ultrasound Boundary Study (Meiburger et al. 2022):
500 longitudinal B-mode images of the common carotid artery with manual and computerised LI/MA tracings.

Layout (Mendeley record m7ndn58sv6, file ``DATASET_CUBS_tech.zip``, as the projects that opened it read it):
``DATASET_CUBS_tech/images/tech_<n>.tiff`` (``images`` in any case), calibration factors ``CF/<stem>_CF.txt`` (one
number, mm per pixel), tracings per annotator or method in ``LIMA-Profiles/<method>/<stem>-LI.txt`` and
``<stem>-MA.txt`` (``Manual-A1``, ``Manual-A2``, the seven ``Computerized-*`` methods, ``GT-FAMUS``, ...), and in
``Manual-A1`` also ``<stem>_rect.txt`` (``x y w h`` of the traced region). The sources disagree on a tracing's form:
open-glaux reads two lines (all x, then all y), caroSegDeep and other scripts one ``x y`` point per line; both are
read. ``LIMA-Profiles-interpolated/``, ``Folds/`` and the readme are text, not read.

- Target ``intima_media``: the region between the chosen annotator's LI and MA tracings (option ``annotator``,
  default ``Manual-A1``), the polygon LI left to right then MA right to left: 0 background, 1 intima-media complex.
  An image without both tracings, or with a tracing that is not a list of points, is reported and skipped; a tracing
  without its image is reported.
- The calibration factor and the traced rectangle go to ``extra``. Which patient an image shows is not given, so each
  image is its own subject; no official split is used (a seeded one): the release's ``Folds/`` lists were not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ..decode import mask_polygons

CLASSES = {0: "background", 1: "intima-media complex"}
MAX_POINTS = 100_000
MAX_TRACING_BYTES = 64 * MAX_POINTS  # a tracing of MAX_POINTS points, generously written
MAX_VALUES_BYTES = 4096  # a calibration factor or a rectangle file
IMAGE_SUFFIXES = (".tif", ".tiff")


class CubsTechOptions(CommonOptions):
    annotator: str = Field("Manual-A1", description="Folder of the tracings under LIMA-Profiles/.")


def _numbers(line: str) -> list[float] | None:
    try:
        return [float(p.replace(",", ".")) for p in line.split()]
    except ValueError:
        return None


def read_tracing(path: Path) -> list[tuple[float, float]] | None:
    """The points of a tracing: ``x y`` per line, or two lines (all x, then all y); None if neither. ValueError when
    the file is larger than a tracing of MAX_POINTS points."""
    size = path.stat().st_size
    if size > MAX_TRACING_BYTES:
        raise ValueError(f"{size:,} bytes, more than a tracing of {MAX_POINTS:,} points holds")
    lines = [ln for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()[:MAX_POINTS] if ln.strip()]
    rows = [_numbers(ln) for ln in lines]
    if any(r is None for r in rows) or not rows:
        return None
    numbers = [r for r in rows if r is not None]
    if len(numbers) == 2 and len(numbers[0]) > 2 and len(numbers[0]) == len(numbers[1]):
        return list(zip(numbers[0], numbers[1], strict=True))
    if all(len(r) == 2 for r in numbers):
        return [(r[0], r[1]) for r in numbers]
    return None


def _polygon(ctx: ConvertContext, li: Path, ma: Path, stem: str) -> list[float] | None:
    """The intima-media polygon of an image's LI and MA tracings, or None after reporting why there is none."""
    points: list[list[tuple[float, float]]] = []
    for path in (li, ma):
        try:
            found = read_tracing(path)
        except (OSError, ValueError) as exc:
            ctx.problem("annotation_unreadable", path, f"not read ({exc}); image skipped", sample_id=stem)
            return None
        if not found:
            ctx.problem("annotation_unreadable", path, "not a list of 'x y' points; image skipped", sample_id=stem)
            return None
        points.append(found)
    li_pts, ma_pts = points
    if len(li_pts) + len(ma_pts) < 3:
        ctx.problem("annotation_unreadable", li, "fewer than 3 points in LI and MA; image skipped", sample_id=stem)
        return None
    return [c for pt in sorted(li_pts) + sorted(ma_pts, reverse=True) for c in pt]


def _child(folder: Path, name: str) -> Path | None:
    """The sub-folder ``name`` of ``folder``, whatever its case (``images`` or ``IMAGES``)."""
    exact = folder / name
    if exact.is_dir():
        return exact
    return next((p for p in sorted(folder.iterdir()) if p.is_dir() and p.name.lower() == name.lower()), None)


def _read_floats(ctx: ConvertContext, path: Path, count: int) -> list[float] | None:
    """The ``count`` numbers of a small text file (calibration factor, rectangle); None when it is absent, or after a
    warning when it does not hold them."""
    if not path.is_file():
        return None
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_VALUES_BYTES + 1)
    except OSError as exc:
        ctx.problem("annotation_unreadable", path, f"not read ({exc}); left out of extra", severity="warning")
        return None
    values = _numbers(raw.decode("utf-8", errors="replace").strip()) if len(raw) <= MAX_VALUES_BYTES else None
    if values is None or len(values) != count:
        ctx.problem("annotation_unreadable", path, f"not {count} number(s); left out of extra", severity="warning")
        return None
    return values


@register
class CubsTech(Converter):
    name = "cubs-tech"
    summary = "images/*.tiff with LIMA-Profiles/<annotator>/<stem>-{LI,MA}.txt tracings (intima-media region)"
    Options = CubsTechOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(CubsTechOptions)
        root = ctx.find_dir(
            lambda d: _child(d, "images") is not None and _child(d, "LIMA-Profiles") is not None,
            "images/ beside LIMA-Profiles/",
        )
        image_dir, profiles = _child(root, "images"), _child(root, "LIMA-Profiles")
        assert image_dir is not None and profiles is not None
        ctx.declare_target("intima_media", CLASSES)
        ctx.split_note = "No official split used: a seeded split by image (the images' patients are not given)."
        tracings = profiles / opts.annotator
        images = sorted(p for p in image_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        stems = {p.stem for p in images}
        for image in images:
            stem = image.stem
            li, ma = tracings / f"{stem}-LI.txt", tracings / f"{stem}-MA.txt"
            if not (li.is_file() and ma.is_file()):
                ctx.problem(
                    "missing_mask",
                    image,
                    f"no LI and MA tracing in LIMA-Profiles/{opts.annotator}/; skipped",
                    sample_id=stem,
                )
                continue
            polygon = _polygon(ctx, li, ma, stem)
            if polygon is None:
                continue
            cf = _read_floats(ctx, (_child(root, "CF") or root / "CF") / f"{stem}_CF.txt", 1)
            rect = _read_floats(ctx, tracings / f"{stem}_rect.txt", 4)
            yield Item(
                sample_id=stem,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={
                    "intima_media": Decode(
                        mask_polygons, ([(1, polygon)],), needs_shape=True, source=f"{ctx.rel(li)}, {ctx.rel(ma)}"
                    )
                },
                extra={"cf_mm_per_px": cf[0] if cf else None, "rect_xywh": rect, "annotator": opts.annotator},
                annotation_file=ctx.rel(li),
            )
        if tracings.is_dir():
            for f in sorted(tracings.glob("*-LI.txt")):
                stem = f.name[: -len("-LI.txt")]
                if stem not in stems:
                    ctx.problem("missing_image", f, f"a tracing without its image images/{stem}.tiff; ignored")
