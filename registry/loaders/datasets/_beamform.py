"""Plane-wave delay-and-sum beamforming to an 8-bit B-mode image, shared by the PICMUS and CUBDL converters (and the
log compression, which OASBUD applies to its RF envelopes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..decode import BadData

CHUNK = 16  # elements summed at a time (memory: CHUNK x pixels)
MAX_PIXELS = 4_000_000


def das_bmode(rf: np.ndarray, acq: dict[str, Any], x: np.ndarray, z: np.ndarray, f_number: float) -> np.ndarray:
    """Delay-and-sum of plane-wave RF channel data (angles, channels, samples) on the grid z x x: complex image.

    One transmit at a time is made analytic (memory: one transmit's channels plus the receive delays of the grid)."""
    from scipy.signal import hilbert

    n_samples = rf.shape[-1]
    zz, xx = np.meshgrid(z, x, indexing="ij")
    px, pz = xx.reshape(-1).astype(np.float32), zz.reshape(-1).astype(np.float32)
    ex, ez = acq["elements"][:, 0].astype(np.float32), acq["elements"][:, 2].astype(np.float32)
    scale = np.float32(acq["fs"] / acq["c"])
    lo, hi = 1.2 * float(ex.min()), 1.2 * float(ex.max())
    dx = px[None, :] - ex[:, None]
    dz = pz[None, :] - ez[:, None]
    rx = np.sqrt(dx * dx + dz * dz) * scale  # receive delays [samples], elements x pixels
    rx_apod = (np.abs(dx) * np.float32(f_number) < np.abs(dz)) | (np.abs(dx) <= np.float32(1e-3))
    del dx, dz
    image = np.zeros(px.size, dtype=np.complex64)
    for a, angle in enumerate(acq["angles"]):
        analytic = hilbert(np.asarray(rf[a], dtype=np.float32), axis=-1).astype(np.complex64).reshape(-1)
        x_proj = px - pz * np.float32(np.tan(angle))
        tx_apod = (x_proj >= lo) & (x_proj <= hi)
        tx = (px * np.float32(np.sin(angle)) + pz * np.float32(np.cos(angle))) * scale
        tx += np.float32(acq["initial_time"][a] * acq["fs"])
        for start in range(0, ex.size, CHUNK):
            stop = min(start + CHUNK, ex.size)
            index = tx[None, :] + rx[start:stop]
            i0 = np.floor(index)
            frac = index - i0
            valid = (i0 >= 0) & (i0 < n_samples - 1) & rx_apod[start:stop] & tx_apod[None, :]
            rows = (np.arange(start, stop, dtype=np.int64) * n_samples)[:, None]
            flat = np.clip(i0, 0, n_samples - 2).astype(np.int64) + rows
            lower = analytic[flat]
            value = lower + (analytic[flat + 1] - lower) * frac
            image += (value * valid).sum(axis=0)
    return image.reshape(z.size, x.size)


def log_compress(image: np.ndarray, dynamic_range_db: float) -> np.ndarray:
    envelope = np.abs(image)
    peak = float(envelope.max()) if envelope.size else 0.0
    if peak <= 0:
        return np.zeros(envelope.shape, dtype=np.uint8)
    db = 20.0 * np.log10(np.maximum(envelope / peak, 1e-12))
    scaled = (np.clip(db, -dynamic_range_db, 0.0) + dynamic_range_db) * (255.0 / dynamic_range_db)
    return np.rint(scaled).astype(np.uint8)


def beamformed_bmode(
    rf: np.ndarray, acq: dict[str, Any], x: np.ndarray, z: np.ndarray, opts: dict[str, float]
) -> np.ndarray:
    """The 8-bit B-mode image of ``rf`` beamformed on the grid z x x with ``opts``' ``f_number`` and
    ``dynamic_range_db``; BadData when the grid is empty or over ``MAX_PIXELS``."""
    if x.size == 0 or z.size == 0 or x.size * z.size > MAX_PIXELS:
        raise BadData("unreadable", f"the beamforming grid is {z.size} x {x.size} pixels")
    return log_compress(das_bmode(rf, acq, x, z, opts["f_number"]), opts["dynamic_range_db"])
