"""Evaluation throughput on CPU: images per second through ``registry.bench.runner.evaluate`` (prediction, class
mapping, per-image Dice/IoU/HD95/ASSD, negatives, 1,000-replicate bootstrap), on synthetic carotid-like 800x800 images
(one third plaque-free, like Ar-PlaqSegm1).

Models: the ``intensity-threshold`` baseline (metric-bound), an ONNX model built with the onnx package (256x256
input, ONNX Runtime on CPU), and the U-Net ensemble recipe's inference (three U-Nets, 256x256, width 16; untrained
weights, which cost the same as trained ones) when torch is installed. ``--workers`` lists the metric process-pool
sizes to try.

    python perf/bench_eval.py --images 200 --workers 1 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the synthetic data and the ONNX builder live with the tests

from registry.bench.adapters import build_builtin, build_for_model  # noqa: E402
from registry.bench.adapters.base import OutputClass  # noqa: E402
from registry.bench.metrics.conventions import USREG  # noqa: E402
from registry.bench.runner import evaluate  # noqa: E402
from tests.bench import onnx_models  # noqa: E402
from tests.bench.helpers import onnx_model_entry, view  # noqa: E402
from tests.bench.synthetic import carotid_like  # noqa: E402

CLASSES = [OutputClass(0, "background"), OutputClass(1, "plaque")]


def adapters(tmp: Path):
    yield "intensity-threshold", build_builtin("intensity-threshold", CLASSES)
    path = onnx_models.threshold_segmenter(tmp / "seg.onnx", size=(256, 256))
    yield "onnx 256x256", build_for_model(onnx_model_entry("seg", path), tmp, weights_override=path)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch not installed: U-Net ensemble skipped")
        return
    ens = build_builtin("unet-ensemble", CLASSES, {"epochs": 0})
    ens.fit(carotid_like(4, size=64, seed=1, split="train"))  # zero epochs: networks built, not trained
    yield "unet-ensemble 256", ens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--size", type=int, default=800)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--models", nargs="+", help="only models whose name starts with one of these")
    parser.add_argument("--torch-threads", type=int, help="torch intra-op threads (default: torch's choice)")
    args = parser.parse_args()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    started = time.perf_counter()
    samples = carotid_like(args.images, size=args.size, seed=3)
    print(f"{args.images} synthetic images {args.size}x{args.size} made in {time.perf_counter() - started:.1f} s")
    print(f"{'model':22} {'workers':>7} {'images/s':>9} {'predict s':>9} {'total s':>8} {'dice':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, adapter in adapters(Path(tmp)):
            if args.models and not any(name.startswith(m) for m in args.models):
                continue
            for workers in args.workers:
                out = evaluate(adapter, view(samples), USREG, n_boot=args.bootstrap, workers=workers, batch_size=8)
                dice = next(m.value for m in out.metrics if m.name == "dice")
                print(
                    f"{name:22} {workers:7d} {out.images_per_second:9.1f} {out.predict_seconds:9.2f} "
                    f"{out.seconds:8.2f} {dice:7.3f}"
                )


if __name__ == "__main__":
    main()
