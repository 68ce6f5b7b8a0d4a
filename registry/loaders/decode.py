"""Decoders run in worker processes: read a source file and return an image or a uint8 label map.

Each is a module-level function (so ``Decode`` objects pickle). A decoder raises ``BadData`` when the file cannot be
used (unreadable, truncated, wrong kind), and returns ``Decoded(array, notes)`` when it could decode the file but
something should be reported (off-palette pixels, a repaired outline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, UnidentifiedImageError

VOLUME_SUFFIXES = (".mha", ".mhd", ".nii", ".nii.gz", ".nrrd", ".nhdr")
DICOM_SUFFIXES = (".dcm", ".dicom")


class BadData(Exception):
    """A source file that cannot be converted. ``kind`` is the problem keyword (e.g. ``unreadable``)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class Decoded:
    array: np.ndarray
    notes: list[tuple[str, str, str]] = field(default_factory=list)
    """(kind, severity, message) findings to report against the file."""


def unwrap(result: Any) -> tuple[np.ndarray, list[tuple[str, str, str]]]:
    if isinstance(result, Decoded):
        return result.array, result.notes
    return result, []


def _suffix(path: str) -> str:
    name = path.lower()
    for s in (*VOLUME_SUFFIXES, *DICOM_SUFFIXES):
        if name.endswith(s):
            return s
    return Path(name).suffix


# --- images --------------------------------------------------------------------------------------------------------


def read_image(path: str, frame: int | None = None) -> np.ndarray:
    """Any supported image file as an array: PNG/JPEG/BMP/TIFF (Pillow), DICOM (pydicom), MHA/NIfTI (SimpleITK).

    ``frame`` picks one frame of a multi-frame DICOM or a 3-D volume (first axis).
    """
    suffix = _suffix(path)
    if suffix in DICOM_SUFFIXES:
        return read_dicom(path, frame)
    if suffix in VOLUME_SUFFIXES:
        return read_volume_frame(path, frame)
    return _read_pil(path, keep_palette=False)


def _read_pil(path: str, keep_palette: bool) -> np.ndarray:
    try:
        with Image.open(path) as opened:
            opened.load()
            im: Image.Image = opened
            mode = im.mode
            if mode == "P" and not keep_palette:
                im = im.convert("RGBA" if "transparency" in im.info else "RGB")
            elif mode == "1":
                im = im.convert("L")
            elif mode in {"LA", "La"}:
                im = im.getchannel(0)
            elif mode in {"RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV"}:
                im = im.convert("RGB")
            return np.asarray(im)
    except FileNotFoundError:
        raise BadData("missing_file", f"file not found: {path}") from None
    except UnidentifiedImageError:
        raise BadData("unreadable", "not a readable image (unknown format or empty file)") from None
    except Image.DecompressionBombError as exc:  # the header declares more pixels than any real scan has
        raise BadData("unreadable", f"refused to decode the image: {exc}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadData("unreadable", f"cannot decode image: {exc}") from None


def read_dicom(path: str, frame: int | None = None) -> np.ndarray:
    try:
        import pydicom
        from pydicom.pixels import apply_color_lut
    except ImportError:  # pragma: no cover - pydicom is in the data extra
        raise BadData("unreadable", "DICOM input needs pydicom: pip install 'usreg[data]'") from None
    try:
        ds = pydicom.dcmread(path)
        pixels = ds.pixel_array
    except Exception as exc:
        raise BadData(
            "unreadable",
            f"cannot decode DICOM pixel data ({exc}); compressed transfer syntaxes may need "
            "`pip install pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg`",
        ) from None
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if frames > 1:
        pixels = pixels[frame or 0]
    photometric = str(getattr(ds, "PhotometricInterpretation", ""))
    if photometric == "PALETTE COLOR":
        pixels = apply_color_lut(pixels, ds)
    elif photometric == "MONOCHROME1":
        pixels = pixels.max() - pixels
    return np.asarray(pixels)


#: values (pixels times components) a volume may declare: more is refused before SimpleITK allocates them
MAX_VOLUME_VALUES = 1 << 31
_DATA_FILE = re.compile(r"^\s*(ElementDataFile\s*=|data\s*file\s*:)\s*(.*?)\s*$", re.IGNORECASE | re.MULTILINE)


def read_volume(path: str | Path, what: str = "volume") -> np.ndarray:
    """A whole MHA/MHD/NIfTI/NRRD volume as an array (SimpleITK), checked first: a detached header (``.mhd``,
    ``.nhdr``) whose data file lies outside its folder (``ElementDataFile = /home/me/.ssh/id_rsa``, ``data file:
    ../../x``) is refused, as SimpleITK would read any file there into the converted dataset; so is a header declaring
    more than ``MAX_VOLUME_VALUES`` values. Every converter reads volumes through this."""
    try:
        import SimpleITK as sitk
    except ImportError:  # pragma: no cover
        raise BadData("unreadable", "MHA/NIfTI input needs SimpleITK: pip install 'usreg[bench]'") from None
    _check_data_files(Path(path), what)
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
        declared = int(np.prod(reader.GetSize(), dtype=object)) * reader.GetNumberOfComponents()
        if declared > MAX_VOLUME_VALUES:
            raise BadData(
                "unreadable",
                f"the {what}'s header declares {' x '.join(str(n) for n in reader.GetSize())} pixels "
                f"({declared:,} values), over the limit of {MAX_VOLUME_VALUES:,}: a damaged or hostile header",
            )
        return sitk.GetArrayFromImage(reader.Execute())
    except RuntimeError as exc:
        raise BadData("unreadable", f"cannot read the {what}: {str(exc).splitlines()[0][:200]}") from None


def _check_data_files(path: Path, what: str) -> None:
    """Refuse a header naming a data file outside its own folder (absolute, or with a '..' component)."""
    if not path.name.lower().endswith((".mhd", ".mha", ".nhdr", ".nrrd")):
        return
    try:
        with open(path, "rb") as f:
            head = f.read(64 * 1024).decode("latin-1")
    except OSError:
        return  # SimpleITK reports it
    for found in _DATA_FILE.finditer(head):
        value = found.group(2)
        names = head[found.end() :].split("\n")[:64] if value.upper().startswith("LIST") else [value.split(" ")[0]]
        for name in (n.strip() for n in names):
            parts = name.replace("\\", "/").split("/")
            if name.startswith(("/", "~")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
                raise BadData(
                    "unreadable",
                    f"the {what}'s header reads its data from {name!r}, outside its folder; refused (a hostile header "
                    "can name any file on this computer)",
                )


def read_volume_frame(path: str, frame: int | None = None) -> np.ndarray:
    """A 2-D image from an MHA/NIfTI/NRRD file (SimpleITK): the whole image if 2-D, else frame ``frame``."""
    return _frame_of(read_volume(path), frame)


def _frame_of(arr: np.ndarray, frame: int | None) -> np.ndarray:
    if arr.ndim == 2:
        return arr
    if arr.ndim == 3 and arr.shape[-1] in (3, 4) and arr.shape[0] not in (3, 4):
        return arr  # a 2-D colour image (vector pixels)
    if arr.ndim == 3 and arr.shape[0] in (3, 4) and arr.shape[-1] not in (3, 4) and frame is None:
        return np.moveaxis(arr, 0, -1)  # channels stored first (e.g. PSFHS RGB .mha)
    if arr.ndim >= 3:
        if frame is None:
            if arr.shape[0] == 1:
                return arr[0]
            raise BadData("unreadable", f"a {arr.ndim}-D volume of shape {arr.shape} needs a frame index")
        if not 0 <= frame < arr.shape[0]:
            raise BadData("unreadable", f"frame {frame} is outside the volume's {arr.shape[0]} frames")
        return arr[frame]
    raise BadData("unreadable", f"unexpected array shape {arr.shape}")


def volume_frames(path: str) -> int:
    """Number of frames along the first axis of a volume (1 for 2-D images)."""
    import SimpleITK as sitk

    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    reader.ReadImageInformation()
    size = reader.GetSize()  # (x, y[, z])
    return int(size[2]) if len(size) > 2 else 1


# --- masks ---------------------------------------------------------------------------------------------------------


def _collapse(arr: np.ndarray) -> np.ndarray:
    """Single channel from a mask stored as RGB/RGBA with the label in every channel (max over colour channels)."""
    if arr.ndim == 3:
        return arr[:, :, :3].max(axis=2) if arr.shape[2] >= 3 else arr[:, :, 0]
    return arr


def _read_mask_array(path: str, frame: int | None = None) -> np.ndarray:
    suffix = _suffix(path)
    if suffix in VOLUME_SUFFIXES:
        return read_volume_frame(path, frame)
    if suffix in DICOM_SUFFIXES:
        return read_dicom(path, frame)
    return _read_pil(path, keep_palette=True)


def mask_binary(paths: str | list[str] | tuple[str, ...], threshold: int = 0, value: int = 1) -> np.ndarray:
    """Foreground (any channel above ``threshold``) as ``value``, 0 elsewhere. Several paths are united (BUSI)."""
    if isinstance(paths, str):
        paths = [paths]
    out: np.ndarray | None = None
    for p in paths:
        fg = _collapse(_read_mask_array(p)) > threshold
        if out is None:
            out = fg
        elif fg.shape != out.shape:
            raise BadData("size_mismatch", f"{Path(p).name} is {fg.shape[::-1]}, its sibling masks {out.shape[::-1]}")
        else:
            out |= fg
    assert out is not None
    return out.astype(np.uint8) * np.uint8(value)


def mask_index(path: str, frame: int | None = None) -> np.ndarray:
    """A label map whose pixel values are class ids (grey, palette-indexed, or RGB with equal channels)."""
    arr = _read_mask_array(path, frame)
    if arr.ndim == 3:
        chans = arr[:, :, :3]
        if not (np.array_equal(chans[:, :, 0], chans[:, :, 1]) and np.array_equal(chans[:, :, 0], chans[:, :, 2])):
            raise BadData("unexpected_colour", "a colour mask where a label map (class id per pixel) was expected")
        arr = chans[:, :, 0]
    if arr.dtype != np.uint8:
        if arr.size and (arr.min() < 0 or arr.max() > 255):
            raise BadData("mask_values", f"label values {int(arr.min())}..{int(arr.max())} do not fit in uint8")
        arr = arr.astype(np.uint8)
    return arr


@lru_cache(maxsize=8)
def _palette_lut(palette: tuple[tuple[int, int, int, int], ...]) -> np.ndarray:
    lut = np.full(1 << 24, 255, dtype=np.uint8)
    for r, g, b, value in palette:
        lut[(r << 16) | (g << 8) | b] = value
    return lut


def mask_palette(path: str, palette: tuple[tuple[int, int, int, int], ...], max_listed: int = 5) -> Decoded:
    """An RGB colour-coded mask to class ids via ``palette`` ((r, g, b, class_id), ...).

    Pixels of any other colour become 0 (background) and are reported with their colours and counts.
    """
    arr = _read_pil(path, keep_palette=False)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    rgb = arr[:, :, :3].astype(np.uint32)
    packed = (rgb[:, :, 0] << 16) | (rgb[:, :, 1] << 8) | rgb[:, :, 2]
    out = _palette_lut(palette)[packed]
    off = out == 255
    notes = []
    if off.any():
        colours, counts = np.unique(packed[off], return_counts=True)
        order = np.argsort(counts)[::-1][:max_listed]
        listed = ", ".join(
            f"({c >> 16},{(c >> 8) & 255},{c & 255})x{n}" for c, n in zip(colours[order], counts[order], strict=True)
        )
        notes.append(
            (
                "off_palette",
                "warning",
                f"{int(off.sum())} pixel(s) of {len(colours)} colour(s) not in the palette set to background: {listed}",
            )
        )
        out = out.copy()
        out[off] = 0
    return Decoded(out, notes)


def mask_polygons(polygons: list[tuple[int, list[float]]], image_shape: tuple[int, int]) -> np.ndarray:
    """Rasterise polygons ((class_id, [x1, y1, x2, y2, ...]), ...) in order; later ones overwrite earlier ones."""
    h, w = image_shape
    canvas = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    for value, flat in polygons:
        pts = [(float(flat[i]), float(flat[i + 1])) for i in range(0, len(flat) - 1, 2)]
        if len(pts) >= 3:
            draw.polygon(pts, fill=int(value), outline=int(value))
    return np.asarray(canvas)


def mask_ellipse_outline(path: str, value: int = 1) -> Decoded:
    """A filled ellipse from an image of its drawn outline (HC18 annotations).

    The outline pixels are fitted with a direct least-squares ellipse (Halir and Flusser), which also closes outlines
    cut by the image border; if the fit fails, the outline's holes are filled instead and that is reported.
    """
    outline = _collapse(_read_mask_array(path)) > 127
    ys, xs = np.nonzero(outline)
    if len(xs) == 0:
        return Decoded(np.zeros(outline.shape, dtype=np.uint8), [("empty_mask", "warning", "the outline is empty")])
    conic = fit_ellipse(xs.astype(np.float64), ys.astype(np.float64))
    if conic is None:
        from scipy import ndimage

        filled = ndimage.binary_fill_holes(outline)
        note = ("ellipse_fit", "warning", "no ellipse fits the outline; its enclosed area was filled instead")
        return Decoded(filled.astype(np.uint8) * np.uint8(value), [note])
    h, w = outline.shape
    inside = _conic_inside(conic, h, w)
    return Decoded((inside | outline).astype(np.uint8) * np.uint8(value))


def fit_ellipse(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, float, float] | None:
    """Direct least-squares ellipse fit on normalised coordinates. Returns (conic coefficients, mx, my, scale)."""
    if len(x) < 6:
        return None
    mx, my = x.mean(), y.mean()
    scale = max(x.std(), y.std(), 1e-9)
    xn, yn = (x - mx) / scale, (y - my) / scale
    d1 = np.column_stack([xn * xn, xn * yn, yn * yn])
    d2 = np.column_stack([xn, yn, np.ones_like(xn)])
    s1, s2, s3 = d1.T @ d1, d1.T @ d2, d2.T @ d2
    try:
        t = -np.linalg.solve(s3, s2.T)
    except np.linalg.LinAlgError:
        return None
    m = s1 + s2 @ t
    m = np.array([m[2] / 2.0, -m[1], m[0] / 2.0])
    try:
        _, vecs = np.linalg.eig(m)
    except np.linalg.LinAlgError:
        return None
    vecs = np.real(vecs)
    cond = 4 * vecs[0] * vecs[2] - vecs[1] ** 2
    ok = np.flatnonzero(cond > 0)
    if len(ok) == 0:
        return None
    a1 = vecs[:, ok[0]]
    coeffs = np.concatenate([a1, t @ a1])
    return coeffs, float(mx), float(my), float(scale)


def _conic_inside(fit: tuple[np.ndarray, float, float, float], h: int, w: int) -> np.ndarray:
    (a, b, c, d, e, f), mx, my, scale = fit
    yy, xx = np.mgrid[0:h, 0:w]
    xn, yn = (xx - mx) / scale, (yy - my) / scale
    val = a * xn * xn + b * xn * yn + c * yn * yn + d * xn + e * yn + f
    # The centre of the ellipse is inside; its sign tells which side is "inside".
    det = 4 * a * c - b * b
    cx = (b * e - 2 * c * d) / det
    cy = (b * d - 2 * a * e) / det
    centre = a * cx * cx + b * cx * cy + c * cy * cy + d * cx + e * cy + f
    return (val * np.sign(centre)) >= 0


def mask_coco(
    shapes: list[tuple[int, Any]], declared_size: tuple[int, int] | None, image_shape: tuple[int, int]
) -> np.ndarray:
    """A label map from COCO segmentations ((class_id, polygons-or-RLE), ...), painted in order.

    ``declared_size`` is the (height, width) the COCO file states for the image; a different real size is an error,
    because the polygons would be drawn in the wrong place.
    """
    if declared_size and tuple(declared_size) != tuple(image_shape):
        raise BadData(
            "size_mismatch",
            f"the annotation file states {declared_size[1]}x{declared_size[0]} but the image is "
            f"{image_shape[1]}x{image_shape[0]}",
        )
    from ..formats.coco import rle_decode

    out = np.zeros(image_shape, dtype=np.uint8)
    for value, seg in shapes:
        if isinstance(seg, dict):
            m = rle_decode(seg).astype(bool)
            if m.shape != out.shape:
                raise BadData("size_mismatch", f"an RLE of size {m.shape[::-1]} on a {out.shape[::-1]} image")
            out[m] = value
        else:
            drawn = mask_polygons([(value, poly) for poly in seg], image_shape)
            out[drawn > 0] = value
    return out
