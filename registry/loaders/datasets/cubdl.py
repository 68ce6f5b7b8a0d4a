"""CUBDL, the Challenge on Ultrasound Beamforming with Deep Learning datasets (IEEE DataPort 10.21227/f0hn-8f92):
B-mode images beamformed from the plane-wave channel data.

Layout (the organisers' repository, ``datasets/README.txt`` and ``datasets/PWDataLoaders.py``):

- Folders ``1_CUBDL_Task1_Data``, ``2_Post_CUBDL_JHU_Breast_Data`` and ``3_Additional_CUBDL_Data`` (the latter
  split into ``Plane_Wave_Data`` and a folder of focused data) hold one ``.hdf5`` per sequence, named by its sequence
  number (``MYO001``, ``OSL010``, ``TSH002``), some in sub-folders (``1_CUBDL_Task1_Data/OSL010/``, ``TSH002/``,
  ``Plane_Wave_Data/TSH/``), with ``.txt`` citation lists beside them.
- Plane-wave sequences (``get_filelist("all")``): OSL 2-7 and 10, MYO 1-6, UFL 1-5, EUT 1-6, INS 1-26, JHU 24-34
  and TSH 2-501. Focused ones (OSL 8, 9, 11-14; JHU 1, 2, 19-23; ``FTDataLoaders``) and the diverging-wave files
  (``DWDataLoaders``: ``*_STAI_dynamic_range.hdf5``, ``JHU-Breast-P*-*.hdf5``) are left out.
- Each group stores its acquisition differently; the converter reads it as ``PWDataLoaders`` does:
  ``channel_data`` (transmits, elements, samples; TSH stores 128 elements first and is reshaped
  ``(128, transmits, -1)`` then transposed), the angles (``angles`` in radians, UFL's in degrees,
  ``transmit_direction[:, 0]`` for EUT, ``transmit_direction[0]`` for OSL, INS's taken as -16..16 degrees evenly),
  ``sampling_frequency`` (UFL: ``channel_data_sampling_frequency``), ``modulation_frequency``, the element positions
  (``element_positions`` transposed and centred for EUT, INS and OSL, a 1-D x list for JHU; MYO and TSH a 0.3 mm
  pitch L11-4v, UFL a 0.245 mm pitch LA533, centred), the time zero per transmit (MYO, TSH: x_max |sin a| / c;
  EUT: that plus 10 / fc; INS: that minus ``start_time[0]``; OSL: ``-start_time[0]``; UFL: ``-channel_data_t0``;
  JHU: ``-time_zero``) and the sound speed (the organisers' per-sequence values for MYO, UFL, EUT, INS and OSL,
  1540 m/s for TSH, ``sound_speed`` for JHU).

One sample per plane-wave sequence, beamformed as the organisers' ``DAS_PW`` does (see ``picmus``): each element's
RF made analytic, the sample at ``(x sin a + z cos a + |p - e|) / c + time_zero`` (times fs) taken from every
transmit and element, plane-wave transmit and f-number receive apodization, all transmits compounded, the envelope
log-compressed to ``dynamic_range_db``. The grid is the organisers' example's: x from the first to the last element,
z over the group's depth range (MYO 5-55 mm, UFL 10-50, EUT 10-80, INS 10-60 or 10-50 from INS013, OSL 10-65 or 5-50
for OSL010, TSH 10-45, JHU 0 to the end of the record), at c / fc / 2.5. UFL's data is beamformed as RF, where the
organisers first demodulate and decimate it (the same focusing, without their low-pass filter). No split is
published: a seeded split (TSH's 500 in vivo sequences carry no subject id).
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
from .picmus import field_values

NAME = re.compile(r"^(?P<group>MYO|UFL|EUT|INS|OSL|TSH|JHU)(?P<number>\d{3})(?:[^0-9].*)?\.hdf5$", re.IGNORECASE)
DIVERGING = re.compile(r"^(?:(?:experimental|FieldII)_STAI_dynamic_range|JHU-Breast-P\d+-\d+)\.hdf5$", re.IGNORECASE)
PLANE_WAVE = {
    "OSL": {2, 3, 4, 5, 6, 7, 10},
    "MYO": set(range(1, 7)),
    "UFL": set(range(1, 6)),
    "EUT": set(range(1, 7)),
    "INS": set(range(1, 27)),
    "JHU": set(range(24, 35)),
    "TSH": set(range(2, 502)),
}
FOCUSED = {"OSL": {8, 9, 11, 12, 13, 14}, "JHU": {1, 2, 19, 20, 21, 22, 23}}
# the organisers' sound speeds per sequence (PWDataLoaders), with the default of each group
SOUND_SPEED: dict[str, tuple[dict[int, float], float]] = {
    "MYO": ({1: 1580, 2: 1583, 3: 1578, 4: 1572, 5: 1562}, 1581),
    "UFL": ({1: 1526, 2: 1523, 4: 1523, 5: 1523}, 1525),
    "EUT": ({1: 1603, 2: 1618, 3: 1607, 4: 1614, 5: 1495}, 1479),
    "INS": (
        dict(
            zip(
                range(1, 27),
                (1521, 1517, 1506, 1501, 1506, 1509, 1490, 1504, 1473, 1502, 1511, 1535, 1453)
                + (1542, 1539, 1466, 1462, 1479, 1469, 1464, 1508, 1558, 1463, 1547, 1477, 1497),
                strict=True,
            )
        ),
        1540,
    ),
    "OSL": ({2: 1536, 3: 1543, 4: 1538, 5: 1539, 6: 1541, 7: 1540}, 1540),
    "TSH": ({}, 1540),
}
DEPTH_MM = {"MYO": (5, 55), "UFL": (10, 50), "EUT": (10, 80), "INS": (10, 60), "OSL": (10, 65), "TSH": (10, 45)}
PITCH = {"MYO": 0.3e-3, "TSH": 0.3e-3, "UFL": 0.245e-3}
TSH_ELEMENTS = 128
MAX_CHANNEL_VALUES = 100_000_000  # float32 channel values read into memory: 400 MB


class CubdlOptions(CommonOptions):
    dynamic_range_db: float = Field(60.0, gt=0, le=120, description="Log-compression range of the B-mode image, dB.")
    f_number: float = Field(1.0, gt=0, le=10, description="Receive f-number: elements with |x - x_e| < z / f.")


def _scalar(f: Any, key: str) -> float:
    arr = _vector(f, key).reshape(-1)
    if arr.size == 0:
        raise ValueError(f"{key} is empty")
    return float(arr[0])


def _vector(f: Any, key: str) -> np.ndarray:
    """A field's values, read after checking that it is a numeric dataset of at most a million values."""
    return field_values(f, key, 1_000_000)


def _per_transmit(values: np.ndarray, n: int, what: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size == 1:
        return np.full(n, float(values[0]))
    if values.size != n:
        raise ValueError(f"{what} has {values.size} values for {n} transmits")
    return values


def _pitch_elements(n: int, pitch: float) -> np.ndarray:
    x = np.arange(n) * pitch
    x -= x.mean()
    return np.stack([x, 0 * x, 0 * x], axis=1)


def _positions(f: Any, n: int) -> np.ndarray:
    """``element_positions`` transposed (one row per element, x y z), x centred."""
    pos = _vector(f, "element_positions").T
    if pos.ndim != 2 or pos.shape[0] != n or pos.shape[1] < 3:
        raise ValueError(f"element_positions has shape {pos.T.shape}, not 3 x {n} elements")
    pos = pos[:, :3].copy()
    pos[:, 0] -= pos[:, 0].mean()
    return pos


def channel_shape(f: Any, group: str) -> tuple[int, int, int]:
    """(transmits, elements, samples) of a sequence's channel data, from its declared shape only."""
    if "channel_data" not in f:
        raise ValueError("no channel_data")
    data = f["channel_data"]
    if not hasattr(data, "shape") or not np.issubdtype(data.dtype, np.number):
        raise ValueError(f"channel_data is {getattr(data, 'dtype', 'a group')}, not an array of numbers")
    shape = tuple(int(s) for s in data.shape)
    if group == "TSH":
        n_angles = _vector(f, "angles").size
        total = int(np.prod(shape))
        if n_angles == 0 or total % (TSH_ELEMENTS * n_angles):
            raise ValueError(f"channel_data {shape} is not {TSH_ELEMENTS} elements x {n_angles} transmits x samples")
        return n_angles, TSH_ELEMENTS, total // (TSH_ELEMENTS * n_angles)
    if len(shape) != 3:
        raise ValueError(f"channel_data has shape {shape}, expected (transmits, elements, samples)")
    return shape[0], shape[1], shape[2]


def read_sequence(f: Any, group: str, number: int) -> dict[str, Any]:
    """What beamforming needs, read and checked as the organisers' PWDataLoaders reads the group; ValueError when
    the file does not fit."""
    n_angles, n_elements, n_samples = channel_shape(f, group)
    if n_angles * n_elements * n_samples > MAX_CHANNEL_VALUES:
        raise ValueError(f"{n_angles} x {n_elements} x {n_samples} channel values is more than this converter reads")
    fc = _scalar(f, "modulation_frequency")
    fs = _scalar(f, "channel_data_sampling_frequency" if group == "UFL" else "sampling_frequency")
    speeds, default = SOUND_SPEED.get(group, ({}, 0.0))
    c = _scalar(f, "sound_speed") if group == "JHU" else float(speeds.get(number, default))
    if group in ("MYO", "TSH", "JHU"):
        angles = _vector(f, "angles").reshape(-1)
    elif group == "UFL":
        angles = np.deg2rad(_vector(f, "angles").reshape(-1))
    elif group == "EUT":
        angles = _vector(f, "transmit_direction")[:, 0]
    elif group == "OSL":
        angles = _vector(f, "transmit_direction")[0]
    else:  # INS
        angles = np.deg2rad(np.linspace(-16, 16, n_angles))
    if angles.size != n_angles:
        raise ValueError(f"{angles.size} angles for channel data of {n_angles} transmits")
    if group in PITCH:
        elements = _pitch_elements(n_elements, PITCH[group])
    elif group == "JHU":
        x = _vector(f, "element_positions").reshape(-1)
        if x.size != n_elements:
            raise ValueError(f"{x.size} element positions for {n_elements} channels")
        elements = np.stack([x, 0 * x, 0 * x], axis=1)
    else:
        elements = _positions(f, n_elements)
    if not (fs > 1e5 and fc > 1e5 and 1000 <= c <= 2000):
        raise ValueError(f"sampling {fs:g} Hz, centre {fc:g} Hz or sound speed {c:g} m/s out of range")
    edge = float(elements[-1, 0]) * np.abs(np.sin(angles)) / c
    if group in ("MYO", "TSH"):
        time_zero = edge
    elif group == "EUT":
        time_zero = edge + 10 / fc
    elif group == "INS":
        time_zero = -_per_transmit(_vector(f, "start_time")[0], n_angles, "start_time[0]") + edge
    elif group == "OSL":
        time_zero = -_per_transmit(_vector(f, "start_time")[0], n_angles, "start_time[0]")
    elif group == "UFL":
        time_zero = -_per_transmit(_vector(f, "channel_data_t0"), n_angles, "channel_data_t0")
    else:  # JHU
        time_zero = -_per_transmit(_vector(f, "time_zero"), n_angles, "time_zero")
    if group == "JHU":
        z_range = (0.0, n_samples * c / fs / 2)
    else:
        lo, hi = DEPTH_MM[group]
        if group == "INS" and number >= 13:
            hi = 50
        if group == "OSL" and number == 10:
            lo, hi = 5, 50
        z_range = (lo * 1e-3, hi * 1e-3)
    return {
        "shape": (n_angles, n_elements, n_samples),
        "angles": angles,
        "elements": elements,
        "initial_time": time_zero,  # _beamform.das_bmode's name: the sample is taken at (d / c + this) * fs
        "fs": fs,
        "fc": fc,
        "c": c,
        "n_samples": n_samples,
        "z_range": z_range,
    }


def read_channel_data(f: Any, group: str, shape: tuple[int, int, int]) -> np.ndarray:
    data = np.asarray(f["channel_data"], dtype=np.float32)
    if group == "TSH":
        n_angles, n_elements, _ = shape
        data = np.transpose(data.reshape(n_elements, n_angles, -1), (1, 0, 2))
    return data


def grid(acq: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The organisers' example grid: x from the first to the last element, z over the group's depths, at
    c / fc / 2.5."""
    step = acq["c"] / acq["fc"] / 2.5
    ex = acq["elements"][:, 0]
    x = np.arange(float(ex[0]), float(ex[-1]) + 1e-10, step)
    z = np.arange(acq["z_range"][0], acq["z_range"][1] + 1e-10, step)
    return x, z


def cubdl_bmode(path: str, group: str, number: int, opts: dict[str, float]) -> np.ndarray:
    """The 8-bit B-mode image (depth x lateral) beamformed from one CUBDL plane-wave sequence."""
    try:
        import h5py  # noqa: F401  (only checks that it is installed)
    except ImportError:  # pragma: no cover - h5py is in the data extra
        raise BadData("unreadable", "CUBDL HDF5 input needs h5py: pip install 'usreg[data]'") from None
    try:
        with open_hdf5(path) as f:
            acq = read_sequence(f, group, number)
            rf = read_channel_data(f, group, acq["shape"])
    except (OSError, KeyError, ValueError, IndexError) as exc:
        raise BadData("unreadable", f"cannot read the channel data: {exc}") from None
    x, z = grid(acq)
    return beamformed_bmode(rf, acq, x, z, opts)


@register
class Cubdl(Converter):
    name = "cubdl"
    summary = "<MYO|UFL|EUT|INS|OSL|TSH|JHU><NNN>.hdf5 plane-wave channel data beamformed (DAS) to B-mode"
    Options = CubdlOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(CubdlOptions)
        try:
            import h5py  # noqa: F401  (only checks that it is installed)
        except ImportError:  # pragma: no cover - h5py is in the data extra
            raise UsregError("cubdl: reading HDF5 needs h5py", hint="pip install 'usreg[data]'") from None
        files = [f for f in ctx.files() if f.suffix.lower() == ".hdf5"]
        if not files:
            raise UsregError(
                f"cubdl: no .hdf5 file under {ctx.source_dir}",
                hint="the DataPort release holds 1_CUBDL_Task1_Data/, 2_Post_CUBDL_JHU_Breast_Data/ and "
                "3_Additional_CUBDL_Data/",
            )
        ctx.split_note = "No official split: the sequences are benchmark inputs, split with the seed."
        settings = opts.model_dump(include={"dynamic_range_db", "f_number"})
        seen: dict[str, Path] = {}
        for path in files:
            m = NAME.match(path.name)
            if not m:
                if DIVERGING.match(path.name):
                    ctx.ignore_file(path, "diverging-wave data (the organisers' DWDataLoaders); not plane-wave")
                else:
                    ctx.problem("unexpected_file", path, "an HDF5 file of no known CUBDL sequence; not converted")
                continue
            group, number = m.group("group").upper(), int(m.group("number"))
            sid = f"{group}{number:03d}"
            if number in FOCUSED.get(group, set()):
                ctx.ignore_file(path, "focused transmissions (the organisers' FTDataLoaders); not plane-wave")
                continue
            if number not in PLANE_WAVE[group]:
                ctx.problem(
                    "unexpected_file", path, f"{sid} is not a plane-wave sequence of the release; not converted"
                )
                continue
            if sid in seen:
                ctx.problem("duplicate", path, f"{sid} is also {ctx.rel(seen[sid])}; not converted twice")
                continue
            try:
                with open_hdf5(path) as f:
                    acq = read_sequence(f, group, number)
            except (OSError, KeyError, ValueError, IndexError) as exc:
                ctx.problem(
                    "annotation_unreadable",
                    path,
                    f"not {group} channel data as the organisers read it ({exc}); not converted",
                )
                continue
            seen[sid] = path
            folder = ctx.rel(path).split("/")
            yield Item(
                sample_id=sid,
                image=Decode(cubdl_bmode, (str(path), group, number, settings), source=ctx.rel(path)),
                source_file=ctx.rel(path),
                colour="grey",
                extra={
                    "group": group,
                    "sequence": number,
                    "folder": next((p for p in folder if re.match(r"^[123]_", p)), None),
                    "transmits": int(acq["shape"][0]),
                    "channels": int(acq["shape"][1]),
                    "samples": int(acq["shape"][2]),
                    "sampling_frequency": acq["fs"],
                    "center_frequency": acq["fc"],
                    "sound_speed": acq["c"],
                    "depth_mm": [round(v * 1e3, 3) for v in acq["z_range"]],
                    "beamforming": "DAS, all transmits compounded, envelope, "
                    f"{opts.dynamic_range_db:g} dB, receive f-number {opts.f_number:g}",
                },
            )
