"""ONNX Runtime adapter: weights in ONNX format, run on CPU or CUDA."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...errors import UsregError
from ..preprocess import Spec
from .arraymodel import ArrayModelAdapter
from .base import AdapterInfo, OutputClass

PROVIDERS = {"cpu": ["CPUExecutionProvider"], "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"]}


class OnnxAdapter(ArrayModelAdapter):
    def __init__(
        self,
        info: AdapterInfo,
        path: Path,
        spec: Spec,
        output_kind: str,
        classes: Sequence[OutputClass],
        activation: str | None,
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise UsregError(
                "onnxruntime is not installed", hint="pip install 'usreg[bench]' (or pip install onnxruntime)"
            ) from exc
        available = ort.get_available_providers()
        if device == "cuda" and "CUDAExecutionProvider" not in available:
            raise UsregError(
                "--device cuda was asked for, but this onnxruntime has no CUDA provider",
                hint="install onnxruntime-gpu, or run with --device cpu",
            )
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), sess_options=options, providers=PROVIDERS[device])
        self.input_name = self.session.get_inputs()[0].name
        in_shape = self.session.get_inputs()[0].shape
        super().__init__(
            info, _complete_spec(spec, in_shape, info.options.get("layout", "nchw")), output_kind, classes, activation
        )
        self._batch = in_shape[0] if isinstance(in_shape[0], int) and in_shape[0] > 0 else None
        self.provider = self.session.get_providers()[0]

    def _fixed_batch(self) -> int | None:
        return self._batch

    def _forward(self, batch: np.ndarray) -> list[np.ndarray]:
        return [np.asarray(o) for o in self.session.run(None, {self.input_name: batch})]


def _complete_spec(spec: Spec, shape: list, layout: str) -> Spec:
    """Fill the input size and channels from the network's static input shape when the entry leaves them out."""
    if len(shape) != 4:
        return spec
    c, h, w = (shape[1], shape[2], shape[3]) if layout == "nchw" else (shape[3], shape[1], shape[2])
    size = spec.size
    if size is None and isinstance(h, int) and isinstance(w, int) and h > 0 and w > 0:
        size = (h, w)
    channels = c if isinstance(c, int) and c in (1, 3) else spec.channels
    return Spec(channels=channels, size=size, normalization=spec.normalization, mean=spec.mean, std=spec.std)
