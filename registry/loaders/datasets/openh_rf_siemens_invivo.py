"""OpenH-RF siemens-healthineers subset: the reference B-mode frames of zea-format HDF5 channel-data acquisitions.

Layout (the subset's data card as copied into the OpenH-RF site's ``site/hub/cards.json``, and the zea format notes of
the OpenH-RF submission-evaluation skill, which mirror zea's data-acquisition spec):

- One zea HDF5 file per acquisition (``.hdf5``). The card lists the keys the files hold: ``data/raw_data`` (baseband
  IQ channel data), ``data/image`` (the reference B-mode), ``metadata/subject/id``, ``metadata/subject/type``,
  ``metadata/annotations/anatomy`` and ``label``, ``custom/contact``, ``custom/challenging`` (per-frame quality tags),
  ``custom/iq_rms_source``, ``probe/*`` and ``scan/*``.
- zea's spec: ``data/image`` is the log-compressed B-mode, ``(n_frames, z, x)``, float32 or uint8; a derived product
  is a group holding ``values`` (and optional ``coordinates``, ``min``, ``max``). Annotations are per frame or one
  string for the file.

One sample per frame of ``data/image`` (rows = depth z, columns = lateral x). uint8 values are kept; float values are
mapped to 0-255 over the product's ``min``/``max`` when the file gives them, else over the frame's own range (said in
``extra``). The channel data are not converted (the conversion is the B-mode), nor is the card's illustration
(``assets/``). Subject = ``metadata/subject/id``; split = the card's reference split (Subject_13 and Subject_14 are
validation, every other subject training). Anatomy, label and the per-frame quality tags go to ``extra``.

Reported: a file that is not HDF5 or has no ``data/image`` (``unreadable``), an image of an unexpected shape or size
(``not_converted``), a file with no subject id (seeded split), other files in the download (``unexpected_file``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import UsregError
from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import BadData
from ._hdf5 import open_hdf5

IMAGE = "data/image"
VALIDATION_SUBJECTS = frozenset({"Subject_13", "Subject_14"})
HDF5_SUFFIXES = (".hdf5", ".h5")
MAX_FRAMES = 20_000
MAX_FRAME_PIXELS = 16_000_000
MAX_TEXT = 4_096  # characters kept of one annotation string
KNOWN_SIDE_FILES = (".md", ".yaml", ".yml", ".py", ".json", ".txt", ".gitattributes")


def _image_values(f: Any) -> Any:
    """The B-mode dataset of an open zea file: ``data/image/values`` (a product group) or ``data/image`` itself."""
    import h5py

    node = f[IMAGE]
    if isinstance(node, h5py.Group):
        node = node["values"]
    if not isinstance(node, h5py.Dataset):
        raise KeyError(f"{IMAGE} holds no values dataset")
    return node


def _range(f: Any) -> tuple[float, float] | None:
    """The product's ``min`` and ``max``: attributes of ``data/image`` or of its values, or scalar datasets in the
    ``data/image`` group; None unless both are there, finite and ordered."""
    import h5py

    group = f[IMAGE]
    holders = [group, _image_values(f)]
    found: dict[str, float] = {}
    for key in ("min", "max"):
        for holder in holders:
            raw: Any = None
            if key in holder.attrs:
                raw = holder.attrs[key]
            elif isinstance(holder, h5py.Group) and isinstance(holder.get(key), h5py.Dataset) and holder[key].size == 1:
                raw = holder[key][()]
            if raw is not None:
                try:
                    found[key] = float(np.asarray(raw, dtype=np.float64).reshape(-1)[0])
                except (TypeError, ValueError, IndexError):
                    continue
                break
    lo, hi = found.get("min"), found.get("max")
    if lo is None or hi is None or not np.isfinite([lo, hi]).all() or hi <= lo:
        return None
    return lo, hi


def zea_bmode_frame(path: str, frame: int, value_range: tuple[float, float] | None) -> np.ndarray:
    """Frame ``frame`` of a zea file's ``data/image`` as an 8-bit image (depth x lateral)."""
    try:
        import h5py  # noqa: F401  (only checks that it is installed)
    except ImportError:  # pragma: no cover - h5py is in the data extra
        raise BadData("unreadable", "zea HDF5 input needs h5py: pip install 'usreg[data]'") from None
    try:
        with open_hdf5(path) as f:
            values = _image_values(f)
            image = np.asarray(values[frame] if values.ndim == 3 else values[()])
    except (OSError, KeyError, ValueError, IndexError) as exc:
        raise BadData("unreadable", f"cannot read frame {frame} of {IMAGE}: {exc}") from None
    if image.ndim != 2:
        raise BadData("unreadable", f"frame {frame} of {IMAGE} has shape {image.shape}, not (z, x)")
    if image.dtype == np.uint8:
        return image
    image = image.astype(np.float64)
    finite = np.isfinite(image)
    if not finite.any():
        raise BadData("unreadable", f"frame {frame} of {IMAGE} holds no finite value")
    lo, hi = value_range if value_range else (float(image[finite].min()), float(image[finite].max()))
    if hi <= lo:
        return np.zeros(image.shape, dtype=np.uint8)
    scaled = (np.clip(np.where(finite, image, lo), lo, hi) - lo) * (255.0 / (hi - lo))
    return np.rint(scaled).astype(np.uint8)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if value is None:
        return None
    text = str(value).strip()[:MAX_TEXT]
    return text or None


def _per_frame(f: Any, key: str, n_frames: int) -> list[Any] | Any | None:
    """A metadata value: one value for the file, a list with one value per frame, or None when absent."""
    import h5py

    if key not in f or not isinstance(f[key], h5py.Dataset):
        return None
    ds = f[key]
    if ds.size > max(n_frames, 1) or ds.ndim > 1:
        return None
    raw = ds[()]
    if ds.ndim == 0 or ds.size == 1:
        item = np.asarray(raw).reshape(-1)[0] if ds.ndim else raw
        return _value(item)
    if ds.size == n_frames:
        return [_value(v) for v in np.asarray(raw).reshape(-1)]
    return None


def _value(item: Any) -> Any:
    if isinstance(item, bytes | str | np.bytes_ | np.str_):
        return _text(item)
    if isinstance(item, np.generic):
        item = item.item()
    return item


def _pick(value: Any, frame: int) -> Any:
    return value[frame] if isinstance(value, list) else value


def _describe(ctx: ConvertContext, path: Path) -> dict[str, Any] | None:
    """Shape, range and metadata of one file, or None after reporting why its frames cannot be converted. The image's
    shape is checked before any metadata is read: a per-frame dataset may be as long as the frames declared."""

    try:
        with open_hdf5(path) as f:
            if IMAGE not in f:
                ctx.problem("unreadable", path, f"no {IMAGE} (the reference B-mode); not converted")
                return None
            values = _image_values(f)
            shape = tuple(int(n) for n in values.shape)
            refused = _shape_problem(shape, values.dtype)
            if refused is not None:
                ctx.problem(refused[0], path, refused[1])
                return None
            n_frames = shape[0] if len(shape) == 3 else 1
            info = {
                "shape": shape,
                "dtype": str(values.dtype),
                "range": _range(f),
                "subject": _per_frame(f, "metadata/subject/id", 1),
                "subject_type": _per_frame(f, "metadata/subject/type", 1),
                "anatomy": _per_frame(f, "metadata/annotations/anatomy", n_frames),
                "label": _per_frame(f, "metadata/annotations/label", n_frames),
                "contact": _per_frame(f, "custom/contact", n_frames),
                "challenging": _per_frame(f, "custom/challenging", n_frames),
            }
    except (OSError, KeyError, ValueError, TypeError) as exc:
        ctx.problem("unreadable", path, f"not a readable zea file ({exc}); not converted")
        return None
    info["n_frames"] = n_frames
    return info


def _shape_problem(shape: tuple[int, ...], dtype: Any) -> tuple[str, str] | None:
    """(kind, message) of the problem that keeps an image of this shape and type from being converted, or None."""
    if len(shape) not in (2, 3) or 0 in shape:
        return "not_converted", f"{IMAGE} has shape {shape}, not (n_frames, z, x); not converted"
    n_frames = shape[0] if len(shape) == 3 else 1
    if n_frames > MAX_FRAMES or shape[-1] * shape[-2] > MAX_FRAME_PIXELS:
        return "too_large", f"{IMAGE} has shape {shape}, over the limits; not converted"
    if not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)):
        return "not_converted", f"{IMAGE} holds {dtype} values, not numbers; not converted"
    return None


@register
class OpenhRfSiemensInvivo(Converter):
    name = "openh-rf-siemens-invivo"
    summary = "zea HDF5 acquisitions; one sample per frame of data/image (the reference B-mode)"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        try:
            import h5py  # noqa: F401
        except ImportError:  # pragma: no cover - h5py is in the data extra
            raise UsregError(f"{self.name}: reading zea HDF5 needs h5py", hint="pip install 'usreg[data]'") from None
        files = [f for f in ctx.files() if f.name.lower().endswith(HDF5_SUFFIXES)]
        for other in ctx.files():
            if other.name.lower().endswith(HDF5_SUFFIXES):
                continue
            if "assets" in Path(ctx.rel(other)).parts[:-1]:
                ctx.ignore_file(other, "an illustration of the data card, not an acquisition")
            elif not other.name.lower().endswith(KNOWN_SIDE_FILES):
                ctx.problem("unexpected_file", other, "not a zea HDF5 acquisition; not converted", severity="warning")
        if not files:
            ctx.problem("missing_image", ctx.source_dir, "no zea .hdf5 acquisition in the download")
            return
        ctx.split_note = "The data card's reference split: Subject_13 and Subject_14 are validation, the rest training."
        for path in files:
            info = _describe(ctx, path)
            if info is None:
                continue
            subject = info["subject"] if isinstance(info["subject"], str) else None
            if subject is None:
                ctx.problem(
                    "missing_annotation",
                    path,
                    "no metadata/subject/id: the file's frames get a seeded split",
                    severity="warning",
                )
            split = None if subject is None else ("val" if subject in VALIDATION_SUBJECTS else "train")
            rel = ctx.rel(path)
            stem = path.stem  # a clash between folders is renamed and reported by the pipeline
            scaling = (
                "uint8 values as stored"
                if info["dtype"] == "uint8"
                else (f"{info['range'][0]:g} to {info['range'][1]:g} mapped to 0-255" if info["range"] else None)
            )
            for frame in range(info["n_frames"]):
                extra: dict[str, Any] = {
                    "acquisition": rel,
                    "frames": info["n_frames"],
                    "scaling": scaling or "the frame's own range mapped to 0-255",
                }
                for key in ("subject_type", "anatomy", "label", "contact", "challenging"):
                    value = _pick(info[key], frame)
                    if value is not None:
                        extra[key] = value
                yield Item(
                    sample_id=f"{stem}_f{frame:04d}",
                    image=Decode(zea_bmode_frame, (str(path), frame, info["range"]), source=rel),
                    source_file=rel,
                    split=split,
                    subject_id=subject,
                    frame=frame,
                    colour="grey",
                    extra=extra,
                )
