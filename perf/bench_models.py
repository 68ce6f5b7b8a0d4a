"""Per-image evaluation throughput of the SAM adapter (tiny configuration) and the U-Net ensemble, against a plain
PyTorch loop over the same model and the same images, measured in the same run.

Usage: python perf/bench_models.py [--images 48] [--runs 5] [--device cpu|cuda]

- SAM: ``SamAdapter.predict_prompted`` (preprocessing, one box prompt per image, post-processing to the original
  size) against the loop a user writes with transformers directly: ``SamProcessor`` for the image and the box,
  ``SamModel`` forward, ``post_process_masks``.
- Ensemble: ``UNetEnsemble.predict`` in batches of 8 (three networks, bilinear upsampling, majority vote) against a
  loop that runs the three networks per image and averages their softmax (no vote).

Both use randomly initialised weights: throughput does not depend on what the weights learned. The device is the one
asked for when available; on a CPU-only machine the figures are CPU figures and the output says so.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _images(n: int, size: tuple[int, int] = (256, 320)) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [(rng.random(size) * 255).astype(np.uint8) for _ in range(n)]


def _timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def sam_figures(images: list[np.ndarray], runs: int, device: str) -> dict[str, float]:
    import torch
    from transformers import SamImageProcessor, SamProcessor

    from registry.bench.adapters.base import AdapterInfo
    from registry.bench.adapters.sam_adapter import SamAdapter, build_model
    from registry.bench.prompts import Prompt

    torch.manual_seed(0)
    model = build_model("sam-tiny-test")
    adapter = SamAdapter(AdapterInfo("sam", "tiny"), model, device=device)
    box = Prompt(box=(40.0, 30.0, 200.0, 180.0))
    size = int(model.config.vision_config.image_size)
    processor = SamProcessor(SamImageProcessor(size={"longest_edge": size}, pad_size={"height": size, "width": size}))

    def usreg() -> None:
        for image in images:
            adapter.predict_prompted(image, [box])

    def plain() -> None:
        for image in images:
            rgb = np.repeat(image[..., None], 3, axis=2)
            enc = processor(images=rgb, input_boxes=[[list(box.box or ())]], return_tensors="pt").to(device)
            with torch.inference_mode():
                out = model(pixel_values=enc["pixel_values"], input_boxes=enc["input_boxes"], multimask_output=False)
            processor.image_processor.post_process_masks(
                out.pred_masks.cpu(), enc["original_sizes"].cpu(), enc["reshaped_input_sizes"].cpu()
            )

    usreg()  # warm-up
    return _report(images, _timed(usreg, runs), _timed(plain, runs))


def ensemble_figures(images: list[np.ndarray], runs: int, device: str) -> dict[str, float]:
    import torch

    from registry.bench.adapters.base import AdapterInfo, OutputClass
    from registry.bench.adapters.unet_ensemble import UNetEnsemble
    from registry.bench.preprocess import prepare

    torch.manual_seed(0)
    adapter = UNetEnsemble(
        AdapterInfo("unet-ensemble", "ens", options={"size": 128}),
        [OutputClass(0, "background"), OutputClass(1, "plaque")],
        device=device,
    )
    adapter.nets = [adapter._new_net(e).eval() for e in adapter.config["encoders"]]

    def usreg() -> None:
        for start in range(0, len(images), 8):
            adapter.predict(images[start : start + 8])

    def plain() -> None:
        with torch.inference_mode():
            for image in images:
                x = torch.from_numpy(prepare(image, adapter.spec)[None].astype(np.float32)).to(device)
                probs = torch.stack([torch.softmax(net(x), dim=1) for net in adapter.nets]).mean(0)
                up = torch.nn.functional.interpolate(probs, size=image.shape[:2], mode="bilinear")
                up.argmax(1).cpu().numpy()

    usreg()
    return _report(images, _timed(usreg, runs), _timed(plain, runs))


def _report(images: list[np.ndarray], usreg: list[float], plain: list[float]) -> dict[str, float]:
    n = len(images)
    u, p = statistics.median(usreg), statistics.median(plain)
    return {"usreg_img_per_s": round(n / u, 2), "plain_img_per_s": round(n / p, 2), "ratio": round(p / u, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    import torch

    device = args.device if args.device == "cpu" or torch.cuda.is_available() else "cpu"
    images = _images(args.images)
    result = {
        "device": device if device == "cpu" else f"cuda ({torch.cuda.get_device_name(0)})",
        "note": "CPU figures: no CUDA device here" if device == "cpu" else "",
        "torch_threads": torch.get_num_threads(),
        "images": args.images,
        "runs": args.runs,
        "sam_tiny_box_prompt": sam_figures(images, args.runs, device),
        "unet_ensemble_128px": ensemble_figures(images, args.runs, device),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
