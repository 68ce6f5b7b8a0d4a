"""Classification metrics against scikit-learn, detection against pycocotools' file-based pipeline, regression and
bootstrap by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as skm

from registry.bench.metrics import classification as cls
from registry.bench.metrics import detection as det
from registry.bench.metrics import regression as reg
from registry.bench.metrics.bootstrap import nanmean_ci, statistic_ci


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("n_classes", [2, 3, 6])
@pytest.mark.parametrize("seed", range(4))
def test_classification_matches_sklearn(n_classes, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, 80)
    logits = rng.normal(size=(80, n_classes)) + 1.5 * np.eye(n_classes)[y] * rng.random((80, 1))
    probs = _softmax(logits)
    pred = probs.argmax(axis=1)
    assert cls.accuracy(y, pred) == pytest.approx(skm.accuracy_score(y, pred))
    assert cls.f1_macro(y, pred, n_classes) == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert cls.mcc(y, pred, n_classes) == pytest.approx(skm.matthews_corrcoef(y, pred))
    ref_auc = (
        skm.roc_auc_score(y, probs[:, 1])
        if n_classes == 2
        else skm.roc_auc_score(y, probs, average="macro", multi_class="ovr")
    )
    assert cls.auc(y, probs) == pytest.approx(ref_auc)


def test_classification_edge_cases_match_sklearn():
    y = np.array([0, 0, 1, 1, 2, 2])
    constant = np.zeros(6, int)
    assert cls.mcc(y, constant, 3) == pytest.approx(skm.matthews_corrcoef(y, constant)) == 0.0
    assert cls.f1_macro(y, constant, 3) == pytest.approx(skm.f1_score(y, constant, average="macro", zero_division=0))
    # a class that never occurs in labels or predictions is not averaged in (scikit-learn's default labels)
    assert cls.f1_macro(y, y, 5) == pytest.approx(1.0)
    scores = np.array([0.1, 0.5, 0.5, 0.5, 0.9, 0.9])  # ties get half credit
    pos = np.array([0, 0, 1, 0, 1, 1])
    assert cls.binary_auc(pos == 1, scores) == pytest.approx(skm.roc_auc_score(pos, scores))
    with pytest.raises(ValueError, match="single class"):
        cls.auc(np.zeros(4, int), np.full((4, 2), 0.5))


def test_classification_aggregate_reports_cis():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 60)
    probs = _softmax(rng.normal(size=(60, 2)) + 2 * np.eye(2)[y])
    out = {m.name: m for m in cls.aggregate(y, probs.argmax(1), probs, 2, n_boot=200, seed=0)}
    assert set(out) == {"accuracy", "f1_macro", "auc", "mcc"}
    for m in out.values():
        assert m.n == 60 and m.ci_low <= m.value <= m.ci_high


# -- detection ----------------------------------------------------------------------------------------------------


def _pycocotools_files(tmp_path, images):
    """The standard pycocotools pipeline: GT json file, results list through loadRes."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "lesion"}, {"id": 2, "name": "other"}]}
    results = []
    for i, img in enumerate(images):
        gt["images"].append({"id": i + 1, "width": img.width, "height": img.height, "file_name": f"{i}.png"})
        for inst in img.gt:
            x0, y0, x1, y1 = inst.box
            gt["annotations"].append(
                {
                    "id": len(gt["annotations"]) + 1,
                    "image_id": i + 1,
                    "iscrowd": 0,
                    "category_id": inst.category_id,
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "area": (x1 - x0) * (y1 - y0),
                }
            )
        for inst in img.pred:
            x0, y0, x1, y1 = inst.box
            results.append(
                {
                    "image_id": i + 1,
                    "category_id": inst.category_id,
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "score": inst.score,
                }
            )
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(gt))
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(path))
        dt = coco.loadRes(results)
        ev = COCOeval(coco, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats[0], ev.stats[1]


def _random_images(rng, n=12):
    images = []
    for _ in range(n):
        img = det.ImageInstances(200, 300)
        for _ in range(int(rng.integers(0, 4))):
            x0, y0 = rng.uniform(0, 200), rng.uniform(0, 120)
            w, h = rng.uniform(10, 80), rng.uniform(10, 60)
            cat = int(rng.integers(1, 3))
            img.gt.append(det.Instance((x0, y0, x0 + w, y0 + h), cat))
            if rng.random() < 0.8:
                jx, jy = rng.normal(0, 6, 2)
                img.pred.append(det.Instance((x0 + jx, y0 + jy, x0 + w + jx, y0 + h), cat, float(rng.random())))
        for _ in range(int(rng.integers(0, 2))):  # false positives
            x0, y0 = rng.uniform(0, 200), rng.uniform(0, 120)
            img.pred.append(det.Instance((x0, y0, x0 + 30, y0 + 30), int(rng.integers(1, 3)), float(rng.random())))
        images.append(img)
    return images


@pytest.mark.parametrize("seed", range(4))
def test_coco_map_matches_the_pycocotools_file_pipeline(tmp_path, seed):
    images = _random_images(np.random.default_rng(seed))
    ours = det.coco_map(images)
    ref = _pycocotools_files(tmp_path, images)
    assert ours == pytest.approx(ref)


def test_coco_map_hand_cases():
    gt = det.Instance((10, 10, 60, 60))
    perfect = [det.ImageInstances(100, 100, [gt], [det.Instance((10, 10, 60, 60), 1, 0.9)])]
    assert det.coco_map(perfect) == pytest.approx((1.0, 1.0))
    # IoU 0.62: passes the thresholds .50, .55, .60 of ten -> mAP 0.3 (interpolated precision 1 at those).
    # Two 50x50 boxes overlapping over a width o have IoU o / (100 - o).
    overlap = 100 * 0.62 / 1.62
    shifted = det.Instance((10 + 50 - overlap, 10, 60 + 50 - overlap, 60), 1, 0.9)
    assert det.box_iou(gt.box, shifted.box) == pytest.approx(0.62)
    m, m50 = det.coco_map([det.ImageInstances(100, 100, [gt], [shifted])])
    assert m50 == pytest.approx(1.0) and m == pytest.approx(0.3, abs=1e-6)
    assert det.coco_map([det.ImageInstances(100, 100, [gt], [])]) == (0.0, 0.0)
    # no GT object at all: undefined, not zero
    assert det.coco_map([det.ImageInstances(100, 100, [], [shifted])]) == (None, None)


def test_instance_segmentation_map_and_components():
    label = np.zeros((40, 40), np.uint8)
    label[2:10, 2:10] = 1
    label[20:30, 20:35] = 1
    label[32:38, 2:8] = 2
    gt = det.instances_from_label_map(label)
    assert len(gt) == 3 and sorted(i.category_id for i in gt) == [1, 1, 2]
    preds = [det.Instance(i.box, i.category_id, 0.9, i.mask) for i in gt]
    assert det.coco_map([det.ImageInstances(40, 40, gt, preds)], "segm") == pytest.approx((1.0, 1.0))
    with pytest.raises(ValueError, match="iou_type"):
        det.coco_map([], "keypoints")


def test_detection_aggregate_and_fm_uia_box_iou():
    images = _random_images(np.random.default_rng(9), n=10)
    out = {m.name: m for m in det.aggregate(images, n_boot=20, seed=0)}
    assert out["map"].value == pytest.approx(det.coco_map(images)[0])
    assert out["map"].ci_low <= out["map"].value <= out["map"].ci_high
    with_gt = [i for i in images if i.gt]
    expected = []
    for img in with_gt:
        best = max(img.pred, key=lambda p: p.score) if img.pred else None
        expected.append(det.box_iou(img.gt[0].box, best.box) if best else 0.0)
    assert out["box_iou"].value == pytest.approx(np.mean(expected)) and out["box_iou"].n == len(with_gt)


# -- regression and bootstrap --------------------------------------------------------------------------------------


def test_mean_radial_error_by_hand():
    gts = [np.array([[0, 0], [10, 10]]), np.array([[5, 5], [np.nan, np.nan]])]
    preds = [np.array([[3, 4], [10, 10]]), np.array([[5, 7], [1, 1]])]
    [m] = reg.aggregate(gts, preds, n_boot=0)
    assert m.name == "mre" and m.value == pytest.approx(((5 + 0) / 2 + 2) / 2) and m.n == 2
    with pytest.raises(ValueError, match="keypoints"):
        reg.radial_errors(np.zeros((2, 2)), np.zeros((3, 2)))


def test_weighted_bootstrap_equals_an_index_bootstrap():
    rng = np.random.default_rng(5)
    values = rng.random(50)
    values[::7] = np.nan
    fast = nanmean_ci(values, n_boot=4000, seed=2)
    slow = statistic_ci(lambda idx: np.nanmean(values[idx]), 50, n_boot=4000, seed=3)
    assert fast[0] == pytest.approx(slow[0], abs=0.02) and fast[1] == pytest.approx(slow[1], abs=0.02)
    assert nanmean_ci(values[:1], n_boot=100) == (None, None)
    assert nanmean_ci(values, n_boot=0) == (None, None)
