"""PyTorch state dicts run through a module written in usreg (``adapter: {name: torch-state-dict}``).

``options.architecture`` picks the module from :data:`registry.bench.adapters.architectures.ARCHITECTURES` (an
allow-list in code; YAML never names Python). The weights load with ``torch.load(weights_only=True)`` or safetensors,
so no pickled code runs. A wrapper prefix that training frameworks add to every key (``module.`` from DataParallel,
``model.`` or ``m.`` from a Lightning module) is removed when the keys then match the module. A checkpoint that
pickles the whole module is read without importing its classes (``module_pickle``). Loading is strict:
any missing, unexpected or differently shaped tensor is an error (BatchNorm's ``num_batches_tracked`` counters, which
older checkpoints lack, excepted).

Options (besides those of ``arraymodel``; types and allowed values in
``registry.bench.adapter_options.StateDictOptions``):

- ``architecture`` (required): a name from the allow-list;
- ``num_outputs``: output classes/channels of the network (default: the architecture's, else the entry's classes);
- ``input_scale``: multiply the normalised input by this factor (SonoNet was trained on per-image standardised
  images times 255, ``test.py``);
- ``center_crop``: crop each image to its centred square before resizing, as torchvision's ``Resize(s)`` followed by
  ``CenterCrop(s)`` (up to a pixel of rounding);
- ``weights_index``: which of the entry's weights declarations to run (0-based; default the first readable one);
- ``checkpoint_keys``: the checkpoint keeps the network's state dict in parts, side by side (e.g. MI-SegNet's
  ``state_dict_seg_en`` and ``state_dict_seg_de``); their union is loaded;
- ``points_from_heatmaps``: the network outputs one heatmap per point (N, K, H, W); each point is the
  sigmoid-weighted centroid of its heatmap, in input pixels, as EchoNet-Measurements'
  ``utils.segmentation_to_coordinates`` after ``torch.sigmoid`` (``inference_2D_image.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import UsageError, UsregError
from ..adapter_options import ArrayOptions, StateDictOptions
from ..preprocess import Spec
from .arraymodel import ArrayModelAdapter, check_options
from .base import AdapterInfo, OutputClass

# the options this adapter reads itself; the others go to ArrayModelAdapter
EXTRA_OPTIONS = frozenset(StateDictOptions.model_fields) - frozenset(ArrayOptions.model_fields)
_MAX_PREFIX_STRIPS = 2


def build_module(architecture: str, num_outputs: int | None):
    from .architectures import ARCHITECTURES

    if architecture not in ARCHITECTURES:
        raise UsageError(
            f"unknown architecture {architecture!r} for the torch-state-dict adapter",
            hint="choose one of: " + ", ".join(sorted(ARCHITECTURES)),
        )
    arch = ARCHITECTURES[architecture]
    n = num_outputs or arch.default_outputs
    if not n:
        raise UsageError(
            f"architecture {architecture}: the number of outputs is unknown",
            hint="declare output.classes in the entry, or adapter.options.num_outputs",
        )
    return arch.build(int(n))


def strip_wrapper_prefix(state: dict[str, Any], expected: set[str]) -> dict[str, Any]:
    """Remove a first key component shared by every key (``module.``, ``model.``, ``m.``) while that makes more keys
    match ``expected``; at most two levels."""
    for _ in range(_MAX_PREFIX_STRIPS):
        if not state or set(state) & expected:
            break
        heads = {k.split(".", 1)[0] for k in state}
        if len(heads) != 1 or any("." not in k for k in state):
            break
        head = next(iter(heads)) + "."
        state = {k[len(head) :]: v for k, v in state.items()}
    return state


def load_into(module, state: dict[str, Any], name: str, architecture: str) -> None:
    expected = module.state_dict()
    state = strip_wrapper_prefix(state, set(expected))
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    shapes = [
        f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and tuple(getattr(state[k], "shape", ())) != tuple(v.shape)
    ]
    if missing or unexpected or shapes:
        detail = shapes[:2] or (missing + unexpected)[:3]
        raise UsregError(
            f"{name} does not match {architecture}: {len(missing)} missing, {len(unexpected)} unexpected and "
            f"{len(shapes)} differently shaped tensors (e.g. {'; '.join(detail)})",
            hint="check adapter.options.architecture (and num_outputs) in the model entry",
        )
    module.load_state_dict(state, strict=False)


class TorchStateDictAdapter(ArrayModelAdapter):
    def __init__(
        self,
        info: AdapterInfo,
        path: Path | None,
        spec: Spec,
        output_kind: str,
        classes: Sequence[OutputClass],
        activation: str | None,
        device: str = "cpu",
        module=None,
    ) -> None:
        from .torch_adapter import import_torch, torch_device

        options = check_options(dict(info.options), info.model_id, "torch-state-dict")
        architecture = str(options.get("architecture") or "")
        base = AdapterInfo(info.name, info.model_id, info.weights_sha256, info.weights_path)
        base.options = {k: v for k, v in options.items() if k not in EXTRA_OPTIONS}
        super().__init__(base, spec, output_kind, classes, activation)
        self.info = info
        torch = import_torch()
        self.torch = torch
        self.device = torch_device(torch, device)
        self.scale = float(options.get("input_scale", 1.0))
        self.heatmap_points = bool(options.get("points_from_heatmaps", False))
        self.options_center_crop = bool(options.get("center_crop", False))
        if self.options_center_crop and output_kind != "label":
            raise UsageError(
                f"model {info.model_id}: adapter option center_crop applies to classifiers only",
                hint="a cropped mask, box or point would not cover the whole image",
            )
        if module is None:
            declared = len(classes) if output_kind in ("label", "mask") and classes else None
            outputs = options.get("num_outputs") or declared
            if path is None:
                module = build_module(architecture, outputs)
            else:
                from .module_pickle import read_weights

                parts = [str(k) for k in options.get("checkpoint_keys") or []]
                state = read_weights(Path(path), parts)
                module = build_module(architecture, outputs)
                load_into(module, state, Path(path).name, architecture)
        self.module = module.to(self.device).eval()

    def predict(self, images):
        if self.options_center_crop:
            images = [center_square(im) for im in images]
        return super().predict(images)

    def _forward(self, batch: np.ndarray) -> list[np.ndarray]:
        torch = self.torch
        x = torch.from_numpy(batch * self.scale if self.scale != 1.0 else batch).to(self.device)
        with torch.inference_mode():
            out = self.module(x)
        outs = out if isinstance(out, list | tuple) else [out]
        if self.heatmap_points:
            outs = [heatmap_centroids(torch, o) for o in outs]
        return [o.detach().float().cpu().numpy() for o in outs]


def center_square(image: np.ndarray) -> np.ndarray:
    """The centred square of side min(height, width)."""
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return image[top : top + side, left : left + side]


def heatmap_centroids(torch, logits):
    """(N, K, H, W) logits -> (N, K, 2) (x, y): the centroid of each sigmoid heatmap, in pixels."""
    weights = torch.sigmoid(logits.float())
    rows = torch.arange(weights.shape[-2], dtype=weights.dtype, device=weights.device)[:, None]
    cols = torch.arange(weights.shape[-1], dtype=weights.dtype, device=weights.device)[None, :]
    total = weights.sum(dim=(-2, -1)) + 1e-8
    y = (weights * rows).sum(dim=(-2, -1)) / total
    x = (weights * cols).sum(dim=(-2, -1)) / total
    return torch.stack([x, y], dim=-1)
