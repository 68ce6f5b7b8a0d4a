"""A heuristic for burned-in annotations (calipers, crosses, measurement text) in ultrasound images.

It raises a flag (warn), never a failure.

Two signatures, computed on an evenly spaced sample of images:

- grey images: near-white (>= 250) pixels that form thin strokes, i.e. that vanish under a 3x3 erosion. Tissue
  reflections that saturate form blobs and survive the erosion; caliper crosses, dotted lines and text do not.
- colour images: a small share of strongly saturated pixels (markers and text in yellow, green, cyan) in an image
  that is otherwise grey. A large coloured area is colour Doppler, not an overlay, and is not flagged.

DICOM files whose BurnedInAnnotation element is YES are flagged too (from the PHI scan).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .status import CheckStatus

MAX_IMAGES = 300
BRIGHT = 250
MIN_THIN_PIXELS = 40
MIN_THIN_FRACTION = 2e-4
SATURATION = 80
MIN_COLOUR_PIXELS = 30
MAX_COLOUR_FRACTION = 0.02


def _erode(mask: np.ndarray) -> np.ndarray:
    """3x3 binary erosion with numpy shifts (the border counts as background)."""
    p = np.pad(mask, 1, constant_values=False)
    out = np.ones_like(mask)
    h, w = mask.shape
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            out &= p[dy : dy + h, dx : dx + w]
    return out


def score_image(image: np.ndarray) -> tuple[bool, str]:
    """(flagged, reason) for one image."""
    if image.ndim == 3:
        rgb = image[:, :, :3].astype(np.int16)
        sat = rgb.max(axis=2) - rgb.min(axis=2)
        coloured = sat >= SATURATION
        n = int(coloured.sum())
        if MIN_COLOUR_PIXELS <= n <= MAX_COLOUR_FRACTION * coloured.size:
            return True, f"{n} strongly coloured pixel(s) on a grey image (overlay markers or text)"
        grey = rgb.mean(axis=2)
    else:
        grey = image
    bright = grey >= BRIGHT
    nb = int(bright.sum())
    if nb < MIN_THIN_PIXELS:
        return False, ""
    eroded = _erode(bright)
    thin = int((bright & ~eroded).sum())  # pixels on strokes or on blob borders
    core = int(eroded.sum())
    # Strokes: almost every bright pixel is on an edge and there is hardly any blob core.
    if thin >= max(MIN_THIN_PIXELS, MIN_THIN_FRACTION * bright.size) and core <= 0.1 * nb:
        return True, f"{thin} near-white pixel(s) in thin strokes (calipers, crosses or text)"
    return False, ""


def burned_in_check(dataset_dir: Path, rows: list[dict[str, Any]], dicom_flags: list[str] | None = None) -> dict:
    step = max(1, len(rows) // MAX_IMAGES)
    sample = rows[::step][:MAX_IMAGES]
    flagged = []
    for r in sample:
        try:
            with Image.open(dataset_dir / r["image"]) as im:
                arr = np.asarray(im)
        except OSError:
            continue
        hit, reason = score_image(arr)
        if hit:
            flagged.append({"sample_id": r["sample_id"], "reason": reason})
    dicom_flags = dicom_flags or []
    status = CheckStatus.WARN if flagged or dicom_flags else CheckStatus.PASS
    if flagged:
        share = len(flagged) / max(1, len(sample))
        summary = f"{len(flagged)} of {len(sample)} sampled image(s) ({share:.0%}) look like they carry burned-in marks"
    elif dicom_flags:
        summary = f"{len(dicom_flags)} DICOM file(s) declare BurnedInAnnotation = YES"
    else:
        summary = f"no burned-in marks found in {len(sample)} sampled image(s)"
    return {
        "name": "burned_in_annotations",
        "status": status,
        "summary": summary,
        "details": {
            "flagged": flagged[:100],
            "flagged_count": len(flagged),
            "sampled": len(sample),
            "dicom_burned_in_yes": dicom_flags[:50],
            "heuristic": "thin near-white strokes (grey) or a small share of saturated colour (RGB); a flag only",
        },
    }
