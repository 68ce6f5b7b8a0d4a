"""ASUS (automatic spine ultrasound segmentation, Ungi et al. 2020): NumPy frame stacks of sagittal spine sweeps.

Layout (UltraSam's ``datasets/datasets/ASUS.py`` unpacks ``ASUS.tar.gz``, then ``ASUS/DataArrays.zip``, and pairs
every ``*.npy`` by the name before its first '_', the mask being the file whose name holds "segmentation"; the
authors' ``SlicerIGT/aigt`` notebook ``Notebooks/Segmentation/SagittalSpineSegmentationStudy.ipynb`` names the files
of the ``DataArrays`` folder):

- training: ``q000_ultrasound.npy`` ... ``q007_ultrasound.npy`` with ``q000_segmentation.npy`` ...: one array per
  healthy volunteer, ``[frames, 128, 128, 1]``;
- testing: ``ultrasound-test.npy`` with ``segmentation-test.npy`` (``[1892, 128, 128, 1]``, the pediatric patients).

Every frame becomes a sample ``<array>_f<frame>`` (``q003_f00012``, ``test_f00100``) with its frame index kept; the
images are floats in [0, 1] (scaled to 0-255, as UltraSam does) and a mask pixel is spine where its value is at
least 0.5. Split: ``q###`` arrays are training data, the ``-test`` arrays test data (the notebook's own split). The
volunteer id ``q###`` is the subject; the test array concatenates several patients without ids, so its frames have no
subject. Frames are kept in the arrays' orientation (UltraSam transposes them for display only).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import BadData

MAX_FRAMES = 20_000
"""Frames read from one array at most (the largest known array has 1,892); the rest are reported."""

_TRAIN = re.compile(r"^(?P<key>[^_]+)_(?P<kind>ultrasound|segmentation)\.npy$", re.IGNORECASE)
_TEST = re.compile(r"^(?P<kind>ultrasound|segmentation)-(?P<key>test)\.npy$", re.IGNORECASE)
CLASSES = {0: "background", 1: "spine"}


def _frames(path: str) -> np.ndarray:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise BadData("unreadable", f"not a readable NumPy array: {exc}") from None
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3 or 0 in array.shape:
        raise BadData("unreadable", f"array of shape {tuple(array.shape)}, not [frames, height, width(, 1)]")
    return array


def asus_image(path: str, frame: int) -> np.ndarray:
    """One frame of an ultrasound stack as 8-bit grey (floats in [0, 1] scaled to 0-255)."""
    data = np.asarray(_frames(path)[frame])
    if data.dtype == np.uint8:
        return data
    if np.issubdtype(data.dtype, np.bool_):
        return data.astype(np.uint8) * np.uint8(255)
    values = np.nan_to_num(data.astype(np.float32))
    return np.rint(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)


def asus_mask(path: str, frame: int) -> np.ndarray:
    """One frame of a segmentation stack: 1 (spine) where the value is at least 0.5, else 0."""
    data = np.asarray(_frames(path)[frame])
    return (np.nan_to_num(data.astype(np.float32)) >= 0.5).astype(np.uint8)


def _pairs(ctx: ConvertContext) -> tuple[dict[str, dict[str, Path]], list[Path]]:
    """{array key: {'ultrasound': path, 'segmentation': path}} and the .npy files that fit no name."""
    pairs: dict[str, dict[str, Path]] = {}
    other: list[Path] = []
    for path in ctx.files():
        if path.suffix.lower() != ".npy":
            continue
        m = _TRAIN.match(path.name) or _TEST.match(path.name)
        if not m:
            other.append(path)
            continue
        kind = m.group("kind").lower()
        key = m.group("key").lower()
        if kind in pairs.setdefault(key, {}):
            ctx.problem("duplicate", path, f"a second {kind} array for {key!r}; the first one is used", "warning")
            continue
        pairs[key][kind] = path
    return pairs, other


@register
class Asus(Converter):
    name = "asus"
    summary = "DataArrays/q###_{ultrasound,segmentation}.npy and {ultrasound,segmentation}-test.npy frame stacks"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.split_note = "Official split: the q### volunteer arrays are training data, the -test arrays test data."
        ctx.declare_target("spine", dict(CLASSES), "bone surface of the spine")
        pairs, other = _pairs(ctx)
        for path in other:
            ctx.problem("unexpected_file", path, "a .npy file that is no ultrasound or segmentation array", "warning")
        if not pairs:
            ctx.find_dir(lambda d: False, "DataArrays/q###_ultrasound.npy and q###_segmentation.npy arrays")
        for key in sorted(pairs):
            files = pairs[key]
            image, mask = files.get("ultrasound"), files.get("segmentation")
            if image is None or mask is None:
                have = image or mask
                assert have is not None
                missing = "ultrasound" if image is None else "segmentation"
                ctx.problem("missing_mask" if mask is None else "missing_image", have, f"no {missing} array beside it")
                continue
            try:
                shape = _frames(str(image)).shape
                mask_shape = _frames(str(mask)).shape
            except BadData as exc:
                ctx.problem(exc.kind, image, exc.message)
                continue
            if shape != mask_shape:
                ctx.problem("size_mismatch", mask, f"segmentation {mask_shape} and ultrasound {shape} differ")
                continue
            count = shape[0]
            if count > MAX_FRAMES:
                ctx.problem("too_large", image, f"{count} frames; only the first {MAX_FRAMES} are converted")
                count = MAX_FRAMES
            test = key == "test"
            rel, mask_rel = ctx.rel(image), ctx.rel(mask)
            for k in range(count):
                yield Item(
                    sample_id=f"{key}_f{k:05d}",
                    image=Decode(asus_image, (str(image), k), source=rel),
                    masks={"spine": Decode(asus_mask, (str(mask), k), source=mask_rel)},
                    source_file=rel,
                    split="test" if test else "train",
                    subject_id=None if test else key,
                    frame=k,
                    extra={"frames_in_array": shape[0]},
                )
