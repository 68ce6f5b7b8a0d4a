"""TorchScript adapter (optional extra ``usreg[bench]``).

Loads TorchScript archives (``torch.jit.save``) and, since TorchScript is deprecated in recent torch, also
``torch.export`` archives (``torch.export.save``; export with a dynamic batch dimension so images can be batched).
A plain PyTorch state dict needs the model's Python code, and a pickled module would run arbitrary code from the
download; both are refused with a clear message.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...errors import UsregError
from ..preprocess import Spec
from .arraymodel import ArrayModelAdapter
from .base import AdapterInfo, OutputClass


def import_torch():
    try:
        import torch
    except ImportError as exc:
        raise UsregError(
            "PyTorch is not installed, so TorchScript and U-Net ensemble models cannot run",
            hint="pip install 'usreg[bench]' (it installs torch==2.13.0)",
        ) from exc
    return torch


def torch_device(torch, device: str) -> str:
    if device == "cuda" and not torch.cuda.is_available():
        raise UsregError("--device cuda was asked for, but torch sees no CUDA device", hint="run with --device cpu")
    return device


class TorchScriptAdapter(ArrayModelAdapter):
    def __init__(
        self,
        info: AdapterInfo,
        path: Path,
        spec: Spec,
        output_kind: str,
        classes: Sequence[OutputClass],
        activation: str | None,
        device: str = "cpu",
    ) -> None:
        torch = import_torch()
        self.torch = torch
        self.device = torch_device(torch, device)
        self.module = _load(torch, path, self.device, info.model_id)
        super().__init__(info, spec, output_kind, classes, activation)

    def _forward(self, batch: np.ndarray) -> list[np.ndarray]:
        torch = self.torch
        with torch.inference_mode():
            out = self.module(torch.from_numpy(batch).to(self.device))
        if isinstance(out, dict):
            out = list(out.values())
        if not isinstance(out, list | tuple):
            out = [out]
        return [o.detach().float().cpu().numpy() if hasattr(o, "detach") else np.asarray(o) for o in out]


def _load(torch, path: Path, device: str, model_id: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return torch.jit.load(str(path), map_location=device).eval()
        except RuntimeError as jit_error:
            try:
                return torch.export.load(str(path)).module().to(device)
            except Exception:
                first = str(jit_error).splitlines()[0]
                raise UsregError(
                    f"model {model_id}: {path.name} is not a TorchScript or torch.export archive ({first})",
                    hint="save the model with torch.jit.save or torch.export.save, or publish ONNX weights",
                ) from jit_error
