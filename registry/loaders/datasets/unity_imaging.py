"""Unity Imaging Collaborative echocardiography frames (ImperialAIEchocardiographyDataset) with landmark labels.

Layout (from ultatron's ``data/adapters/cardiac/unity.py``, which reads the real download): ``labels.zip`` gives
``labels/labels-train.json``, ``labels/labels-tune.json`` (the published training / tuning split) and
``labels/labels-all.json``, each ``{file name: {"labels": {label name: {"type": ..., "x": ..., "y": ...}}}}``;
``png-cache.zip`` gives the frames at ``png-cache/<prefix>/<hash[0:2]>/<hash[2:4]>/<prefix>-<hash>-<frame>.png``.

- One sample per labelled frame; split ``train`` / ``val`` from the train / tune files (without them, every frame in
  ``labels-all.json`` with a seeded split).
- Points: every active label's coordinates (``x`` and ``y`` hold one value for a point, several space-separated
  values for the control points of a curve), labels in name order; labels of type ``off`` or ``blurred`` or without
  coordinates are left out. The per-label points go to ``extra`` under their names.
- Subject = the hash part of the file name (one source video), so frames of a video stay in one split.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import image_decode
from ..tables import read_document

INACTIVE = {"off", "blurred", ""}


def image_path(root: Path, name: str) -> Path | None:
    parts = name.split("-", 2)
    if len(parts) < 3 or len(parts[1]) < 4:
        return None
    prefix, digest = parts[0], parts[1]
    return root / "png-cache" / prefix / digest[:2] / digest[2:4] / name


def keypoints(labels: Any) -> dict[str, dict[str, Any]] | None:
    """Active labels as {name: {"type", "x": [...], "y": [...]}}, or None if a coordinate is not a number."""
    out: dict[str, dict[str, Any]] = {}
    for name, info in sorted((labels or {}).items()) if isinstance(labels, dict) else []:
        if not isinstance(info, dict) or str(info.get("type", "")) in INACTIVE:
            continue
        xs, ys = str(info.get("x", "")).split(), str(info.get("y", "")).split()
        if not xs and not ys:
            continue
        try:
            x, y = [float(v) for v in xs], [float(v) for v in ys]
        except ValueError:
            return None
        if len(x) != len(y):
            return None
        out[name] = {"type": info.get("type"), "x": x, "y": y}
    return out


@register
class UnityImaging(Converter):
    name = "unity-imaging"
    summary = "png-cache/<prefix>/<h>/<h>/*.png frames with labels/labels-{train,tune,all}.json landmarks"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        root = ctx.find_dir(lambda d: (d / "labels").is_dir() and (d / "png-cache").is_dir(), "labels/ and png-cache/")
        docs: dict[str, dict[str, Any]] = {}
        for part in ("train", "tune", "all"):
            labels_file = root / "labels" / f"labels-{part}.json"
            if labels_file.is_file():
                try:
                    text = read_document(ctx, labels_file, "its labels are not converted")
                    doc = json.loads(text) if text is not None else {}
                    docs[part] = doc if isinstance(doc, dict) else {}
                except (OSError, ValueError) as exc:
                    ctx.problem("annotation_unreadable", labels_file, f"not a readable JSON file: {exc}")
        listed: list[tuple[str, Any, str | None]]
        if "train" in docs or "tune" in docs:
            listed = [(n, a, "train") for n, a in docs.get("train", {}).items()]
            listed += [(n, a, "val") for n, a in docs.get("tune", {}).items()]
        else:
            listed = [(n, a, None) for n, a in docs.get("all", {}).items()]
            ctx.split_note = "No labels-train/tune.json: a seeded split grouped by video."
        if not listed:
            ctx.problem("missing_annotation", root / "labels", "no labelled frame in labels-{train,tune,all}.json")
        for name, annotation, split in sorted(listed, key=lambda t: t[0]):
            path = image_path(root, name)
            if path is None or not path.is_file():
                ctx.problem("missing_image", root / "labels", f"{name} is not in png-cache/; its labels are ignored")
                continue
            points = keypoints(annotation.get("labels") if isinstance(annotation, dict) else None)
            if points is None:
                ctx.problem("annotation_unreadable", path, "a label's x/y are not matching lists of numbers; skipped")
                continue
            yield Item(
                sample_id=Path(name).stem,
                image=image_decode(ctx, path),
                source_file=ctx.rel(path),
                split=split,
                subject_id=name.split("-", 2)[1],
                points=[(x, y) for p in points.values() for x, y in zip(p["x"], p["y"], strict=True)],
                extra={"keypoints": points},
            )
