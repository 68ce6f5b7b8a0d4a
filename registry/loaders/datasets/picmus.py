"""PICMUS, the Plane-wave Imaging Challenge in Medical UltraSound (IEEE IUS 2016): B-mode images beamformed from RF.

Layout (the challenge archive's own ``read_me.txt``, and code that opened the files: CUBDL's ``PICMUSData`` and other
projects' readers):

- ``archive_to_download/database/{simulation,experiments}/{contrast_speckle,resolution_distorsion}/`` holds, per
  acquisition, ``<phantom>_<simu|expe>_dataset_rf.hdf5`` and ``..._dataset_iq.hdf5`` (the same channel data as RF and
  as IQ), ``..._scan.hdf5`` ("the grid where to beamform") and ``..._phantom.hdf5`` (what the metrics need);
  ``reconstructed_image/`` and ``evaluation/`` hold the organisers' outputs, ``code/`` their MATLAB toolbox.
- A dataset file is USTB HDF5: group ``US/US_DATASET0000`` with ``data/real`` (and ``data/imag``) of shape
  (angles, channels, samples) as h5py reads it, ``angles`` [rad], ``sampling_frequency``, ``sound_speed``,
  ``initial_time``, ``probe_geometry`` (one column per element as h5py reads it; x, y, z first) and
  ``modulation_frequency`` (0 in the RF files). A scan file holds ``US/US_DATASET0000/x_axis`` and ``z_axis`` [m].

One sample per RF file: the release has no image, so the converter beamforms one as CUBDL's DAS_PW does. Each
element's RF is made analytic (Hilbert transform along the samples), every pixel (x, z) takes from transmit angle
a and element e the sample at ``((x sin a + z cos a) + |p - e|) / c * fs + initial_time * fs`` (linear
interpolation), with CUBDL's plane-wave transmit apodization (the pixel's projection along the angle falls within
1.2 times the aperture) and receive aperture (|x - x_e| < z / f_number, at least 1 mm); all angles and elements are
summed (coherent compounding), and the envelope is log-compressed to ``dynamic_range_db`` below the image maximum.
The grid is the acquisition's scan file when it is there, else x over the aperture and z from ``z_min_mm`` to
``z_max_mm`` at ``pixel_mm``. The IQ files hold the same acquisitions and are not beamformed a second time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from ...errors import UsregError
from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import BadData
from ._beamform import beamformed_bmode
from ._hdf5 import open_hdf5

GROUP = "US/US_DATASET0000"
DATASET_NAME = re.compile(r"^(?P<phantom>.+)_(?P<acq>simu|expe)_dataset_(?P<kind>rf|iq)\.hdf5$", re.IGNORECASE)
OTHER_NAME = re.compile(r"^(?P<phantom>.+)_(?P<acq>simu|expe)_(?P<kind>scan|phantom)\.hdf5$", re.IGNORECASE)
IMAGE_NAME = re.compile(r"_img_from_(rf|iq)\.hdf5$", re.IGNORECASE)
ACQUISITIONS = {"simu": "simulation", "expe": "experiments"}
MAX_AXIS = 16_384  # pixels along one axis of the grid a scan file may give
MAX_RF_VALUES = 400_000_000  # samples of one file's channel data (PICMUS: 75 x 128 x about 3,300)
MAX_FIELD_VALUES = 1_000_000  # values of any other field read (angles, probe geometry, times, scalars)


class PicmusOptions(CommonOptions):
    dynamic_range_db: float = Field(60.0, gt=0, le=120, description="Log-compression range of the B-mode image, dB.")
    f_number: float = Field(1.0, gt=0, le=10, description="Receive f-number: elements with |x - x_e| < z / f.")
    pixel_mm: float = Field(0.1, gt=0.01, le=2, description="Pixel size of the grid used when no scan file is there.")
    z_min_mm: float = Field(5.0, ge=0, description="Shallowest depth of the grid used when no scan file is there.")
    z_max_mm: float = Field(55.0, gt=0, description="Deepest depth of the grid used when no scan file is there.")


def field_values(group: Any, key: str, limit: int = MAX_FIELD_VALUES) -> np.ndarray:
    """The values of the HDF5 dataset ``key`` as float64, read only after checking its declared size (a chunked,
    unwritten dataset declares gigabytes in a few kilobytes); ValueError when it is absent, not a numeric dataset or
    holds more than ``limit`` values."""
    if key not in group:
        raise ValueError(f"no {key}")
    node = group[key]
    if not hasattr(node, "shape") or not hasattr(node, "dtype"):
        raise ValueError(f"{key} is not an array")
    size = int(np.prod(node.shape, dtype=np.float64))
    if size > limit:
        raise ValueError(f"{key} holds {size:,} values, over {limit:,}")
    try:
        return np.asarray(node, dtype=np.float64)
    except TypeError as exc:  # strings, references: no conversion to numbers
        raise ValueError(f"{key} does not hold numbers ({exc})") from None


def _scalar(group: Any, key: str) -> float:
    arr = field_values(group, key).reshape(-1)
    if arr.size == 0:
        raise ValueError(f"{key} is empty")
    return float(arr[0])


def read_acquisition(group: Any) -> dict[str, Any]:
    """The fields of a USTB dataset group that beamforming needs, checked for shape; ValueError when they do not fit."""
    for key in ("data/real", "angles", "sampling_frequency", "sound_speed", "initial_time", "probe_geometry"):
        if key not in group:
            raise ValueError(f"no {GROUP}/{key}")
    real = group["data/real"]
    shape = tuple(getattr(real, "shape", ()))
    if len(shape) != 3 or not np.issubdtype(real.dtype, np.number):
        kind = getattr(real, "dtype", "a group")
        raise ValueError(f"data/real is {kind} of shape {shape}, expected numbers (angles, channels, samples)")
    n_angles, n_channels, n_samples = shape
    if n_angles * n_channels * n_samples > MAX_RF_VALUES:
        raise ValueError(f"data/real holds {n_angles} x {n_channels} x {n_samples} values, over {MAX_RF_VALUES:,}")
    angles = field_values(group, "angles").reshape(-1)
    if angles.size != n_angles:
        raise ValueError(f"{angles.size} angles for data of {n_angles} transmits")
    geometry = field_values(group, "probe_geometry")
    if geometry.ndim != 2 or n_channels not in geometry.shape:
        raise ValueError(f"probe_geometry has shape {geometry.shape}, not one column per channel ({n_channels})")
    elements = geometry.T if geometry.shape[1] == n_channels else geometry
    if elements.shape[1] < 3:
        raise ValueError(f"probe_geometry gives {elements.shape[1]} coordinates per element, expected x, y, z")
    t0 = field_values(group, "initial_time").reshape(-1)
    if t0.size not in (1, n_angles):
        raise ValueError(f"initial_time has {t0.size} values for {n_angles} transmits")
    fs, c = _scalar(group, "sampling_frequency"), _scalar(group, "sound_speed")
    if fs <= 0 or c <= 0:
        raise ValueError(f"sampling_frequency {fs} and sound_speed {c} must be positive")
    return {
        "shape": shape,
        "angles": angles,
        "elements": elements[:, :3],
        "initial_time": np.broadcast_to(t0, (n_angles,)).astype(np.float64),
        "fs": fs,
        "c": c,
        "n_samples": n_samples,
    }


def read_grid(scan: str | None, acq: dict[str, Any], opts: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """x and z axes [m] of the image: the scan file's, else the aperture's width from z_min_mm to z_max_mm."""
    if scan is not None:
        with open_hdf5(scan) as f:
            axes = f[f"{GROUP}/x_axis"], f[f"{GROUP}/z_axis"]
            sizes = [getattr(axis, "size", 0) for axis in axes]
            if any(size > MAX_AXIS for size in sizes):
                raise ValueError(f"the scan's axes hold {sizes[0]} x {sizes[1]} values, over {MAX_AXIS} each")
            x, z = (field_values(f[GROUP], key, MAX_AXIS).reshape(-1) for key in ("x_axis", "z_axis"))
        return x, z
    step = opts["pixel_mm"] * 1e-3
    ex = acq["elements"][:, 0]
    x = np.arange(ex.min(), ex.max() + step / 2, step)
    recorded = (acq["n_samples"] / acq["fs"] - float(acq["initial_time"].max())) * acq["c"] / 2
    z_max = min(opts["z_max_mm"] * 1e-3, recorded)
    z = np.arange(opts["z_min_mm"] * 1e-3, z_max + step / 2, step)
    return x, z


def picmus_bmode(path: str, scan: str | None, opts: dict[str, float]) -> np.ndarray:
    """The 8-bit B-mode image (depth x lateral) beamformed from one PICMUS RF dataset file."""
    try:
        import h5py  # noqa: F401  (only checks that it is installed)
    except ImportError:  # pragma: no cover - h5py is in the data extra
        raise BadData("unreadable", "PICMUS HDF5 input needs h5py: pip install 'usreg[data]'") from None
    try:
        with open_hdf5(path) as f:
            acq = read_acquisition(f[GROUP])
            rf = np.asarray(f[GROUP]["data/real"], dtype=np.float32)
        x, z = read_grid(scan, acq, opts)
    except (OSError, KeyError, ValueError) as exc:
        raise BadData("unreadable", f"cannot read the channel data or its grid: {exc}") from None
    return beamformed_bmode(rf, acq, x, z, opts)


def _describe(ctx: ConvertContext, path: Path) -> dict[str, Any] | None:
    """The acquisition's fields (checked) for extra, or None after reporting why the file cannot be beamformed."""

    try:
        with open_hdf5(path) as f:
            if GROUP not in f:
                raise ValueError(f"no group {GROUP}")
            acq = read_acquisition(f[GROUP])
    except (OSError, KeyError, ValueError) as exc:
        ctx.problem("annotation_unreadable", path, f"not a PICMUS/USTB channel-data file ({exc}); not converted")
        return None
    return acq


@register
class Picmus(Converter):
    name = "picmus"
    summary = "<phantom>_<simu|expe>_dataset_rf.hdf5 (USTB plane-wave channel data) beamformed (DAS) to B-mode"
    Options = PicmusOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(PicmusOptions)
        try:
            import h5py  # noqa: F401
        except ImportError:  # pragma: no cover - h5py is in the data extra
            raise UsregError("picmus: reading HDF5 needs h5py", hint="pip install 'usreg[data]'") from None
        files = [f for f in ctx.files() if f.suffix.lower() == ".hdf5"]
        datasets = {f: m for f in files if (m := DATASET_NAME.match(f.name))}
        if not any(m.group("kind").lower() == "rf" for m in datasets.values()):
            raise UsregError(
                f"picmus: no <phantom>_<simu|expe>_dataset_rf.hdf5 under {ctx.source_dir}",
                hint="the challenge archive holds them in database/<simulation|experiments>/<phantom>/",
            )
        ctx.split_note = "No official split: the acquisitions are benchmark inputs, split with the seed."
        rf_stems = {(f.parent, _stem(m)) for f, m in datasets.items() if m.group("kind").lower() == "rf"}
        settings = opts.model_dump(include={"dynamic_range_db", "f_number", "pixel_mm", "z_min_mm", "z_max_mm"})
        for path in files:
            if path in datasets:
                continue
            other = OTHER_NAME.match(path.name)
            if other:
                if other.group("kind").lower() == "phantom":
                    ctx.ignore_file(path, "the phantom description the challenge's metrics use; not an image")
            elif IMAGE_NAME.search(path.name):
                ctx.ignore_file(path, "an image reconstructed by the organisers, not channel data")
            else:
                ctx.problem("unexpected_file", path, "an HDF5 file of no known PICMUS kind; not converted")
        for path, m in sorted(datasets.items()):
            stem = _stem(m)
            if m.group("kind").lower() == "iq":
                if (path.parent, stem) in rf_stems:
                    ctx.ignore_file(path, f"the IQ copy of {stem}_dataset_rf.hdf5, which is the one beamformed")
                else:
                    ctx.problem("not_converted", path, "IQ data without its RF file; only RF files are beamformed")
                continue
            acq = _describe(ctx, path)
            if acq is None:
                continue
            scan = path.with_name(f"{stem}_scan.hdf5")
            scan_file = scan if scan.is_file() and _has_grid(ctx, scan) else None
            sid = stem.lower()
            yield Item(
                sample_id=sid,
                image=Decode(
                    picmus_bmode,
                    (str(path), str(scan_file) if scan_file else None, settings),
                    source=ctx.rel(path),
                ),
                source_file=ctx.rel(path),
                colour="grey",
                extra={
                    "phantom": m.group("phantom"),
                    "acquisition": ACQUISITIONS[m.group("acq").lower()],
                    "transmits": int(acq["shape"][0]),
                    "channels": int(acq["shape"][1]),
                    "samples": int(acq["shape"][2]),
                    "sampling_frequency": acq["fs"],
                    "sound_speed": acq["c"],
                    "grid": ctx.rel(scan_file) if scan_file else "aperture width x [z_min_mm, z_max_mm]",
                    "beamforming": "DAS, all transmits compounded, envelope, "
                    f"{opts.dynamic_range_db:g} dB, receive f-number {opts.f_number:g}",
                },
                annotation_file=ctx.rel(scan_file) if scan_file else None,
            )


def _has_grid(ctx: ConvertContext, scan: Path) -> bool:
    """Whether a scan file holds the x_axis and z_axis to beamform on; if not, say the default grid is used."""

    try:
        with open_hdf5(scan) as f:
            ok = f"{GROUP}/x_axis" in f and f"{GROUP}/z_axis" in f
    except OSError as exc:
        ok, why = False, f"not readable ({exc})"
    else:
        why = f"no {GROUP}/x_axis and z_axis"
    if not ok:
        ctx.problem("annotation_unreadable", scan, f"{why}; the default grid is used", severity="warning")
    return ok


def _stem(m: re.Match[str]) -> str:
    return f"{m.group('phantom')}_{m.group('acq')}"
