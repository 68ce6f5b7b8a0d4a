"""Synthetic carotid-like samples: speckled tissue, a dark vessel lumen, bright plaque blobs on its wall.

About a third of the images are plaque-free (empty masks), like the Ar-PlaqSegm1 plaque-free set. Bright speckle
and a bright far wall make a plain intensity threshold imperfect, so learnt models have something to beat.
"""

from __future__ import annotations

import numpy as np

from registry.formats.sample import Sample


def carotid_like(n: int, size: int = 64, seed: int = 0, split: str = "test", negative_every: int = 3) -> list[Sample]:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    out = []
    for i in range(n):
        tissue = rng.rayleigh(35.0, (size, size))
        top = int(size * rng.uniform(0.35, 0.45))
        bottom = top + int(size * rng.uniform(0.2, 0.28))
        lumen = (yy >= top) & (yy < bottom)
        image = np.where(lumen, rng.rayleigh(6.0, (size, size)), tissue)
        image[bottom : bottom + 3] += 90  # bright far wall (not plaque)
        mask = np.zeros((size, size), np.uint8)
        if i % negative_every:
            for _ in range(int(rng.integers(1, 3))):
                cx = rng.uniform(0.2, 0.8) * size
                r = rng.uniform(0.06, 0.11) * size
                cy = top + r * 0.6
                blob = ((xx - cx) / (1.6 * r)) ** 2 + ((yy - cy) / r) ** 2 <= 1.0
                mask[blob] = 1
            image = np.where(mask > 0, 150 + rng.normal(0, 25, (size, size)), image)
        image = np.clip(image, 0, 255).astype(np.uint8)
        out.append(
            Sample(
                sample_id=f"{split}-{i:03d}", image=image, split=split, masks={"plaque": mask}, subject_id=f"s{i:03d}"
            )
        )
    return out
