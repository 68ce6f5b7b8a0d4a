"""Frames of DICOM files (multi-frame clips and volumes, or single images) for the converters that read DICOM series.

``header`` reads the few tags a converter groups by without the pixel data; ``read_clip_frame`` decodes one frame in a
worker, keeping the last decoded file for its next frames.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ..decode import BadData


def frame_count(path: str) -> int | None:
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception:  # pydicom raises many kinds of error for a bad file
        return None
    return int(getattr(ds, "NumberOfFrames", 1) or 1)


@lru_cache(maxsize=1)
def _clip(path: str):
    import pydicom

    try:
        ds = pydicom.dcmread(path)
        return ds, ds.pixel_array
    except Exception as exc:  # as above
        raise BadData(
            "unreadable",
            f"cannot decode DICOM pixel data ({str(exc)[:200]}); compressed transfer syntaxes may need "
            "`pip install pylibjpeg pylibjpeg-libjpeg`",
        ) from None


def read_clip_frame(path: str, frame: int) -> np.ndarray:
    """Frame ``frame`` of a (multi-frame) DICOM; the decoded clip is kept for the next frame of the same file."""
    from pydicom.pixels import apply_color_lut

    ds, pixels = _clip(str(path))
    if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1:
        if not 0 <= frame < pixels.shape[0]:
            raise BadData("unreadable", f"frame {frame} is outside the clip's {pixels.shape[0]} frames")
        pixels = pixels[frame]
    photometric = str(getattr(ds, "PhotometricInterpretation", ""))
    if photometric == "PALETTE COLOR":
        pixels = apply_color_lut(pixels, ds)
    elif photometric == "MONOCHROME1":
        pixels = pixels.max() - pixels
    return np.asarray(pixels)


def header(path: str) -> dict[str, Any] | None:
    """Modality, patient, study, series, instance number and frame count of a DICOM file, or None if unreadable."""
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception:  # pydicom raises many kinds of error for a bad file
        return None
    number = getattr(ds, "InstanceNumber", None)
    return {
        "modality": str(getattr(ds, "Modality", "") or ""),
        "patient": str(getattr(ds, "PatientID", "") or ""),
        "study": str(getattr(ds, "StudyInstanceUID", "") or ""),
        "series": str(getattr(ds, "SeriesInstanceUID", "") or ""),
        "instance": int(number) if number not in (None, "") else None,
        "frames": int(getattr(ds, "NumberOfFrames", 1) or 1),
    }
