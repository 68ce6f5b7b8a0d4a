"""Segmentation metrics against SimpleITK (an independent implementation) and brute force, on random and edge-case
masks, plus each source's convention."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from scipy.spatial.distance import cdist

from registry.bench.metrics import segmentation as seg
from registry.bench.metrics.conventions import FM_UIA, PORCINE, USREG, convention_for, get_convention
from registry.bench.metrics.surface import diagonal, hausdorff, hd95_assd, surface, surface_distances
from registry.errors import UsageError


def _img(a: np.ndarray) -> sitk.Image:
    return sitk.GetImageFromArray(a.astype(np.uint8))


def sitk_hausdorff(a: np.ndarray, b: np.ndarray) -> float:
    f = sitk.HausdorffDistanceImageFilter()
    f.Execute(_img(a), _img(b))
    return f.GetHausdorffDistance()


def sitk_overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    f = sitk.LabelOverlapMeasuresImageFilter()
    f.Execute(_img(a), _img(b))
    return f.GetDiceCoefficient(), f.GetJaccardCoefficient()


def sitk_surface(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """The SimpleITK contour recipe: LabelContour + Maurer distance maps, sampled on the other contour.

    The images are padded with one background pixel so that pixels on the image border count as contour (SimpleITK
    otherwise treats the outside as part of the object), the definition usreg documents.
    """
    contours, maps = [], []
    for m in (a, b):
        c = sitk.LabelContour(_img(np.pad(m, 1)), fullyConnected=False)
        contours.append(sitk.GetArrayFromImage(c) > 0)
        dist = sitk.SignedMaurerDistanceMap(c, squaredDistance=False, useImageSpacing=True, insideIsPositive=False)
        maps.append(np.abs(sitk.GetArrayFromImage(dist)))
    d_ab, d_ba = maps[1][contours[0]], maps[0][contours[1]]
    hd95 = max(np.percentile(d_ab, 95), np.percentile(d_ba, 95))
    assd = (d_ab.sum() + d_ba.sum()) / (d_ab.size + d_ba.size)
    return float(hd95), float(assd)


def brute_surface(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    pa, pb = np.argwhere(surface(a)), np.argwhere(surface(b))
    d = cdist(pa, pb)
    d_ab, d_ba = d.min(axis=1), d.min(axis=0)
    return (max(np.percentile(d_ab, 95), np.percentile(d_ba, 95)), (d_ab.sum() + d_ba.sum()) / (d_ab.size + d_ba.size))


def random_mask(rng: np.random.Generator, shape=(48, 56)) -> np.ndarray:
    """Blobs of different shapes, touching the border now and then, plus salt noise."""
    m = np.zeros(shape, bool)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    for _ in range(int(rng.integers(1, 4))):
        cy, cx = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
        ry, rx = rng.uniform(2, shape[0] / 3), rng.uniform(2, shape[1] / 3)
        m |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    m |= rng.random(shape) < 0.01
    return m


EDGE = {
    "one-pixel": lambda s: _put(s, [(10, 12)]),
    "other-pixel": lambda s: _put(s, [(30, 40)]),
    "corner-pixel": lambda s: _put(s, [(0, 0)]),
    "full": lambda s: np.ones(s, bool),
    "border-row": lambda s: _rows(s, 0, 1),
    "band": lambda s: _rows(s, 20, 25),
}


def _put(shape, points):
    m = np.zeros(shape, bool)
    for p in points:
        m[p] = True
    return m


def _rows(shape, a, b):
    m = np.zeros(shape, bool)
    m[a:b] = True
    return m


@pytest.mark.parametrize("seed", range(12))
def test_distances_match_simpleitk_on_random_masks(seed):
    rng = np.random.default_rng(seed)
    a, b = random_mask(rng), random_mask(rng)
    assert hausdorff(a, b) == pytest.approx(sitk_hausdorff(a, b), abs=1e-4)
    hd95, assd = hd95_assd(a, b)
    ref95, ref_assd = sitk_surface(a, b)
    assert hd95 == pytest.approx(ref95, abs=1e-4)
    assert assd == pytest.approx(ref_assd, abs=1e-4)
    assert (hd95, assd) == pytest.approx(brute_surface(a, b))


@pytest.mark.parametrize("name_a", sorted(EDGE))
@pytest.mark.parametrize("name_b", sorted(EDGE))
def test_distances_match_simpleitk_on_edge_cases(name_a, name_b):
    shape = (40, 50)
    a, b = EDGE[name_a](shape), EDGE[name_b](shape)
    assert hausdorff(a, b) == pytest.approx(sitk_hausdorff(a, b), abs=1e-4)
    assert hd95_assd(a, b) == pytest.approx(sitk_surface(a, b), abs=1e-4)


def test_identical_masks_have_zero_distance_and_unit_overlap():
    rng = np.random.default_rng(3)
    a = random_mask(rng)
    assert hausdorff(a, a) == 0
    assert hd95_assd(a, a) == (0.0, 0.0)
    s = seg.score_image(a.astype(np.uint8), a.astype(np.uint8), 2)
    assert s.fp[1] == 0 and s.fn[1] == 0


def test_surface_of_full_mask_is_the_image_border():
    m = np.ones((5, 6), bool)
    s = surface(m)
    assert s[0].all() and s[-1].all() and s[:, 0].all() and s[:, -1].all()
    assert not s[1:-1, 1:-1].any()


def test_cropping_gives_the_same_distances_as_the_full_image():
    a = np.zeros((200, 300), bool)
    b = np.zeros((200, 300), bool)
    a[150:160, 250:270] = True
    b[155:170, 240:262] = True
    d_ab, d_ba = surface_distances(a, b)
    ref = cdist(np.argwhere(surface(a)), np.argwhere(surface(b)))
    assert np.sort(d_ab) == pytest.approx(np.sort(ref.min(axis=1)))
    assert np.sort(d_ba) == pytest.approx(np.sort(ref.min(axis=0)))


@pytest.mark.parametrize("seed", range(6))
def test_dice_iou_match_simpleitk(seed):
    rng = np.random.default_rng(100 + seed)
    a, b = random_mask(rng), random_mask(rng)
    s = seg.score_image(a.astype(np.uint8), b.astype(np.uint8), 2, distances=False)
    [dice], [iou] = (v[:, 1] for v in seg._overlap(s.tp[None], s.fp[None], s.fn[None], 0.0, None))
    ref_dice, ref_iou = sitk_overlap(a, b)
    assert dice == pytest.approx(ref_dice) and iou == pytest.approx(ref_iou)


def test_multiclass_counts_match_a_confusion_matrix():
    rng = np.random.default_rng(7)
    gt = rng.integers(0, 4, (30, 30))
    pred = rng.integers(0, 4, (30, 30))
    s = seg.score_image(gt, pred, 4, distances=False)
    for c in range(4):
        assert s.tp[c] == np.sum((gt == c) & (pred == c))
        assert s.fp[c] == np.sum((gt != c) & (pred == c))
        assert s.fn[c] == np.sum((gt == c) & (pred != c))
    full = seg.score_image(gt, pred, 4, distances=True)
    for c in range(1, 4):
        assert full.hd95[c] == pytest.approx(sitk_surface(gt == c, pred == c)[0], abs=1e-4)


def test_labels_outside_the_class_map_are_an_error():
    with pytest.raises(ValueError, match="outside the 3 classes"):
        seg.score_image(np.zeros((4, 4), np.uint8), np.full((4, 4), 5, np.uint8), 3)
    with pytest.raises(ValueError, match="differs"):
        seg.score_image(np.zeros((4, 4), np.uint8), np.zeros((4, 5), np.uint8), 2)


def _scores(pairs, n_classes=2, full=False):
    return [seg.score_image(g, p, n_classes, True, full) for g, p in pairs]


def _by_name(metrics):
    return {m.name: m for m in metrics}


def _pairs_for_conventions():
    shape = (20, 20)
    empty = np.zeros(shape, np.uint8)
    blob = np.zeros(shape, np.uint8)
    blob[5:10, 5:10] = 1
    shifted = np.zeros(shape, np.uint8)
    shifted[5:10, 6:11] = 1
    return [
        (blob, shifted),  # overlap: dice 0.8
        (blob, empty),  # missed: dice 0, distance = diagonal
        (empty, empty),  # true negative
        (empty, blob),  # false positive on a negative image
    ]


def test_usreg_convention_scores_images_with_gt_and_negatives_separately():
    m = _by_name(seg.aggregate(_scores(_pairs_for_conventions()), ["background", "plaque"], USREG, n_boot=0))
    assert m["dice"].value == pytest.approx((0.8 + 0.0) / 2) and m["dice"].n == 2
    assert m["dice[plaque]"].value == m["dice"].value
    assert m["iou"].value == pytest.approx((20 / 30 + 0) / 2)
    diag = diagonal((20, 20))
    assert m["hd95"].value == pytest.approx((1.0 + diag) / 2)
    assert m["fp_rate"].value == pytest.approx(0.5) and m["fp_rate"].n == 2
    assert m["fp_area"].value == pytest.approx(25 / 2)
    assert m["fp_area_frac"].value == pytest.approx(25 / 2 / 400)


def test_fm_uia_convention_counts_every_image_with_its_empty_rules():
    m = _by_name(
        seg.aggregate(_scores(_pairs_for_conventions(), full=True), ["background", "plaque"], FM_UIA, n_boot=0)
    )
    # DSC: 0.8, 0 (one empty), 1 (both empty), 0 (one empty)
    assert m["dice"].value == pytest.approx(1.8 / 4) and m["dice"].n == 4
    diag = diagonal((20, 20))
    # HD (full-set): 1 for the shift, diagonal twice, 0 when both are empty
    assert m["hd"].value == pytest.approx((1.0 + diag + 0.0 + diag) / 4)
    assert "dice[background]" not in m  # FM_UIA's task score is the mean over classes 1..C-1


def test_porcine_convention_includes_background_and_uses_epsilon():
    pairs = _pairs_for_conventions()
    m = _by_name(seg.aggregate(_scores(pairs), ["background", "plaque"], PORCINE, n_boot=0))
    eps = 1e-8
    per_image = []
    for g, p in pairs:
        dices = []
        for c in (0, 1):
            tp = np.sum((g == c) & (p == c))
            fp = np.sum((g != c) & (p == c))
            fn = np.sum((g == c) & (p != c))
            dices.append(2 * tp / (2 * tp + fp + fn + eps))
        per_image.append(np.mean(dices))
    assert m["dice"].value == pytest.approx(np.mean(per_image))
    assert "dice[background]" in m
    # a class absent from prediction and GT scores 0 (the epsilon), not NaN: the empty/empty image
    assert per_image[2] == pytest.approx(0.5)
    pooled = get_convention("porcine-ioueval", batch_size=4)
    m4 = _by_name(seg.aggregate(_scores(pairs), ["background", "plaque"], pooled, n_boot=0))
    assert m4["dice"].n == 1  # one batch of four images


def test_conventions_are_chosen_by_dataset_and_names_are_checked():
    assert convention_for("carotid-plaque").name == "usreg"
    assert convention_for("porcine-spinal-cord").name == "porcine-ioueval"
    assert convention_for("fm-uia-2026").name == "fm-uia"
    assert convention_for("unknown-set").name == "usreg"
    assert get_convention("carotid-proposal").name == "usreg"
    with pytest.raises(UsageError, match="unknown metric convention"):
        get_convention("nope")


def test_bootstrap_interval_brackets_the_mean_and_is_seeded():
    rng = np.random.default_rng(0)
    pairs = []
    for _ in range(30):
        g = random_mask(rng).astype(np.uint8)
        p = random_mask(rng).astype(np.uint8)
        pairs.append((g, p))
    scores = _scores(pairs)
    a = _by_name(seg.aggregate(scores, ["background", "fg"], USREG, n_boot=300, seed=1))
    b = _by_name(seg.aggregate(scores, ["background", "fg"], USREG, n_boot=300, seed=1))
    assert a["dice"].ci_low <= a["dice"].value <= a["dice"].ci_high
    assert (a["dice"].ci_low, a["dice"].ci_high) == (b["dice"].ci_low, b["dice"].ci_high)
    assert a["hd95"].ci_low <= a["hd95"].value <= a["hd95"].ci_high


@pytest.mark.parametrize("seed", range(4))
def test_kd_tree_and_distance_transform_paths_agree(seed, monkeypatch):
    from registry.bench.metrics import surface as surface_mod

    rng = np.random.default_rng(200 + seed)
    a, b = random_mask(rng, (90, 70)), random_mask(rng, (90, 70))
    monkeypatch.setattr(surface_mod, "KD_TREE_FACTOR", 0)  # never a k-d tree
    edt = hd95_assd(a, b)
    monkeypatch.setattr(surface_mod, "KD_TREE_FACTOR", 10**9)  # always a k-d tree
    kd = hd95_assd(a, b)
    assert kd == pytest.approx(edt)
    assert edt == pytest.approx(sitk_surface(a, b), abs=1e-4)


def test_scores_from_foreground_crops_equal_scores_from_whole_images():
    rng = np.random.default_rng(42)
    cases = [(random_mask(rng).astype(np.uint8), random_mask(rng).astype(np.uint8)) for _ in range(3)]
    cases.append((np.zeros((48, 56), np.uint8), np.zeros((48, 56), np.uint8)))  # nothing to crop to
    multi = rng.integers(0, 3, (48, 56)).astype(np.uint8)
    cases.append((multi, np.roll(multi, 2, axis=1)))
    for gt, pred in cases:
        n = 3 if gt.max() > 1 else 2
        whole = seg.score_image(gt, pred, n, True, True)
        [cropped] = seg.score_many([seg.crop_to_foreground(gt, pred)], n, True, True)
        for field in ("tp", "fp", "fn"):
            assert np.array_equal(getattr(whole, field), getattr(cropped, field)), field
        for field in ("hd95", "assd", "hd"):
            assert np.allclose(getattr(whole, field), getattr(cropped, field), equal_nan=True), field
        assert (whole.diagonal, whole.n_pixels) == (cropped.diagonal, cropped.n_pixels)


def _ellipse(shape, cy, cx, ry, rx):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1


@pytest.mark.parametrize("factor", [16, 10**9, 0], ids=["auto", "distance-transform", "kd-tree"])
@pytest.mark.parametrize("shift", [0, 1, 3, 9])
def test_hausdorff_both_methods_match_simpleitk_on_smooth_objects(monkeypatch, factor, shift):
    import registry.bench.metrics.surface as surface_module

    monkeypatch.setattr(surface_module, "KD_TREE_FACTOR", factor)
    shape = (120, 160)
    a = _ellipse(shape, 60, 70, 40, 55)
    b = _ellipse(shape, 60 + shift, 70 - shift // 2, 38, 57) | _ellipse(shape, 15, 140, 3, 4)
    assert hausdorff(a, b) == pytest.approx(sitk_hausdorff(a, b), abs=1e-4)
    assert hausdorff(a, a | _ellipse(shape, 60, 70, 40 + shift, 55)) == pytest.approx(
        sitk_hausdorff(a, a | _ellipse(shape, 60, 70, 40 + shift, 55)), abs=1e-4
    )
