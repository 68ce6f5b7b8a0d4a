"""Distances between two binary masks, in pixels (spacing 1).

Definitions (the same as MONAI's ``compute_hausdorff_distance`` / ``compute_average_surface_distance`` with
Euclidean distance, and as SimpleITK's contour recipe when the image is padded by one background pixel):

- The *surface* of a mask is every mask pixel with a 4-connected (face) neighbour outside the mask; pixels outside
  the image count as outside, so a mask touching the image border has a surface there and a full mask has one.
- Directed surface distances A->B: for each surface pixel of A, the Euclidean distance to the nearest surface
  pixel of B.
- HD95 = max(95th percentile of A->B, 95th percentile of B->A), percentiles with linear interpolation.
- ASSD = (sum of A->B + sum of B->A) / (number of surface pixels of A + of B).
- HD (full-set Hausdorff, SimpleITK's ``HausdorffDistanceImageFilter``): max over the pixels of each mask of the
  distance to the nearest pixel of the other mask.

All are undefined when either mask is empty; callers apply their convention (see ``conventions.py``).

Speed: every nearest pixel lies inside the bounding box of both masks, so the work runs on that crop only; surface
distances use k-d trees of the surface pixels when surfaces are sparse, distance transforms otherwise. Both are
exact.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

_STRUCTURES: dict[int, np.ndarray] = {}
# k-d trees beat distance transforms when surface pixels are fewer than 1/KD_TREE_FACTOR of the crop (measured with
# perf/bench_metrics.py: 2-3x faster on plaque-like and large smooth objects, 4x slower on noise-like masks).
KD_TREE_FACTOR = 16


def _face_structure(ndim: int) -> np.ndarray:
    if ndim not in _STRUCTURES:
        _STRUCTURES[ndim] = ndi.generate_binary_structure(ndim, 1)
    return _STRUCTURES[ndim]


def bounding_box(mask: np.ndarray) -> tuple[slice, ...] | None:
    """The tightest slices holding every true pixel, or None for an empty mask."""
    slices = []
    for axis in range(mask.ndim):
        other = tuple(a for a in range(mask.ndim) if a != axis)
        hits = np.flatnonzero(mask.any(axis=other))
        if hits.size == 0:
            return None
        slices.append(slice(int(hits[0]), int(hits[-1]) + 1))
    return tuple(slices)


def surface(mask: np.ndarray) -> np.ndarray:
    """Boolean surface of a mask (see the module docstring)."""
    mask = np.asarray(mask, dtype=bool)
    eroded = ndi.binary_erosion(mask, structure=_face_structure(mask.ndim), border_value=0)
    return mask & ~eroded


def _crop_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    box = bounding_box(a | b)
    if box is None:
        return a, b
    return a[box], b[box]


def surface_distances(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Directed surface distances (A->B, B->A). Both masks must be non-empty.

    Two exact methods, chosen by cost: nearest-neighbour queries in k-d trees of the surface pixels when surfaces
    are sparse in the crop (smooth objects: the usual case), else Euclidean distance transforms of the crop.
    """
    a, b = _crop_pair(np.asarray(a, dtype=bool), np.asarray(b, dtype=bool))
    sa, sb = surface(a), surface(b)
    pa, pb = np.argwhere(sa), np.argwhere(sb)
    if (len(pa) + len(pb)) * KD_TREE_FACTOR < sa.size:
        from scipy.spatial import cKDTree

        return cKDTree(pb).query(pa)[0], cKDTree(pa).query(pb)[0]
    to_b = ndi.distance_transform_edt(~sb)
    to_a = ndi.distance_transform_edt(~sa)
    return to_b[sa], to_a[sb]


def hd95_assd(a: np.ndarray, b: np.ndarray, percentile: float = 95.0) -> tuple[float, float]:
    """(HD95, ASSD) of two non-empty masks."""
    d_ab, d_ba = surface_distances(a, b)
    hd = max(float(np.percentile(d_ab, percentile)), float(np.percentile(d_ba, percentile)))
    assd = float((d_ab.sum() + d_ba.sum()) / (d_ab.size + d_ba.size))
    return hd, assd


def hausdorff(a: np.ndarray, b: np.ndarray) -> float:
    """Full-set Hausdorff distance of two non-empty masks (SimpleITK's HausdorffDistanceImageFilter).

    Only pixels of one mask outside the other can be far from it, and the nearest pixel of a mask seen from outside
    is on its surface: when those pixels are few, k-d trees of the surfaces answer exactly; else distance transforms.
    """
    a, b = _crop_pair(np.asarray(a, dtype=bool), np.asarray(b, dtype=bool))
    only_a, only_b = a & ~b, b & ~a
    pa, pb = np.argwhere(only_a), np.argwhere(only_b)
    if not len(pa) and not len(pb):
        return 0.0
    sa, sb = surface(a), surface(b)
    if (len(pa) + len(pb) + int(sa.sum()) + int(sb.sum())) * KD_TREE_FACTOR < a.size:
        from scipy.spatial import cKDTree

        d_ab = cKDTree(np.argwhere(sb)).query(pa)[0].max() if len(pa) else 0.0
        d_ba = cKDTree(np.argwhere(sa)).query(pb)[0].max() if len(pb) else 0.0
        return float(max(d_ab, d_ba))
    to_b = ndi.distance_transform_edt(~b)
    to_a = ndi.distance_transform_edt(~a)
    return float(max(to_b[only_a].max() if len(pa) else 0.0, to_a[only_b].max() if len(pb) else 0.0))


def diagonal(shape: tuple[int, ...]) -> float:
    """The image diagonal in pixels: FM_UIA's distance when exactly one mask is empty."""
    return float(np.sqrt(sum(float(s) ** 2 for s in shape)))
