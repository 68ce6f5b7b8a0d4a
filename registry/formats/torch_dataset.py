"""The PyTorch view of a converted dataset. Imported only when torch is installed (``CommonDataset.to_torch``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image


class TorchDataset:
    """Map-style dataset; subclassing ``torch.utils.data.Dataset`` is not needed for ``DataLoader``."""

    def __init__(
        self,
        source: Any,
        torch: Any,
        size: tuple[int, int] | None = None,
        transform: Callable[[dict], dict] | None = None,
    ) -> None:
        self.source = source
        self.torch = torch
        self.size = size
        self.transform = transform
        self.label_index = {name: i for i, name in enumerate(source.labels or [])}
        self.targets = source.targets

    def __len__(self) -> int:
        return len(self.source)

    def _resize(self, arr: np.ndarray, nearest: bool) -> np.ndarray:
        if self.size is None or arr.shape[:2] == tuple(self.size):
            return arr
        h, w = self.size
        method = Image.Resampling.NEAREST if nearest else Image.Resampling.BILINEAR
        return np.array(Image.fromarray(arr).resize((w, h), method))

    def __getitem__(self, index: int) -> dict[str, Any]:
        torch = self.torch
        sample = self.source[index]
        image = self._resize(sample.image, nearest=False)
        chw = image[None] if image.ndim == 2 else image.transpose(2, 0, 1)
        out: dict[str, Any] = {
            "sample_id": sample.sample_id,
            "image": torch.from_numpy(np.ascontiguousarray(chw)).float().div_(255.0),
            "label": torch.tensor(self.label_index.get(sample.label, -1), dtype=torch.int64),
        }
        sy = self.size[0] / sample.height if self.size else 1.0
        sx = self.size[1] / sample.width if self.size else 1.0
        boxes = [[b.x_min * sx, b.y_min * sy, b.x_max * sx, b.y_max * sy] for b in sample.boxes]
        out["boxes"] = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
        for target in self.targets:
            if target in sample.masks:
                mask = self._resize(sample.masks[target], nearest=True)
            else:
                mask = np.zeros(image.shape[:2], dtype=np.uint8)
            out[f"mask_{target}"] = torch.from_numpy(np.ascontiguousarray(mask)).long()
        return self.transform(out) if self.transform else out

    @staticmethod
    def collate(batch: list[dict[str, Any]]) -> dict[str, Any]:
        """A ``DataLoader`` collate_fn for batches whose boxes (or sizes) differ: stacks what stacks, lists the rest."""
        import torch

        out: dict[str, Any] = {}
        for key in batch[0]:
            values = [b[key] for b in batch]
            if isinstance(values[0], torch.Tensor) and all(v.shape == values[0].shape for v in values):
                out[key] = torch.stack(values)
            else:
                out[key] = values
        return out
