"""Detection and instance segmentation: COCO mAP@[.5:.95] and mAP@50 via pycocotools' COCOeval.

Boxes are Pascal-VOC pixel boxes (x_min, y_min, x_max, y_max), converted to COCO's (x, y, width, height) with
width = x_max - x_min (continuous coordinates, no +1). Ground-truth instances for ``segm`` are the connected
components (8-connected) of each class of a label map. FM_UIA's detection score, the mean IoU of the top-scoring
predicted box with the single GT box, is ``box_iou``.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .base import MetricValue
from .bootstrap import interval, nanmean_ci

DETECTION_N_BOOT = 100  # COCOeval is rerun for every replicate, so detection CIs use fewer replicates.


@dataclass
class Instance:
    """One GT object or one prediction: a box, optionally a binary mask, a category and (for predictions) a score."""

    box: tuple[float, float, float, float]
    category_id: int = 1
    score: float = 1.0
    mask: np.ndarray | None = None


@dataclass
class ImageInstances:
    height: int
    width: int
    gt: list[Instance] = field(default_factory=list)
    pred: list[Instance] = field(default_factory=list)


def instances_from_label_map(label_map: np.ndarray) -> list[Instance]:
    """GT instances: the 8-connected components of every non-zero class."""
    from scipy import ndimage as ndi

    out = []
    for c in np.unique(label_map):
        if c == 0:
            continue
        comps, n = ndi.label(label_map == c, structure=np.ones((3, 3), bool))
        for i, sl in enumerate(ndi.find_objects(comps), start=1):
            if sl is None:
                continue
            mask = comps == i
            y, x = sl
            out.append(Instance((x.start, y.start, x.stop, y.stop), int(c), 1.0, mask))
    del n
    return out


def _xywh(box: Sequence[float]) -> list[float]:
    x0, y0, x1, y1 = (float(v) for v in box)
    return [x0, y0, max(0.0, x1 - x0), max(0.0, y1 - y0)]


def _coco(images: Sequence[ImageInstances], which: str, iou_type: str, categories: Sequence[int]):
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO

    anns: list[dict[str, object]] = []
    for image_id, img in enumerate(images):
        for inst in getattr(img, which):
            bbox = _xywh(inst.box)
            ann: dict[str, object] = {
                "id": len(anns) + 1,
                "image_id": image_id,
                "category_id": int(inst.category_id),
                "iscrowd": 0,
                "bbox": bbox,
                "score": float(inst.score),
            }
            if iou_type == "segm":
                if inst.mask is None:
                    raise ValueError("instance segmentation needs a mask for every instance")
                rle = mask_utils.encode(np.asfortranarray(inst.mask.astype(np.uint8)))
                rle["counts"] = rle["counts"].decode("ascii")
                ann["segmentation"] = rle
                ann["area"] = float(mask_utils.area(rle))
            else:
                ann["area"] = bbox[2] * bbox[3]
            anns.append(ann)
    coco = COCO()
    coco.dataset = {
        "images": [{"id": i, "height": img.height, "width": img.width} for i, img in enumerate(images)],
        "categories": [{"id": int(c), "name": str(c)} for c in categories],
        "annotations": anns,
    }
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def coco_map(images: Sequence[ImageInstances], iou_type: str = "bbox") -> tuple[float | None, float | None]:
    """(mAP@[.5:.95], mAP@50), or (None, None) when the split has no GT object."""
    from pycocotools.cocoeval import COCOeval

    if iou_type not in ("bbox", "segm"):
        raise ValueError(f"iou_type must be 'bbox' or 'segm', got {iou_type!r}")
    if not any(img.gt for img in images):
        return None, None
    categories = sorted({i.category_id for img in images for i in (*img.gt, *img.pred)})
    gt = _coco(images, "gt", iou_type, categories)
    dt = _coco(images, "pred", iou_type, categories)
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval(gt, dt, iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    m, m50 = float(ev.stats[0]), float(ev.stats[1])
    return (m if m >= 0 else None), (m50 if m50 >= 0 else None)


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    ax0, ay0, ax1, ay1 = a
    bx0, by0, bx1, by1 = b
    iw = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    ih = max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return float(inter / union) if union > 0 else 0.0


def mean_box_iou(images: Sequence[ImageInstances]) -> np.ndarray:
    """Per image with a GT box: IoU of the top-scoring prediction with the first GT box (0 with no prediction)."""
    values = []
    for img in images:
        if not img.gt:
            continue
        if not img.pred:
            values.append(0.0)
            continue
        best = max(img.pred, key=lambda p: p.score)
        values.append(box_iou(img.gt[0].box, best.box))
    return np.array(values, dtype=np.float64)


def aggregate(
    images: Sequence[ImageInstances],
    iou_type: str = "bbox",
    n_boot: int = DETECTION_N_BOOT,
    seed: int = 0,
) -> list[MetricValue]:
    images = list(images)
    n = len(images)
    m, m50 = coco_map(images, iou_type)
    out = []
    if m is not None:
        reps = _replicates(images, iou_type, n_boot, seed)
        for k, (name, value) in enumerate((("map", m), ("map50", m50))):
            if value is None:  # COCOeval's -1: no ground truth at this IoU threshold
                continue
            low, high = interval(reps[:, k], 0.05) if reps.size else (None, None)
            out.append(MetricValue(name, value, low, high, n))
    if iou_type == "bbox":
        ious = mean_box_iou(images)
        if ious.size:
            low, high = nanmean_ci(ious, n_boot=n_boot, seed=seed)
            out.append(MetricValue("box_iou", float(ious.mean()), low, high, int(ious.size)))
    return out


def _replicates(images: Sequence[ImageInstances], iou_type: str, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, 2) bootstrap replicates of (mAP, mAP50), resampling images; one COCOeval per replicate."""
    n = len(images)
    if n < 2 or n_boot <= 0:
        return np.empty((0, 2))
    rng = np.random.default_rng(seed)
    reps = np.full((n_boot, 2), np.nan)
    for r in range(n_boot):
        idx = rng.integers(0, n, size=n)
        m, m50 = coco_map([images[i] for i in idx], iou_type)
        reps[r] = (np.nan if m is None else m, np.nan if m50 is None else m50)
    return reps
