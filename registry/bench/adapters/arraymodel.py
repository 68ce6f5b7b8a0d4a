"""Shared pre- and post-processing for adapters that run an array-in, arrays-out network (ONNX, TorchScript).

Adapter options (``adapter.options`` in the model entry), all optional; their types and allowed values are
``registry.bench.adapter_options.ArrayOptions``:

- ``layout``: "nchw" (default) or "nhwc".
- ``batch_size``: images per forward pass (default 8; 1 when the network has a fixed batch of 1).
- ``threshold``: foreground probability threshold for single-channel masks (default 0.5).
- ``output_index``: which network output holds the mask, logits or points (default 0).
- ``box_outputs``: for ``boxes`` models, the indices of the boxes (N, 4), scores (N,) and labels (N,) outputs
  (default [0, 1, 2]; without a labels output every box gets the first foreground class).
- ``box_format``: "xyxy" (default) or "xywh"; ``normalized``: boxes or points are in [0, 1] of the input size;
- ``weights_index``: which of the entry's weights declarations to run (``registry.bench.weights``).
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...errors import UsregError
from ..adapter_options import ADAPTER_OPTIONS, ArrayOptions, option_problems, raise_problems
from ..metrics.detection import Instance
from ..preprocess import Spec, activate, prepare, resize_labels, scores_to_labels
from .base import Adapter, AdapterInfo, OutputClass, Prediction

DEFAULT_CHECK_SIZE = (256, 256)
NON_FINITE_HINT = (
    "the weights may be damaged or of another architecture, or the entry's input (size, channels, normalization) "
    "may not be what the model was trained with"
)


def check_options(options: dict[str, Any], model_id: str, adapter: str = "onnx") -> dict[str, Any]:
    """``options`` when they fit the adapter's options model (``registry.bench.adapter_options``), else a UsregError
    naming the model and the option."""
    model = ADAPTER_OPTIONS.get(adapter, ArrayOptions)
    raise_problems(option_problems(model, options, f"adapter '{adapter}'"), model_id)
    return options


class ArrayModelAdapter(Adapter):
    """Runs ``_forward`` on batches built from the input spec and turns its outputs into predictions."""

    def __init__(
        self,
        info: AdapterInfo,
        spec: Spec,
        output_kind: str,
        classes: Sequence[OutputClass],
        activation: str | None,
    ) -> None:
        super().__init__(info)
        self.options = check_options(dict(info.options), info.model_id, info.name)
        self.spec = spec
        self.output_kind = output_kind
        self.classes = list(classes)
        self.activation = activation
        self.layout = self.options.get("layout", "nchw")
        self.batch_size = int(self.options.get("batch_size", 8))

    # -- to implement ------------------------------------------------------------------------------------------
    @abstractmethod
    def _forward(self, batch: np.ndarray) -> list[np.ndarray]:
        """Run the network on an NCHW (or NHWC) float32 batch; return its outputs as numpy arrays."""

    def _fixed_batch(self) -> int | None:
        """The network's fixed batch size, when it has one."""
        return None

    # -- prediction --------------------------------------------------------------------------------------------
    def predict(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        fixed = self._fixed_batch()
        step = fixed or self.batch_size
        same_size = self.spec.size is not None or len({im.shape[:2] for im in images}) == 1
        if not same_size:
            step = 1
        out: list[Prediction] = []
        for start in range(0, len(images), step):
            chunk = list(images[start : start + step])
            batch = np.stack([prepare(im, self.spec, self.layout) for im in chunk]).astype(np.float32)
            if fixed and batch.shape[0] < fixed:
                pad = np.zeros((fixed - batch.shape[0], *batch.shape[1:]), np.float32)
                batch = np.concatenate([batch, pad])
            outputs = self._forward(batch)
            bad = self._non_finite(outputs)
            if bad is not None:
                raise UsregError(
                    f"model {self.info.model_id}: network output {bad} holds NaN or infinite values, so no metric "
                    "is computed from it",
                    hint=NON_FINITE_HINT,
                )
            for i, image in enumerate(chunk):
                in_hw = batch.shape[2:4] if self.layout == "nchw" else batch.shape[1:3]
                out.append(self._postprocess([o[i] for o in outputs], tuple(image.shape[:2]), tuple(in_hw)))
        return out

    def _used_outputs(self) -> list[int]:
        if self.output_kind == "boxes":
            return [int(i) for i in self.options.get("box_outputs", [0, 1, 2])]
        return [int(self.options.get("output_index", 0))]

    def _non_finite(self, outputs: Sequence[np.ndarray]) -> int | None:
        """The index of the first output the predictions are read from that holds NaN or an infinity, else None."""
        for i in self._used_outputs():
            if i < len(outputs):
                values = np.asarray(outputs[i])
                if values.dtype.kind in "fc" and not np.isfinite(values).all():
                    return i
        return None

    def _postprocess(self, outputs: list[np.ndarray], size: tuple[int, int], in_hw: tuple[int, int]) -> Prediction:
        kind = self.output_kind
        index = int(self.options.get("output_index", 0))
        if kind == "mask":
            raw = np.asarray(outputs[index])
            if raw.ndim == 2:  # already a label map
                return Prediction(mask=resize_labels(raw, size))
            if self.layout == "nhwc":
                raw = raw.transpose(2, 0, 1)
            probs = activate(raw.astype(np.float32), self.activation, axis=0)
            return Prediction(mask=scores_to_labels(probs, size, float(self.options.get("threshold", 0.5))))
        if kind == "label":
            raw = np.asarray(outputs[index], dtype=np.float64).ravel()
            probs = activate(raw, self.activation, axis=0)
            if probs.size == 1:
                probs = np.array([1.0 - probs[0], probs[0]])
            return Prediction(label=int(probs.argmax()), probs=probs)
        sy, sx = size[0] / in_hw[0], size[1] / in_hw[1]
        if self.options.get("normalized"):
            sy, sx = float(size[0]), float(size[1])
        if kind == "points":
            pts = np.asarray(outputs[index], dtype=np.float64).reshape(-1, 2)
            return Prediction(points=pts * np.array([sx, sy]))
        if kind == "boxes":
            idx = list(self.options.get("box_outputs", [0, 1, 2]))
            boxes = np.asarray(outputs[idx[0]], dtype=np.float64).reshape(-1, 4)
            scores = np.asarray(outputs[idx[1]], dtype=np.float64).ravel() if len(idx) > 1 else np.ones(len(boxes))
            has_labels = len(idx) > 2 and idx[2] < len(outputs)
            labels = np.asarray(outputs[idx[2]]).ravel().astype(int) if has_labels else None
            default_cat = next((c.id for c in self.classes if c.id != 0), 1)
            if self.options.get("box_format") == "xywh":
                boxes = np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)
            boxes = boxes * np.array([sx, sy, sx, sy])
            instances = [
                Instance(tuple(b), int(labels[j]) if labels is not None else default_cat, float(scores[j]))
                for j, b in enumerate(boxes)
            ]
            return Prediction(instances=instances)
        raise UsregError(f"model {self.info.model_id}: output kind {kind!r} cannot be benchmarked")

    # -- registry verification ---------------------------------------------------------------------------------
    def check(self) -> list[dict[str, Any]]:
        """A forward pass on a blank input of the declared size; compare the output with the declared output."""
        h, w = self.spec.size or DEFAULT_CHECK_SIZE
        c = self.spec.channels
        shape = (1, c, h, w) if self.layout == "nchw" else (1, h, w, c)
        fixed = self._fixed_batch()
        if fixed:
            shape = (fixed, *shape[1:])
        try:
            outputs = self._forward(np.zeros(shape, np.float32))
        except Exception as exc:  # the forward pass itself failing is the finding
            return [_check("check.output_shape", False, {"input": list(shape), "error": str(exc)[:500]})]
        shapes = [list(np.shape(o)) for o in outputs]
        index = int(self.options.get("output_index", 0))
        ok, expected = _shape_matches(self.output_kind, shapes, len(self.classes), index)
        detail: dict[str, Any] = {"input": list(shape), "outputs": shapes, "expected": expected}
        bad = self._non_finite(outputs)
        if bad is not None:  # the right shape, but nothing a metric can be computed from
            ok, detail["error"] = False, f"output {bad} holds NaN or infinite values"
        return [_check("check.output_shape", ok, detail)]


def _check(metric: str, ok: bool, detail: dict[str, Any]) -> dict[str, Any]:
    return {"metric": metric, "value": 1.0 if ok else 0.0, "detail": json.dumps(detail, default=str)}


def _shape_matches(kind: str, shapes: list[list[int]], n_classes: int, index: int) -> tuple[bool, str]:
    if index >= len(shapes):
        return False, f"an output number {index}"
    shape = shapes[index]
    if kind == "mask":
        if len(shape) == 3:
            return True, "a (N, H, W) label map"
        if len(shape) != 4:
            return False, "a (N, C, H, W) score map"
        if not n_classes:
            return True, "a (N, C, H, W) score map"
        channels = {shape[1], shape[3]}
        ok = n_classes in channels or (n_classes == 2 and 1 in channels)
        return ok, f"a (N, {n_classes}, H, W) score map" + (" or (N, 1, H, W)" if n_classes == 2 else "")
    if kind == "label":
        size = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        ok = not n_classes or size == n_classes or (n_classes == 2 and size == 1)
        return ok, f"(N, {n_classes or 'C'}) class scores"
    if kind == "points":
        return len(shape) >= 2 and int(np.prod(shape[1:])) % 2 == 0, "(N, K, 2) points"
    if kind == "boxes":
        return len(shape) >= 2 and shape[-1] == 4, "(N, M, 4) boxes"
    return False, f"an output kind the runner supports, not {kind!r}"
