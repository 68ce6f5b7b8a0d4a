"""Metric throughput: Dice and HD95 over mask pairs of 800x800, usreg against SimpleITK (and MONAI when installed).

Two kinds of pairs, drawn from a pool of ``--pool`` distinct pairs and cycled up to N evaluations:

- ``plaque``: one or two small elliptical plaques per mask (the carotid-plaque case), prediction = a perturbed copy;
- ``large``: objects covering a third of the image, so the bounding-box crop usreg uses does not help.

Peers (each computing the same definition as usreg; the tests check that they agree):

- Dice: SimpleITK ``LabelOverlapMeasuresImageFilter``; MONAI ``DiceMetric`` (its one-hot tensors are built once,
  outside the timing).
- HD95: the SimpleITK contour recipe (``LabelContour`` + ``SignedMaurerDistanceMap`` on one-pixel padded images,
  95th percentile of both directed sets); MONAI ``compute_hausdorff_distance(percentile=95)``. SimpleITK's
  ``HausdorffDistanceImageFilter`` (full-set HD, FM_UIA's HD) is timed too, against usreg's ``hausdorff``.

Peers are slower, so they run on ``--n-peer`` pairs (default 500); figures are per-pair throughput, so the ratios
compare like with like. Single process, one core:

    python perf/bench_metrics.py --n 10000 --n-peer 500
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from registry.bench.metrics.segmentation import score_image
from registry.bench.metrics.surface import hausdorff, hd95_assd

SIZE = 800


def ellipse(yy, xx, cy, cx, ry, rx):
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1


def make_pairs(kind: str, pool: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    pairs = []
    for _ in range(pool):
        gt = np.zeros((SIZE, SIZE), bool)
        pred = np.zeros((SIZE, SIZE), bool)
        count = int(rng.integers(1, 3)) if kind == "plaque" else 1
        for _ in range(count):
            if kind == "plaque":
                cy, cx = rng.uniform(300, 500), rng.uniform(150, 650)
                ry, rx = rng.uniform(15, 40), rng.uniform(40, 110)
            else:
                cy, cx = rng.uniform(300, 500), rng.uniform(300, 500)
                ry, rx = rng.uniform(200, 300), rng.uniform(200, 300)
            gt |= ellipse(yy, xx, cy, cx, ry, rx)
            dy, dx = rng.normal(0, 4, 2)
            pred |= ellipse(yy, xx, cy + dy, cx + dx, ry * rng.uniform(0.85, 1.15), rx * rng.uniform(0.85, 1.15))
        pairs.append((gt.astype(np.uint8), pred.astype(np.uint8)))
    return pairs


def throughput(fn: Callable, pairs, n: int) -> tuple[float, float]:
    """(pairs per second, checksum of the results) over n evaluations cycling through the pool."""
    for pair in pairs:  # warm up: imports, and MONAI's one-hot inputs
        fn(*pair)
    total = 0.0
    start = time.perf_counter()
    for i in range(n):
        total += float(fn(*pairs[i % len(pairs)]))
    return n / (time.perf_counter() - start), total / n


# -- usreg ---------------------------------------------------------------------------------------------------------


def usreg_dice(g, p):
    s = score_image(g, p, 2, distances=False)
    return 2 * s.tp[1] / (2 * s.tp[1] + s.fp[1] + s.fn[1])


def usreg_hd95(g, p):
    return hd95_assd(g.astype(bool), p.astype(bool))[0]


def usreg_hd(g, p):
    return hausdorff(g.astype(bool), p.astype(bool))


# -- SimpleITK -----------------------------------------------------------------------------------------------------


def sitk_dice(g, p):
    import SimpleITK as sitk

    f = sitk.LabelOverlapMeasuresImageFilter()
    f.Execute(sitk.GetImageFromArray(g), sitk.GetImageFromArray(p))
    return f.GetDiceCoefficient()


def sitk_hd95(g, p):
    import SimpleITK as sitk

    contours, maps = [], []
    for m in (g, p):
        c = sitk.LabelContour(sitk.GetImageFromArray(np.pad(m, 1)), fullyConnected=False)
        contours.append(sitk.GetArrayViewFromImage(c) > 0)
        d = sitk.SignedMaurerDistanceMap(c, squaredDistance=False, useImageSpacing=True, insideIsPositive=False)
        maps.append(np.abs(sitk.GetArrayViewFromImage(d)))
    return max(np.percentile(maps[1][contours[0]], 95), np.percentile(maps[0][contours[1]], 95))


def sitk_hd(g, p):
    import SimpleITK as sitk

    f = sitk.HausdorffDistanceImageFilter()
    f.Execute(sitk.GetImageFromArray(g), sitk.GetImageFromArray(p))
    return f.GetHausdorffDistance()


# -- MONAI ---------------------------------------------------------------------------------------------------------


def monai_fns():
    try:
        import torch
        from monai.metrics import DiceMetric, compute_hausdorff_distance
    except ImportError as exc:
        return None, None, f"MONAI not available ({exc})"
    dice_metric = DiceMetric(include_background=False, reduction="mean")
    cache: dict[int, torch.Tensor] = {}

    def onehot(m):
        """MONAI's input format, built once per mask so that only the metric itself is timed."""
        key = id(m)
        if key not in cache:
            t = torch.from_numpy(m.astype(np.int64))
            cache[key] = torch.nn.functional.one_hot(t, 2).permute(2, 0, 1)[None].float()
        return cache[key]

    def dice(g, p):
        dice_metric.reset()
        return float(dice_metric(onehot(p), onehot(g)).mean())

    def hd95(g, p):
        return float(compute_hausdorff_distance(onehot(p), onehot(g), include_background=False, percentile=95))

    return dice, hd95, None


def main() -> None:
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)  # MONAI's deprecation notices
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="pairs for usreg")
    parser.add_argument("--n-peer", type=int, default=500, help="pairs for SimpleITK and MONAI")
    parser.add_argument("--pool", type=int, default=50, help="distinct pairs generated per kind")
    parser.add_argument("--kinds", nargs="+", default=["plaque", "large"])
    args = parser.parse_args()
    m_dice, m_hd95, monai_note = monai_fns()
    if monai_note:
        print(monai_note)
    print(f"masks {SIZE}x{SIZE}; usreg on {args.n} pairs, peers on {args.n_peer} (pool of {args.pool} per kind)")
    print(f"{'kind':7} {'metric':6} {'impl':16} {'pairs/s':>10} {'mean':>10} {'usreg x':>8}")
    for kind in args.kinds:
        pairs = make_pairs(kind, args.pool)
        for metric, ours, peers in (
            ("dice", usreg_dice, [("simpleitk", sitk_dice), ("monai", m_dice)]),
            ("hd95", usreg_hd95, [("simpleitk-contour", sitk_hd95), ("monai", m_hd95)]),
            ("hd", usreg_hd, [("simpleitk-hd", sitk_hd)]),
        ):
            rate, mean = throughput(ours, pairs, args.n)
            print(f"{kind:7} {metric:6} {'usreg':16} {rate:10.1f} {mean:10.4f} {'':>8}")
            for name, fn in peers:
                if fn is None:
                    continue
                peer_rate, peer_mean = throughput(fn, pairs, args.n_peer)
                # with n and n_peer multiples of the pool, both means are over the same pairs and must agree
                print(f"{kind:7} {metric:6} {name:16} {peer_rate:10.1f} {peer_mean:10.4f} {rate / peer_rate:8.1f}")


if __name__ == "__main__":
    main()
