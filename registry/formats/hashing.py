"""Perceptual hashes (pHash) and a near-duplicate search over them.

The pHash here is bit-for-bit the one of ``imagehash.phash`` (grey, 32x32 Lanczos, unnormalised 2-D DCT-II, 8x8 low
frequencies thresholded at their median, hex string row-major), computed with a cached DCT matrix so it costs one
small resize and two 32x32 matrix products per image.

The near-duplicate search finds every pair within a Hamming distance ``t`` using the pigeonhole principle: split the
64 bits into ``t + 1`` bands; two hashes within distance ``t`` agree exactly on at least one band. Candidates come
from equal band values (a sort per band), and each candidate pair is verified with a popcount. It is exact, and its
cost grows with the number of candidate pairs rather than with n squared.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

HASH_SIZE = 8
HIGHFREQ_FACTOR = 4


@lru_cache(maxsize=4)
def _dct_matrix(n: int) -> np.ndarray:
    """The unnormalised DCT-II matrix that ``scipy.fftpack.dct`` applies (2 * cos(pi * k * (2i + 1) / 2n))."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * i + 1) / (2 * n))


def phash_bits(image: Image.Image | np.ndarray) -> np.ndarray:
    """The 64 pHash bits of an image (bool array, row-major)."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    size = HASH_SIZE * HIGHFREQ_FACTOR
    small = np.asarray(image.convert("L").resize((size, size), Image.Resampling.LANCZOS), dtype=np.float64)
    d = _dct_matrix(size)
    coeffs = d @ small @ d.T
    low = coeffs[:HASH_SIZE, :HASH_SIZE]
    return (low > np.median(low)).ravel()


def phash_hex(image: Image.Image | np.ndarray) -> str:
    """pHash as 16 hex characters, identical to ``str(imagehash.phash(image))``."""
    return bits_to_hex(phash_bits(image))


def bits_to_hex(bits: np.ndarray) -> str:
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return f"{value:0{(len(bits) + 3) // 4}x}"


_BYTE_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def popcount(x: np.ndarray | np.integer) -> np.ndarray:
    """Set bits of each uint64 (an array or one value) (``np.bitwise_count`` on numpy >= 2, a byte table otherwise)."""
    x = np.asarray(x, dtype=np.uint64)
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x)
    return _BYTE_POPCOUNT[x[..., None].view(np.uint8)].sum(axis=-1, dtype=np.uint8)


@dataclass(frozen=True)
class Pair:
    i: int
    j: int
    distance: int


def _bands(bits: int, count: int) -> list[tuple[int, int]]:
    """``count`` contiguous (shift, width) bands covering ``bits`` bits."""
    base, extra = divmod(bits, count)
    bands, shift = [], 0
    for b in range(count):
        width = base + (1 if b < extra else 0)
        bands.append((shift, width))
        shift += width
    return bands


def near_pairs(hashes: np.ndarray, max_distance: int, max_bucket: int = 4096) -> list[Pair]:
    """Every pair (i < j) of 64-bit hashes within ``max_distance`` bits, exactly.

    A band bucket larger than ``max_bucket`` (thousands of images with one identical band, e.g. blank frames) is
    compared in chunks against itself, so memory stays bounded.
    """
    h = np.asarray(hashes, dtype=np.uint64)
    n = len(h)
    if n < 2:
        return []
    found: set[int] = set()
    out: list[Pair] = []
    for shift, width in _bands(64, max_distance + 1):
        keys = (h >> np.uint64(shift)) & np.uint64((1 << width) - 1)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        ends = np.r_[starts[1:], n]
        for s, e in zip(starts, ends, strict=True):
            if e - s < 2:
                continue
            members = np.sort(order[s:e])
            for ii, jj in _bucket_pairs(h, members, max_distance, max_bucket):
                key = int(ii) * n + int(jj)
                if key in found:
                    continue
                found.add(key)
                out.append(Pair(int(ii), int(jj), int(popcount(h[ii] ^ h[jj]))))
    out.sort(key=lambda p: (p.i, p.j))
    return out


def _bucket_pairs(h: np.ndarray, members: np.ndarray, max_distance: int, max_bucket: int):
    """Pairs within one bucket whose full distance is within ``max_distance``."""
    chunk = max(1, min(len(members), max_bucket))
    for start in range(0, len(members), chunk):
        rows = members[start : start + chunk]
        dist = popcount(h[rows][:, None] ^ h[members][None, :])
        ri, cj = np.nonzero(dist <= max_distance)
        a, b = rows[ri], members[cj]
        keep = a < b
        yield from zip(a[keep], b[keep], strict=True)
