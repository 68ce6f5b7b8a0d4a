"""Slices of 3-D volumes (NIfTI, NRRD, MINC, MHA ... through SimpleITK) for the converters of volumetric datasets.

A volume becomes ``count`` 2-D samples: slices along the first axis of SimpleITK's array (the image's last index
axis, k), evenly spaced between 10 % and 90 % of the depth so that the nearly empty edges of a sweep are skipped. A
worker reads each volume once for all its slices (the last volume read is kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ..decode import BadData, read_volume

LOW, HIGH = 0.1, 0.9
MAX_SLICES = 256


def slice_indices(depth: int, count: int) -> list[int]:
    """``count`` slice indices spread evenly over [10 %, 90 %] of ``depth``; every slice of a thinner volume."""
    if depth <= 0 or count <= 0:
        return []
    if count >= depth:
        return list(range(min(depth, MAX_SLICES)))
    count = min(count, MAX_SLICES)
    if count == 1:
        return [depth // 2]
    lo, hi = LOW * (depth - 1), HIGH * (depth - 1)
    picks = np.rint(np.linspace(lo, hi, count)).astype(int)
    return sorted(set(int(i) for i in picks))


def spread(indices: Sequence[int], count: int) -> list[int]:
    """``count`` of ``indices`` evenly spaced, the first and the last included (all of them when ``count`` is 0 or
    covers them): the frames or slices a converter samples from those that qualify."""
    if count <= 0 or count >= len(indices):
        return list(indices)
    picks = np.rint(np.linspace(0, len(indices) - 1, count)).astype(int)
    return sorted({int(indices[i]) for i in picks})


def volume_shape(path: str) -> tuple[int, ...] | None:
    """SimpleITK's array shape of a volume (depth first) from its header, or None if it cannot be read."""
    import SimpleITK as sitk

    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError:
        return None
    return tuple(int(s) for s in reversed(reader.GetSize()))


@lru_cache(maxsize=1)
def _volume(path: str) -> np.ndarray:
    return read_volume(path)


def read_slice(path: str, index: int) -> np.ndarray:
    """Slice ``index`` along the first array axis of the volume at ``path`` (a 2-D array)."""
    arr = _volume(str(path))
    if arr.ndim == 4 and arr.shape[-1] in (3, 4):  # vector pixels: keep the first channel
        arr = arr[..., 0]
    if arr.ndim == 2 and index == 0:  # a 2-D image is its own only slice
        return np.ascontiguousarray(arr)
    if arr.ndim != 3:
        raise BadData("unreadable", f"expected a 3-D volume, found an array of shape {arr.shape}")
    if not 0 <= index < arr.shape[0]:
        raise BadData("unreadable", f"slice {index} is outside the volume's {arr.shape[0]} slices")
    return np.ascontiguousarray(arr[index])
