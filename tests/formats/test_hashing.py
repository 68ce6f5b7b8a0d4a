"""pHash equals imagehash's, and the near-duplicate search equals a brute-force comparison."""

from __future__ import annotations

import imagehash
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from registry.formats.hashing import near_pairs, phash_hex
from tests.fixtures.builders._common import us_image


def test_phash_matches_imagehash():
    for seed in range(8):
        im = Image.fromarray(us_image(64 + seed * 7, 90, seed))
        assert phash_hex(im) == str(imagehash.phash(im))
    rgb = Image.fromarray(np.stack([us_image(50, 50, 9)] * 3, axis=-1))
    assert phash_hex(rgb) == str(imagehash.phash(rgb))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1), min_size=0, max_size=60),
    st.integers(0, 8),
    st.lists(st.tuples(st.integers(0, 59), st.integers(0, 63)), max_size=30),
)
def test_near_pairs_equals_brute_force(values, t, flips):
    h = list(values)
    for i, bit in flips:  # make some near copies
        if h and i < len(h):
            h.append(h[i] ^ (1 << bit))
    arr = np.array(h, dtype=np.uint64)
    got = {(p.i, p.j, p.distance) for p in near_pairs(arr, t)}
    want = set()
    for i in range(len(h)):
        for j in range(i + 1, len(h)):
            d = bin(h[i] ^ h[j]).count("1")
            if d <= t:
                want.add((i, j, d))
    assert got == want


def test_popcount_fallback_matches():
    from registry.formats import hashing

    values = np.array([0, 1, 2**63, 2**64 - 1, 0x0F0F0F0F0F0F0F0F], dtype=np.uint64)
    table = hashing._BYTE_POPCOUNT[values[..., None].view(np.uint8)].sum(axis=-1)
    assert table.tolist() == [0, 1, 1, 64, 32] == hashing.popcount(values).tolist()
