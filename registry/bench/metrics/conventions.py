"""Metric conventions: how each source computes its numbers, so that a reproduced number means the same thing.

Every benchmark result records the convention it used (column ``convention``). The facts come from
``docs/sources.md``; where a source's convention is unknown the usreg default applies and says so.

Segmentation conventions
------------------------
``usreg`` (default; also the carotid-plaque proposal, docs/sources.md §1)
    Per image and per foreground class: Dice = 2TP/(2TP+FP+FN), IoU = TP/(TP+FP+FN), HD95 and ASSD on surfaces
    (see ``surface.py``). A class's value is the mean over the images whose ground truth (GT) contains that class,
    so false positives on images without the class do not enter its Dice; on images with no foreground at all they
    are measured by the negative-image metrics below. When the GT has the class and the
    prediction does not, Dice = IoU = 0 and HD95 = ASSD = the image diagonal. ``dice``/``iou``/``hd95``/``assd`` are
    the means over foreground classes.
``fm-uia`` (FM_UIA 2026 ``evaluate.py``)
    Per image and per class: DSC = 2|P∩G|/(|P|+|G|), equal to 1 when both are empty; Hausdorff distance with
    SimpleITK's HausdorffDistanceImageFilter (full-set, metric ``hd``): 0 when both are empty, the image diagonal
    when exactly one is. Per-class values are averaged over *all* images; the task score is the mean over classes
    1..C-1. HD95/ASSD follow the same empty rules (usreg additions; FM_UIA reports DSC and HD only).
``porcine-ioueval`` (porcine spinal cord, authors' ``IOUEval``)
    A confusion matrix per batch; per-class Dice = 2TP/(2TP+FP+FN+1e-8) (IoU likewise with TP+FP+FN+1e-8), so a
    class absent from both prediction and GT scores 0; the batch score is the mean over *all* classes including
    background; the result is the mean over batches. The authors' batch size is unknown: usreg uses
    ``batch_size`` images per batch (default 1, i.e. per image). HD95/ASSD follow the usreg rules.

Negative images (every convention, when the split has any)
    An image is negative when its GT has no foreground pixel. ``fp_rate`` is the share of negative images with any
    predicted foreground pixel; ``fp_area`` the mean number of predicted foreground pixels per negative image and
    ``fp_area_frac`` the same as a fraction of the image. (The carotid paper's own measure is unknown; this is the
    proposal of docs/sources.md §1.)

Detection
    ``map`` (COCO mAP@[.5:.95]) and ``map50`` with pycocotools' COCOeval (bbox, or segm for instance masks), at
    most 100 detections per image, area range "all". The porcine authors report YOLOv8's mAP50-95: the same
    definition, computed by Ultralytics' own code, so small differences from pycocotools are possible.
    FM_UIA scores detection as the mean IoU of the single predicted box with the single GT box: ``box_iou``.

Classification (FM_UIA's definitions)
    ``accuracy``; ``f1_macro`` (unweighted mean of per-class F1 over the classes in the labels or predictions; a
    class without a true positive scores 0);
    ``auc``: binary ROC AUC of the positive-class probability, multi-class the macro one-vs-rest AUC;
    ``mcc``: Matthews correlation (multi-class: Gorodkin's R_K).

Regression / landmarks (FM_UIA)
    ``mre``: per image, the mean Euclidean distance in pixels over keypoints; then the mean over images.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ...errors import UsageError


@dataclass(frozen=True)
class SegConvention:
    name: str
    summary: str
    images: Literal["gt-present", "all"] = "gt-present"
    distance_images: Literal["gt-present", "all"] = "gt-present"
    both_empty_overlap: float | None = None  # Dice/IoU when GT and prediction are both empty; None = not counted
    mean_over: Literal["foreground", "all"] = "foreground"
    epsilon: float = 0.0
    pooled_batches: bool = False
    batch_size: int = 1
    full_hausdorff: bool = False
    options: dict = field(default_factory=dict)


USREG = SegConvention(
    "usreg",
    "per-class means over images whose GT has the class; negatives scored separately",
)
FM_UIA = SegConvention(
    "fm-uia",
    "FM_UIA evaluate.py: DSC=1 when both empty, HD=diagonal when one is empty, mean over classes 1..C-1",
    images="all",
    distance_images="all",
    both_empty_overlap=1.0,
    full_hausdorff=True,
)
PORCINE = SegConvention(
    "porcine-ioueval",
    "porcine IOUEval: per-batch confusion, 2TP/(2TP+FP+FN+1e-8), mean over all classes incl. background",
    images="all",
    mean_over="all",
    epsilon=1e-8,
    pooled_batches=True,
)

CONVENTIONS: dict[str, SegConvention] = {c.name: c for c in (USREG, FM_UIA, PORCINE)}
ALIASES = {"carotid-proposal": "usreg", "default": "usreg", "ioueval": "porcine-ioueval"}

# Which convention a dataset's own reference numbers use. Keyed by dataset id, then by loader name; an id prefix
# ending in "*" matches every id that starts with it.
DATASET_CONVENTIONS: dict[str, str] = {
    "carotid-plaque": "usreg",
    "porcine-spinal-cord": "porcine-ioueval",
    "fm-uia*": "fm-uia",
}


def get_convention(name: str, batch_size: int | None = None) -> SegConvention:
    key = ALIASES.get(name, name)
    if key not in CONVENTIONS:
        raise UsageError(
            f"unknown metric convention {name!r}",
            hint="choose one of: " + ", ".join([*CONVENTIONS, *ALIASES]),
        )
    conv = CONVENTIONS[key]
    if batch_size is not None and conv.pooled_batches:
        if batch_size < 1:
            raise UsageError(f"batch size must be at least 1, got {batch_size}")
        conv = SegConvention(**{**conv.__dict__, "batch_size": batch_size})
    return conv


def convention_for(dataset_id: str, loader: str | None = None) -> SegConvention:
    """The convention of a dataset's source, or the usreg default."""
    for key in (dataset_id, loader):
        if key and key in DATASET_CONVENTIONS:
            return CONVENTIONS[DATASET_CONVENTIONS[key]]
    for pattern, name in DATASET_CONVENTIONS.items():
        if pattern.endswith("*") and any(k and k.startswith(pattern[:-1]) for k in (dataset_id, loader)):
            return CONVENTIONS[name]
    return USREG
