"""Frames of DICOM files (multi-frame clips and volumes, or single images) for the converters that read DICOM series.

``header`` reads the few tags a converter groups by without the pixel data; ``read_clip_frame`` decodes one frame in a
worker, keeping the last decoded file for its next frames.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ..decode import BadData, dicom_display, dicom_frames, dicom_pixels


def _header(path: str) -> Any:
    import pydicom

    try:
        return pydicom.dcmread(path, stop_before_pixels=True)
    except Exception:  # pydicom raises many kinds of error for a bad file
        return None


def frame_count(path: str) -> int | None:
    """The file's NumberOfFrames, or None if the file is unreadable or the value is not a positive whole number."""
    ds = _header(path)
    return None if ds is None else dicom_frames(ds)


@lru_cache(maxsize=1)
def _clip(path: str):
    return dicom_pixels(path)


def read_clip_frame(path: str, frame: int) -> np.ndarray:
    """Frame ``frame`` of a (multi-frame) DICOM; the decoded clip is kept for the next frame of the same file."""
    ds, pixels = _clip(str(path))
    if (dicom_frames(ds) or 1) > 1:
        if not 0 <= frame < pixels.shape[0]:
            raise BadData("unreadable", f"frame {frame} is outside the clip's {pixels.shape[0]} frames")
        pixels = pixels[frame]
    return dicom_display(ds, pixels)


def header(path: str) -> dict[str, Any] | None:
    """Modality, patient, study, series, instance number and frame count of a DICOM file, or None if unreadable."""
    ds = _header(path)
    frames = None if ds is None else dicom_frames(ds)
    if ds is None or frames is None:
        return None
    try:
        number = getattr(ds, "InstanceNumber", None)
        instance = int(number) if number not in (None, "") else None
        text = {
            k: str(getattr(ds, k, "") or "") for k in ("Modality", "PatientID", "StudyInstanceUID", "SeriesInstanceUID")
        }
    except (TypeError, ValueError, OverflowError):  # a value pydicom cannot parse as its VR says
        return None
    return {
        "modality": text["Modality"],
        "patient": text["PatientID"],
        "study": text["StudyInstanceUID"],
        "series": text["SeriesInstanceUID"],
        "instance": instance,
        "frames": frames,
    }
