"""AUL, Annotated Ultrasound Liver images (Xu et al., 2023; Zenodo 7272660).

Layout (docs/sources.md §4, UltraBench's processing code): ``<Class>/image/<n>.jpg`` for Class in Benign,
Malignant, Normal, with polygon files ``<Class>/segmentation/{outline,liver,mass}/<n>.json`` (a JSON list of
``[x, y]`` points; ``outline`` is the scan area). Normal images have no mass polygon (an empty mass mask).

Quirks handled (from UltraBench): image 374 has no liver polygon (its liver mask is left out, reported); for images
229 and 306 the ``outline`` file holds the liver, so it is used as the liver and no outline is kept.

Targets ``liver``, ``mass`` and ``outline`` (binary each); label = the class (normal / benign / malignant). Each image
is a different patient and there is no official split: a seeded split stratified by class.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ..decode import mask_polygons
from ..tables import read_document

CLASSES = ["normal", "benign", "malignant"]
SWAPPED_OUTLINE = {"229", "306"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def _polygon(ctx: ConvertContext, path: Path, sid: str) -> list[float] | None:
    try:
        text = read_document(ctx, path, "the outline is not converted")
        if text is None:
            return None
        points = json.loads(text)
        flat = [float(v) for pt in points for v in pt[:2]]
    except (OSError, ValueError, TypeError, IndexError) as exc:
        ctx.problem("annotation_unreadable", path, f"not a JSON list of [x, y] points: {exc}", sample_id=sid)
        return None
    if len(flat) < 6:
        ctx.problem("annotation_unreadable", path, "a polygon needs at least 3 points", sample_id=sid)
        return None
    return flat


@register
class Aul(Converter):
    name = "aul"
    summary = "<Class>/image/*.jpg with <Class>/segmentation/{outline,liver,mass}/*.json polygons"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        root = ctx.find_dir(
            lambda d: any((d / c.capitalize() / "image").is_dir() for c in CLASSES),
            "Benign/ Malignant/ Normal/ folders with image/",
        )
        for t in ("liver", "mass", "outline"):
            ctx.declare_target(t, {0: "background", 1: t})
        ctx.declare_labels(CLASSES)
        ctx.split_note = "No official split; a seeded split stratified by class (each image is a different patient)."
        for cls in CLASSES:
            folder = root / cls.capitalize()
            if not folder.is_dir():
                continue
            for image in sorted(p for p in (folder / "image").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
                n = image.stem
                sid = f"{cls}_{n}"
                seg = folder / "segmentation"
                paths = {t: seg / t / f"{n}.json" for t in ("outline", "liver", "mass")}
                if n in SWAPPED_OUTLINE:
                    paths["liver"] = paths.pop("outline")
                masks = {}
                for target, path in paths.items():
                    if not path.is_file():
                        if target == "mass" and cls == "normal":
                            masks["mass"] = Decode(mask_polygons, ([],), needs_shape=True, source=ctx.rel(image))
                        elif target == "liver":
                            ctx.problem(
                                "missing_mask",
                                image,
                                "no liver polygon; the liver mask is left out",
                                severity="warning",
                                sample_id=sid,
                            )
                        elif target == "mass":
                            ctx.problem(
                                "missing_mask",
                                image,
                                f"a {cls} image without a mass polygon",
                                severity="warning",
                                sample_id=sid,
                            )
                        continue
                    poly = _polygon(ctx, path, sid)
                    if poly is not None:
                        masks[target] = Decode(mask_polygons, ([(1, poly)],), needs_shape=True, source=ctx.rel(path))
                yield Item(
                    sample_id=sid,
                    image=image_decode(ctx, image),
                    source_file=ctx.rel(image),
                    masks=masks,
                    label=ctx.check_label(cls, folder, sid),
                    extra={"outline_is_liver": True} if n in SWAPPED_OUTLINE else {},
                )
