"""Decoders run in worker processes: read a source file and return an image or a uint8 label map.

Each is a module-level function (so ``Decode`` objects pickle). A decoder raises ``BadData`` when the file cannot be
used (unreadable, truncated, wrong kind), and returns ``Decoded(array, notes)`` when it could decode the file but
something should be reported (off-palette pixels, a repaired outline).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, UnidentifiedImageError

from ..home import relative_parts

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
    ds, pixels = dicom_pixels(path)
    if int(dicom_frames(ds) or 1) > 1:
        if not 0 <= (frame or 0) < pixels.shape[0]:
            raise BadData("unreadable", f"frame {frame} is outside the file's {pixels.shape[0]} frames")
        pixels = pixels[frame or 0]
    return dicom_display(ds, pixels)


DEFLATED = "1.2.840.10008.1.2.1.99"


def dicom_frames(ds: Any) -> int | None:
    """A DICOM data set's NumberOfFrames (1 when absent or empty), or None when it is not a positive whole number."""
    try:
        value = getattr(ds, "NumberOfFrames", None)
        frames = 1 if value in (None, "") else int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return frames if frames >= 1 else None


def dicom_pixels(path: str) -> tuple[Any, np.ndarray]:
    """A DICOM file's data set and its decoded pixel data, checked before pydicom allocates it: a deflated file that
    inflates past ``MAX_VOLUME_BYTES`` (pydicom inflates it whole), a NumberOfFrames that is not a positive whole
    number, and a header declaring more than ``MAX_VOLUME_BYTES`` of pixels (rows x columns x frames x samples) are
    refused, whatever the pixel data holds."""
    try:
        import pydicom
    except ImportError:  # pragma: no cover - pydicom is in the data extra
        raise BadData("unreadable", "DICOM input needs pydicom: pip install 'usreg[data]'") from None
    _check_deflated(path)
    try:
        ds = pydicom.dcmread(path)
    except Exception as exc:  # pydicom raises many kinds of error for a bad file
        raise BadData("unreadable", f"not a readable DICOM file ({str(exc)[:200]})") from None
    frames = dicom_frames(ds)
    if frames is None:
        raise BadData("unreadable", "the DICOM header's NumberOfFrames is not a positive whole number")
    try:
        rows, columns = int(ds.get("Rows") or 0), int(ds.get("Columns") or 0)
        samples, bits = int(ds.get("SamplesPerPixel") or 1), int(ds.get("BitsAllocated") or 8)
    except (TypeError, ValueError, OverflowError):
        raise BadData("unreadable", "the DICOM header's image size is not a whole number") from None
    declared = rows * columns * frames * samples * max(1, (bits + 7) // 8)
    if declared > MAX_VOLUME_BYTES:
        raise BadData(
            "unreadable",
            f"the DICOM header declares {frames} frame(s) of {columns}x{rows} pixels ({declared:,} bytes), over the "
            f"limit of {MAX_VOLUME_BYTES:,} bytes of pixel data: a damaged or hostile header",
        )
    try:
        return ds, ds.pixel_array
    except Exception as exc:  # as above
        raise BadData(
            "unreadable",
            f"cannot decode DICOM pixel data ({str(exc)[:200]}); compressed transfer syntaxes may need "
            "`pip install pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg`",
        ) from None


def _check_deflated(path: str) -> None:
    """A deflated DICOM file (its whole data set zlib-compressed) must not inflate past ``MAX_VOLUME_BYTES``: pydicom
    inflates it whole in memory, so 2 MB of zeros became 2 GB."""
    import zlib

    import pydicom

    try:
        meta = pydicom.filereader.read_file_meta_info(path)
        if str(meta.get("TransferSyntaxUID", "")) != DEFLATED:
            return
        offset = 132 + 12 + int(meta.get("FileMetaInformationGroupLength", 0))
    except Exception:  # pydicom raises many kinds of error for a bad file; dcmread reports it
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    inflated = 0
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            while (chunk := f.read(1 << 20)) and inflated <= MAX_VOLUME_BYTES:
                while chunk and inflated <= MAX_VOLUME_BYTES:
                    inflated += len(inflater.decompress(chunk, 1 << 24))
                    chunk = inflater.unconsumed_tail
    except (OSError, zlib.error):
        return  # dcmread reports it
    if inflated > MAX_VOLUME_BYTES:
        raise BadData("unreadable", f"the deflated DICOM file inflates past {MAX_VOLUME_BYTES:,} bytes; refused")


def dicom_display(ds: Any, pixels: np.ndarray) -> np.ndarray:
    """One decoded DICOM frame as it is shown: a palette applied, MONOCHROME1 inverted."""
    photometric = str(getattr(ds, "PhotometricInterpretation", ""))
    if photometric == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut

        pixels = apply_color_lut(pixels, ds)
    elif photometric == "MONOCHROME1":
        pixels = pixels.max() - pixels
    return np.asarray(pixels)


#: bytes of pixel data a volume may declare: more is refused before SimpleITK allocates them (a 4-D echo cine of
#: 50 frames of 256^3 bytes is 0.8 GiB; a .nii.gz of 16 GiB of zeros downloads as 16 MB)
MAX_VOLUME_BYTES = 1 << 31
#: pixels one 2-D image or video frame may have (Pillow's limit for an image: it refuses a decompression bomb above)
MAX_FRAME_PIXELS = 2 * (Image.MAX_IMAGE_PIXELS or 89_478_485)
#: frames (slices along the last index axis) a volume may declare when a converter makes one sample per frame
MAX_VOLUME_FRAMES = 100_000
#: bytes of header read when looking for a detached header's data file; a longer header is refused
MAX_HEADER_BYTES = 8 << 20
_DATA_FILE = re.compile(r"^\s*(ElementDataFile\s*=|data\s*file\s*:)\s*(.*?)\s*$", re.IGNORECASE)
_PRINTF = re.compile(r"%[-+ 0#]*\d*[diuoxX]|%%")


def _volume_reader(path: str | Path, what: str) -> Any:
    """A SimpleITK reader of ``path`` with the header read and checked: a detached header (``.mhd``, ``.nhdr``) whose
    data file lies outside its folder (``ElementDataFile = /home/me/.ssh/id_rsa``, ``data file: ../../x``) is
    refused, as SimpleITK would read any file there into the converted dataset; so is a header declaring more than
    ``MAX_VOLUME_BYTES`` of pixel data, and an uncompressed NIfTI file shorter than its header declares (SimpleITK
    returned an array of zeros for it)."""
    try:
        import SimpleITK as sitk
    except ImportError:  # pragma: no cover
        raise BadData("unreadable", "MHA/NIfTI input needs SimpleITK: pip install 'usreg[bench]'") from None
    _check_data_files(Path(path), what)
    _check_hdf5(Path(path), what)
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError as exc:
        raise BadData("unreadable", f"cannot read the {what}: {str(exc).splitlines()[0][:200]}") from None
    size = reader.GetSize()
    values = int(np.prod(size, dtype=object)) * reader.GetNumberOfComponents()
    declared = values * _component_bytes(reader)
    if declared > MAX_VOLUME_BYTES:
        raise BadData(
            "unreadable",
            f"the {what}'s header declares {' x '.join(str(n) for n in size)} pixels ({values:,} values), over the "
            f"limit of {MAX_VOLUME_BYTES:,} bytes of pixel data ({declared:,} bytes): a damaged or hostile header",
        )
    _check_nifti_length(Path(path), what)
    return reader


def _component_bytes(reader: Any) -> int:
    """Bytes of one pixel component of the image a reader would return."""
    import SimpleITK as sitk

    return int(sitk.Image([1] * reader.GetDimension(), reader.GetPixelID()).GetSizeOfPixelComponent())


def _check_nifti_length(path: Path, what: str) -> None:
    """An uncompressed NIfTI-1 ``.nii`` file must hold the pixel data its header declares (dimensions times bits per
    pixel, after ``vox_offset``): SimpleITK returned zeros for the missing part, silently."""
    import struct

    if not path.name.lower().endswith(".nii"):
        return
    try:
        with open(path, "rb") as f:
            head = f.read(348)
        size = path.stat().st_size
    except OSError:
        return
    if len(head) < 348 or head[344:347] != b"n+1":
        return  # NIfTI-2, a detached .hdr/.img pair or not NIfTI: SimpleITK judges it
    order = "<" if struct.unpack("<i", head[:4])[0] == 348 else ">"
    dims = struct.unpack(order + "8h", head[40:56])
    bits = struct.unpack(order + "h", head[72:74])[0]
    offset = int(struct.unpack(order + "f", head[108:112])[0])
    if not 1 <= dims[0] <= 7 or bits <= 0 or any(n <= 0 for n in dims[1 : dims[0] + 1]):
        return  # SimpleITK refuses it
    declared = int(np.prod(dims[1 : dims[0] + 1], dtype=object)) * bits // 8
    if size < offset + declared:
        raise BadData(
            "unreadable",
            f"the {what} is truncated: its header declares {declared:,} bytes of pixel data after byte {offset}, "
            f"the file holds {max(size - offset, 0):,}",
        )


def read_volume(path: str | Path, what: str = "volume") -> np.ndarray:
    """A whole MHA/MHD/NIfTI/NRRD volume as an array (SimpleITK), its header checked first (``_volume_reader``).
    Every converter reads volumes through this."""
    reader = _volume_reader(path, what)
    try:
        import SimpleITK as sitk

        return sitk.GetArrayFromImage(reader.Execute())
    except RuntimeError as exc:
        raise BadData("unreadable", f"cannot read the {what}: {str(exc).splitlines()[0][:200]}") from None


def _header_lines(path: Path) -> Iterator[str]:
    """The lines of a volume's text header, up to where its data begins (an empty line in NRRD, the line after
    ``ElementDataFile`` in MetaImage, unless that names a LIST of files, which run to the end of the file)."""
    listing = False
    read = 0
    with open(path, "rb") as f:
        while raw := f.readline(MAX_HEADER_BYTES + 1 - read):  # a line without end is not read whole
            read += len(raw)
            if read > MAX_HEADER_BYTES:
                raise BadData(
                    "unreadable",
                    f"the header of {path.name} runs past {MAX_HEADER_BYTES:,} bytes; a damaged or hostile header",
                )
            line = raw.decode("latin-1").rstrip("\r\n")
            if not line.strip() and not listing:
                return  # NRRD: the data (attached) or nothing (detached) follows
            yield line
            found = _DATA_FILE.match(line)
            if found:
                if not found.group(2).upper().startswith("LIST"):
                    return  # MetaImage ends its header here; its data follows
                listing = True


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _check_hdf5(path: Path, what: str) -> None:
    """A volume that is an HDF5 file (MINC 2, read by SimpleITK) must keep its data in itself: an image dataset
    stored in an external raw file (``/home/me/.ssh/id_rsa``), mapped from other files, or linked to another file's
    object was read by SimpleITK into the converted dataset."""
    try:
        with open(path, "rb") as f:
            head = f.read(2048 + len(HDF5_SIGNATURE))
    except OSError:
        return  # SimpleITK reports it
    if not any(head[at : at + len(HDF5_SIGNATURE)] == HDF5_SIGNATURE for at in (0, 512, 1024, 2048)):
        return
    from .datasets._hdf5 import open_hdf5

    try:
        open_hdf5(path).close()
    except (OSError, ValueError) as exc:
        raise BadData("unreadable", f"the {what} cannot be used: {str(exc)[:200]}") from None


def _check_data_files(path: Path, what: str) -> None:
    """Refuse a header naming a data file outside its own folder (absolute, or with a '..' component), wherever the
    header names it (before, only its first 64 KiB and a LIST's first 64 names were looked at)."""
    if not path.name.lower().endswith((".mhd", ".mha", ".nhdr", ".nrrd")):
        return
    try:
        lines = list(_header_lines(path))
    except OSError:
        return  # SimpleITK reports it
    names: list[str] = []
    listing = False
    for line in lines:
        found = _DATA_FILE.match(line)
        if found:
            value = found.group(2)
            listing = value.upper().startswith("LIST")
            if not listing:
                names.append(value.split(" ")[0])
        elif listing:
            names.append(line)
    for name in (n.strip() for n in names if n.strip()):
        if _PRINTF.sub("", name).count("%"):  # NRRD's numbered files take an integer format (slice%03d.raw) only
            raise BadData("unreadable", f"the {what}'s header names its data files with the format {name!r}; refused")
        if name.startswith("~") or relative_parts(name) is None:
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
    """Number of frames along the first axis of a volume (1 for 2-D images), from its checked header (``BadData`` if it
    cannot be read, is refused, or declares more than ``MAX_VOLUME_FRAMES`` frames)."""
    size = _volume_reader(path, "volume").GetSize()  # (x, y[, z])
    frames = int(size[2]) if len(size) > 2 else 1
    if frames > MAX_VOLUME_FRAMES:
        raise BadData(
            "unreadable",
            f"the volume's header declares {frames:,} frames, over the limit of {MAX_VOLUME_FRAMES:,}: a damaged or "
            "hostile header",
        )
    return frames


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


#: points one polygon may have (a traced outline of a large lesion has a few thousand)
MAX_POLYGON_POINTS = 100_000


def mask_polygons(polygons: list[tuple[int, list[float]]], image_shape: tuple[int, int]) -> np.ndarray:
    """Rasterise polygons ((class_id, [x1, y1, x2, y2, ...]), ...) in order; later ones overwrite earlier ones."""
    h, w = image_shape
    canvas = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    for value, flat in polygons:
        try:
            xy = np.asarray(flat[: len(flat) // 2 * 2], dtype=np.float64)
        except (TypeError, ValueError):
            raise BadData("annotation_unreadable", "a polygon holds a value that is not a coordinate") from None
        if len(xy) > 2 * MAX_POLYGON_POINTS:
            raise BadData(
                "annotation_unreadable",
                f"a polygon of {len(xy) // 2:,} points, over the limit of {MAX_POLYGON_POINTS:,}: a damaged or hostile "
                "annotation (drawing 10 million points took minutes)",
            )
        if xy.ndim != 1 or not np.isfinite(xy).all():  # Pillow drew nothing for NaN, silently
            raise BadData("annotation_unreadable", "a polygon has a coordinate that is not a number (NaN or infinite)")
        if len(xy) >= 6:
            draw.polygon(xy.tolist(), fill=int(value), outline=int(value))
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
            size = seg.get("size")  # checked before decoding: a declared 100000 x 100000 RLE allocated 10 GB first
            if not isinstance(size, list | tuple) or [str(v) for v in size] != [str(v) for v in out.shape]:
                raise BadData(
                    "size_mismatch", f"an RLE of size {str(size)[:40]} (height, width) on an image of {out.shape}"
                )
            try:
                m = rle_decode(seg).astype(bool)
            except (KeyError, TypeError, ValueError) as exc:
                raise BadData("annotation_unreadable", f"not a readable RLE segmentation: {str(exc)[:200]}") from None
            out[m] = value
        else:
            drawn = mask_polygons([(value, poly) for poly in seg], image_shape)
            out[drawn > 0] = value
    return out
