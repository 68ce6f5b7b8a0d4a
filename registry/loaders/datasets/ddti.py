"""DDTI, the Digital Database Thyroid Image (Pedraza et al., 2015; Universidad Nacional de Colombia).

Layout of the original release (not in docs/sources.md; read in third-party parsers of the release): one flat
folder with ``<case>.xml`` per case and ``<case>_<k>.jpg`` images. Each XML (root ``<case>``) has ``number``, ``age``,
``sex``, ``composition``, ``echogenicity``, ``margins``, ``calcifications``, ``tirads``, ``reportbacaf``,
``reporteco`` and one ``<mark>`` per annotated image: ``<image>k</image>`` and ``<svg>`` holding a JSON list of
regions ``{"points": [{"x": .., "y": ..}, ...], "regionType": "freehand"}``.

Quirks handled: some ``<svg>`` texts are truncated (cases 197 and 205 are known); the JSON is repaired by closing it
after the last complete point, and reported. Images without a ``<mark>`` have no outline and are reported and
skipped; a mark whose ``<svg>`` is empty (six in a real copy of the release: 62_3, 120_1, 142_2, 213_2, 230_2,
389_1) is the release's own missing outline: a warning, and the image is left out on purpose (not counted as
dropped). Several regions in one mark are painted into one mask.

Target ``nodule`` (binary); label = the TI-RADS category; subject = the case number (several images per case);
age, sex and the TI-RADS features go to ``extra``. No official split: a seeded split grouped by case.

The processed PNG release (the one most users have; github.com/WAMAWAMA/TNSCUI2020-Seg-Rank1st, read by
TRFE-Net's ``dataloaders/ddti.py``) is laid out like TN-SCUI 2020: ``DDTI/1_or_data/image/<n>.PNG`` with
``DDTI/1_or_data/mask/<n>.PNG`` (binary, same file name), ``category.csv`` and a README. Its images were renumbered
and images with several nodules or damaged outlines removed; its README says the categories in ``category.csv`` are
forged, so they are not read. Without case numbers the split is seeded per image (reported).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import MaskSpec, image_decode, mask_decode
from ..decode import mask_polygons
from ..tables import read_document_bytes

TIRADS = ["1", "2", "3", "4a", "4b", "4c", "5"]
FEATURES = ("age", "sex", "composition", "echogenicity", "margins", "calcifications")
POINT = re.compile(r'\{\s*"x"\s*:\s*-?[\d.]+\s*,\s*"y"\s*:\s*-?[\d.]+\s*\}')
IMAGE = re.compile(r"^(?P<case>\d+)_(?P<k>\d+)$")
SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp"}


def parse_svg(text: str) -> tuple[list[list[float]], bool]:
    """Polygons (flat x, y lists) from a mark's svg JSON, and whether it had to be repaired."""
    repaired = False
    try:
        regions = json.loads(text)
    except ValueError:
        points = list(POINT.finditer(text))
        if not points:
            raise
        regions = json.loads(text[: points[-1].end()] + "]}]")
        repaired = True
    polys = []
    for region in regions if isinstance(regions, list) else []:
        pts = region.get("points", []) if isinstance(region, dict) else []
        flat = [float(v) for p in pts if isinstance(p, dict) for v in (p.get("x"), p.get("y")) if v is not None]
        if len(flat) >= 6:
            polys.append(flat)
    return polys, repaired


@register
class Ddti(Converter):
    name = "ddti"
    summary = "flat <case>.xml (TI-RADS, svg outlines) with <case>_<k>.jpg images"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("nodule", {0: "background", 1: "nodule"})
        if not any(f.suffix.lower() == ".xml" and f.stem.isdigit() for f in ctx.files()):
            png_root = ctx.find_dirs(lambda d: (d / "image").is_dir() and (d / "mask").is_dir())
            if png_root:
                yield from self._png_release(ctx, png_root[0])
                return
        ctx.declare_labels(TIRADS)
        ctx.split_note = "No official split; a seeded split grouped by case number."
        images: dict[tuple[str, str], Path] = {}
        xmls: dict[str, Path] = {}
        for f in ctx.files():
            m = IMAGE.match(f.stem)
            if m and f.suffix.lower() in {".jpg", ".jpeg", ".png"}:
                images[(m.group("case"), m.group("k"))] = f
            elif f.suffix.lower() == ".xml" and f.stem.isdigit():
                xmls[f.stem] = f
        used = set()
        for case, xml_path in sorted(xmls.items(), key=lambda kv: int(kv[0])):
            try:
                raw = read_document_bytes(ctx, xml_path, "this case is not converted")
                if raw is None:
                    continue
                root = ET.fromstring(raw)
            except (ET.ParseError, OSError) as exc:
                ctx.problem("annotation_unreadable", xml_path, f"not readable XML: {exc}")
                continue
            number = (root.findtext("number") or case).strip()
            extra = {k: (root.findtext(k) or "").strip() for k in FEATURES if (root.findtext(k) or "").strip()}
            tirads = (root.findtext("tirads") or "").strip().lower() or None
            for mark in root.iter("mark"):
                k = (mark.findtext("image") or "").strip()
                sid = f"{case}_{k}"
                image = images.get((case, k))
                if image is None:
                    ctx.problem(
                        "missing_image",
                        xml_path,
                        f"mark for image {case}_{k}.jpg, which is not in the download",
                        sample_id=sid,
                    )
                    continue
                svg = mark.findtext("svg") or ""
                if not svg.strip():
                    ctx.problem(
                        "missing_annotation",
                        xml_path,
                        f"the mark of image {k} has an empty <svg> (no outline in the release); left out",
                        severity="warning",
                        sample_id=sid,
                    )
                    ctx.ignore_file(image, f"its mark in {xml_path.name} has an empty <svg> (no outline)")
                    used.add((case, k))
                    continue
                try:
                    polys, repaired = parse_svg(svg)
                except ValueError as exc:
                    ctx.problem(
                        "annotation_unreadable",
                        xml_path,
                        f"outline of image {k} is not valid JSON ({exc}); skipped",
                        sample_id=sid,
                    )
                    continue
                if repaired:
                    ctx.problem(
                        "repaired",
                        xml_path,
                        f"the outline of image {k} was truncated and has been closed after its last complete point",
                        severity="warning",
                        sample_id=sid,
                    )
                used.add((case, k))
                yield Item(
                    sample_id=sid,
                    image=image_decode(ctx, image),
                    source_file=ctx.rel(image),
                    masks={
                        "nodule": Decode(
                            mask_polygons, ([(1, p) for p in polys],), needs_shape=True, source=ctx.rel(xml_path)
                        )
                    },
                    subject_id=number,
                    label=ctx.check_label(tirads, xml_path, sid) if tirads else None,
                    extra=extra,
                    annotation_file=ctx.rel(xml_path),
                )
        for key, image in sorted(images.items()):
            if key not in used and key[0] in xmls:
                ctx.problem("missing_annotation", image, "no <mark> outline for this image in its case XML; skipped")
            elif key[0] not in xmls:
                ctx.problem("missing_annotation", image, f"no {key[0]}.xml for this image; skipped")

    def _png_release(self, ctx: ConvertContext, root: Path) -> Iterator[Item]:
        ctx.split_note = (
            "Processed PNG release: images renumbered, no case numbers, so a seeded split per image "
            "(images of one case may fall in different splits)."
        )
        ctx.problem(
            "no_subject_ids",
            root,
            "the processed PNG release renumbered the images, so no case ids group them; the split is seeded per image",
            severity="warning",
        )
        spec = MaskSpec(encoding="binary", threshold=127)
        masks = {p.stem: p for p in sorted((root / "mask").iterdir()) if p.suffix.lower() in SUFFIXES}
        for image in sorted((root / "image").iterdir(), key=lambda p: (len(p.stem), p.stem)):
            if image.suffix.lower() not in SUFFIXES:
                continue
            mask = masks.pop(image.stem, None)
            if mask is None:
                ctx.problem(
                    "missing_mask", image, f"no mask/{image.stem}.* for this image; skipped", sample_id=image.stem
                )
                continue
            yield Item(
                sample_id=image.stem,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={"nodule": mask_decode(ctx, mask, spec, "nodule")},
            )
        for _, mask in sorted(masks.items()):
            ctx.problem("missing_image", mask, "mask without an image in image/; ignored")
