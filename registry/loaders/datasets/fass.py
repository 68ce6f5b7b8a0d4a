"""FASS: Fetal Abdominal Structures Segmentation (Mendeley Data 4gcpm9dsc3, v1).

Layout of the Mendeley file ``Fetal Abdominal Structures Segmentation Dataset Using Ultrasonic Images.zip`` (also
wrapped, by Mendeley's "Download all", in a zip of the same name): ``IMAGES/<name>.png`` with
``ARRAY_FORMAT/<name>.npy``, a pickled dict whose ``"structures"`` item maps each structure (``artery``, ``liver``,
``stomach``, ``vein``) to a binary mask.

- Target ``structures``: one label map, class ids as in the entry (1 artery, 2 liver, 3 stomach, 4 vein), painted in
  the order liver, stomach, artery, vein so that the small vessels win where masks overlap.
- The .npy files hold pickles. They are read with an unpickler that accepts only NumPy's array reconstruction and
  plain containers, so a crafted file cannot run code; anything else is reported as unreadable.
- No split and no subject ids are published: a seeded split is assigned.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator

import numpy as np

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ..decode import BadData

CLASSES = {0: "background", 1: "artery", 2: "liver", 3: "stomach", 4: "vein"}
PAINT_ORDER = ("liver", "stomach", "artery", "vein")
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a mask file")


def load_pickled_npy(path: str) -> object:
    """The object stored in a pickled (object-dtype) .npy file, unpickled with NumPy types only."""
    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
            array = _ArraysOnly(fh).load() if dtype.hasobject else None
            if array is None:  # np.load allocates the declared shape before reading (909 TiB for a 100-byte file)
                declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
                held = os.fstat(fh.fileno()).st_size - fh.tell()
                if declared > held:
                    raise BadData(
                        "unreadable",
                        f"the array's header declares shape {shape} ({declared:,} bytes); the file holds {held:,}",
                    )
        if array is None:
            return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, AttributeError, TypeError) as exc:
        raise BadData("unreadable", f"not a readable mask array: {exc}") from None
    return array.item() if isinstance(array, np.ndarray) and array.dtype.hasobject and array.size == 1 else array


def fass_mask(path: str) -> np.ndarray:
    """The FASS structures of one image as a label map (class ids from ``CLASSES``)."""
    data = load_pickled_npy(path)
    structures = data.get("structures") if isinstance(data, dict) else None
    if not isinstance(structures, dict) or not structures:
        raise BadData("unreadable", "the array holds no 'structures' dict")
    ids = {name: k for k, name in CLASSES.items()}
    unknown = sorted(set(structures) - set(ids))
    if unknown:
        raise BadData("unknown_label", f"structures {unknown} are not in the class map {sorted(ids)}")
    shapes = {np.asarray(m).shape[:2] for m in structures.values()}
    if len(shapes) != 1:
        raise BadData("size_mismatch", f"the structure masks differ in size: {sorted(shapes)}")
    out = np.zeros(shapes.pop(), np.uint8)
    for name in PAINT_ORDER:
        if name in structures:
            out[np.asarray(structures[name]) > 0] = ids[name]
    return out


@register
class Fass(Converter):
    name = "fass"
    summary = "IMAGES/<name>.png with ARRAY_FORMAT/<name>.npy (pickled dict of per-structure binary masks)"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("structures", CLASSES, "artery, liver, stomach and vein from ARRAY_FORMAT/*.npy")
        arrays = {f.stem: f for f in ctx.files() if f.suffix.lower() == ".npy" and f.parent.name == "ARRAY_FORMAT"}
        images = [f for f in ctx.files() if f.suffix.lower() == ".png" and f.parent.name == "IMAGES"]
        if not images:
            ctx.find_dir(lambda d: False, "IMAGES/*.png with ARRAY_FORMAT/*.npy")
        used = set()
        for image in images:
            npy = arrays.get(image.stem)
            if npy is None:
                ctx.problem(
                    "missing_mask", image, "no ARRAY_FORMAT/<name>.npy for this image; skipped", sample_id=image.stem
                )
                continue
            used.add(image.stem)
            yield Item(
                sample_id=image.stem,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={"structures": Decode(fass_mask, (str(npy),), source=ctx.rel(npy))},
            )
        for stem, npy in sorted(arrays.items()):
            if stem not in used:
                ctx.problem("missing_image", npy, "mask array without an IMAGES/ png; ignored")
