"""UBPD: ultrasound brachial plexus images with LabelMe polygon annotations (MallesNet, Ding et al. 2022).

Layout (as UltraSam's converter reads the download): ``<name>.jpg`` images, each with a LabelMe ``<name>.json`` of
the same name (``shapes``: ``label``, ``points``), in any folder of the download: beside the image, else the one JSON
of that name in another folder (a real copy keeps ``images/`` and ``labels/json_train/`` apart). Labels are Chinese
pinyin names, mapped to the entry's classes as UltraSam maps them: ``dongmai`` artery (1), ``jingmai`` vein (2),
``jirouzuzhi`` muscle (3), ``shenjing`` nerve (4), ``zhifang`` fat (5), ``jizhu`` spine (6).

Target ``tissues``: one label map, the polygons painted in file order (a later shape wins where two overlap). A shape
with another label, or with fewer than three points, is reported and left out. Images without a JSON are reported.
No split and no subject ids are published: a seeded split is assigned.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ..decode import mask_polygons
from ..tables import read_document

LABELS = {"dongmai": 1, "jingmai": 2, "jirouzuzhi": 3, "shenjing": 4, "zhifang": 5, "jizhu": 6}
CLASSES = {0: "background", 1: "artery", 2: "vein", 3: "muscle", 4: "nerve", 5: "fat", 6: "spine"}
MAX_SHAPES = 10_000


def read_shapes(ctx: ConvertContext, path: Path, sid: str) -> list[tuple[int, list[float]]] | None:
    try:
        text = read_document(ctx, path, "its shapes are not converted", errors="ignore")
        if text is None:
            return None
        doc = json.loads(text)
    except (OSError, ValueError) as exc:
        ctx.problem("annotation_unreadable", path, f"not a readable LabelMe JSON: {exc}", sample_id=sid)
        return None
    shapes = doc.get("shapes") if isinstance(doc, dict) else None
    if not isinstance(shapes, list):
        ctx.problem("annotation_unreadable", path, "no 'shapes' list in the JSON", sample_id=sid)
        return None
    out = []
    for n, shape in enumerate(shapes[:MAX_SHAPES]):
        label = str(shape.get("label", "")).strip() if isinstance(shape, dict) else ""
        points = shape.get("points") if isinstance(shape, dict) else None
        if label not in LABELS:
            ctx.problem(
                "unknown_label", path, f"shape {n}: label {label!r} is not one of {sorted(LABELS)}", sample_id=sid
            )
            continue
        try:
            flat = [float(c) for p in points or [] for c in p[:2]]
        except (TypeError, ValueError):
            flat = []
        if len(flat) < 6:
            ctx.problem("annotation_unreadable", path, f"shape {n} ({label}): fewer than 3 points", sample_id=sid)
            continue
        out.append((LABELS[label], flat))
    if len(shapes) > MAX_SHAPES:
        ctx.problem("annotation_unreadable", path, f"more than {MAX_SHAPES} shapes; the rest are left out", "warning")
    return out


@register
class Ubpd(Converter):
    name = "ubpd"
    summary = "<name>.jpg images with LabelMe <name>.json polygons (pinyin tissue labels)"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("tissues", CLASSES, "LabelMe polygons; pinyin labels mapped as UltraSam maps them")
        files = ctx.files()
        jsons = {f.with_suffix(""): f for f in files if f.suffix.lower() == ".json"}
        images = [f for f in files if f.suffix.lower() in (".jpg", ".jpeg")]
        beside = {f.with_suffix("") for f in images}
        by_stem: dict[str, list[Path]] = {}  # JSONs with no image beside them, by name
        for key, f in jsons.items():
            if key not in beside:
                by_stem.setdefault(f.stem, []).append(f)
        if not images:
            ctx.find_dir(lambda d: False, "*.jpg images with LabelMe *.json files")
        paired = set()
        for image in images:
            sid = ctx.rel(image).rsplit(".", 1)[0].replace("/", "_")
            # beside the image, else the one JSON of that name elsewhere (a copy keeps images/ and labels/ apart)
            elsewhere = by_stem.get(image.stem, [])
            annotation = jsons.get(image.with_suffix("")) or (elsewhere[0] if len(elsewhere) == 1 else None)
            if annotation is None:
                why = f"{len(elsewhere)} in other folders" if elsewhere else "none in the download"
                message = f"no single LabelMe .json of the same name ({why}); skipped"
                ctx.problem("missing_mask", image, message, sample_id=sid)
                continue
            paired.add(annotation)
            shapes = read_shapes(ctx, annotation, sid)
            if shapes is None:
                continue
            yield Item(
                sample_id=sid,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={"tissues": Decode(mask_polygons, (shapes,), needs_shape=True, source=ctx.rel(annotation))},
                annotation_file=ctx.rel(annotation),
            )
        for annotation in sorted(set(jsons.values()) - paired):
            ctx.problem("missing_image", annotation, "LabelMe JSON without a .jpg of the same name; ignored")
