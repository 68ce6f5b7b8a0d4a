"""OpenPros (ashynf/OpenPros on Hugging Face): 2D speed-of-sound (SOS) maps of limited-view prostate USCT simulations.

Layout (the authors' Croissant description ``croissant.json`` and dataset site, and their ``dataset.py`` and split
lists, all pinned in the entry's evidence):

- Paired NumPy files per cohort in ``speed_of_sound/<patient>/`` (``3_01`` to ``3_04``), named
  ``3_0<i>_P_<date>_<category>.npy``: ``..._data.npy`` the simulated full-waveform data, shape
  (1140, 40, 1000, 161), and ``..._sos.npy`` the SOS maps, shape (1140, 1, 401, 161) in m/s.
- The authors' loader reads sample ``i`` of a cohort as ``np.load(file, mmap_mode='r')[i]`` from each file of the
  pair; their split lists (``relevant_files/prostate_{train,val,test}.txt``) name cohorts ``3_0<i>_P_<date>``:
  200 training, 24 validation and 24 test cohorts (62 per patient-level anatomy).

One sample per SOS map: the image is the map (rows = axial, 401; columns = lateral, 161) mapped linearly from
``sos_min`` to ``sos_max`` m/s (the authors' normalisation range, 1300 to 3600) to 0-255; values outside are
clipped and reported. The waveform files are the reconstruction input and are not converted; their shape is
checked against the map file. Subject = the cohort (patient-level anatomy and prostate index, as the OpenH-RF copy
of the set composes it), so a cohort stays in one split; the split is the authors' list, and a cohort in none of
them gets a seeded split (reported).

Reads are bounded: the ``.npy`` headers are read through memory maps (object arrays refused), a map file's shape
is checked before use, and each decode reads one map.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, model_validator

from ...errors import UsregError
from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import BadData, Decoded

NAME = re.compile(r"^(?P<patient>\d+_\d+)_P_(?P<date>.+?)_(?P<category>data|sos)\.npy$", re.IGNORECASE)
MAX_MAPS = 100_000  # maps in one file (the release: 1,140)
MAX_MAP_PIXELS = 4_000_000  # pixels of one map (the release: 401 x 161)

# The authors' split lists, relevant_files/prostate_{train,val,test}.txt at commit 27a622a: patient -> dates
# (separated by white space).
_TRAIN: dict[str, str] = {
    "3_01": """
        2021-03-16 2021-03-30 2021-04-08 2021-04-19 2021-04-20 2021-05-06 2021-05-17 2021-05-18
        2021-05-24 2021-06-15 2021-06-25 2021-07-22 2021-07-26 2021-07-27 2021-07-29 2021-07-30
        2021-08-05 2021-08-19 2021-08-31 2021-09-02 2021-09-07 2021-09-14 2021-09-16 2021-09-20
        2021-09-21 2021-09-28 2021-09-30 2021-10-07 2021-10-26 2021-11-02 2021-11-16 2021-11-30
        2021-12-06 2022-01-13 2022-01-24 2022-02-15 2022-02-23 2022-03-01 2022-03-28 2022-03-29
        2022-04-11 2022-04-18 2022-04-19 2022-05-05 2022-05-23 2022-05-24 2022-05-26 2022-06-02
        2022-06-06 2022-06-09
    """,
    "3_02": """
        2021-03-16 2021-03-29 2021-04-08 2021-04-19 2021-04-20 2021-04-22 2021-04-27 2021-05-04
        2021-05-06 2021-05-17 2021-06-22 2021-06-25 2021-07-13 2021-07-27 2021-07-29 2021-07-30
        2021-08-19 2021-08-31 2021-09-02 2021-09-07 2021-09-14 2021-09-20 2021-09-28 2021-09-30
        2021-10-26 2021-11-02 2021-11-16 2021-11-30 2021-12-17 2022-01-13 2022-01-24 2022-02-07
        2022-02-15 2022-02-23 2022-03-01 2022-03-14 2022-03-28 2022-03-29 2022-04-11 2022-04-18
        2022-04-19 2022-05-03 2022-05-05 2022-05-23 2022-05-24 2022-05-26 2022-05-31 2022-06-02
        2022-06-06 2022-06-09
    """,
    "3_03": """
        2021-03-16 2021-03-29 2021-03-30 2021-04-19 2021-04-20 2021-04-22 2021-04-27 2021-05-17
        2021-05-18 2021-05-24 2021-06-15 2021-06-18 2021-06-22 2021-07-13 2021-07-22 2021-07-27
        2021-07-30 2021-08-05 2021-08-31 2021-09-02 2021-09-14 2021-09-16 2021-09-20 2021-09-21
        2021-09-28 2021-09-30 2021-10-07 2021-10-26 2021-11-02 2021-11-16 2021-12-06 2021-12-17
        2022-01-13 2022-01-24 2022-02-07 2022-02-15 2022-02-23 2022-03-01 2022-03-14 2022-03-28
        2022-03-29 2022-04-11 2022-04-18 2022-04-19 2022-05-03 2022-05-23 2022-05-24 2022-05-26
        2022-06-06 2022-06-09
    """,
    "3_04": """
        2021-03-16 2021-03-30 2021-04-19 2021-04-22 2021-04-27 2021-05-04 2021-05-06 2021-05-17
        2021-05-24 2021-06-15 2021-06-18 2021-06-22 2021-06-25 2021-07-13 2021-07-22 2021-07-26
        2021-07-27 2021-07-30 2021-08-05 2021-08-19 2021-08-31 2021-09-02 2021-09-07 2021-09-14
        2021-09-16 2021-09-20 2021-09-28 2021-09-30 2021-10-07 2021-11-16 2021-11-30 2021-12-06
        2021-12-17 2022-01-13 2022-01-24 2022-02-07 2022-02-15 2022-02-23 2022-03-01 2022-03-28
        2022-03-29 2022-04-11 2022-04-18 2022-05-03 2022-05-05 2022-05-23 2022-05-24 2022-05-26
        2022-05-31 2022-06-02
    """,
}
_VAL: dict[str, str] = {
    "3_01": """
        2021-04-22 2021-05-04 2021-06-18 2022-02-07 2022-05-03 2022-05-31
    """,
    "3_02": """
        2021-05-18 2021-06-18 2021-09-16 2021-09-21 2021-10-07 2021-12-06
    """,
    "3_03": """
        2021-04-08 2021-05-04 2021-05-06 2021-09-07 2021-11-30 2022-05-31
    """,
    "3_04": """
        2021-04-08 2021-04-20 2021-09-21 2021-10-26 2022-03-14 2022-04-19
    """,
}
_TEST: dict[str, str] = {
    "3_01": """
        2021-03-29 2021-04-27 2021-06-22 2021-07-13 2021-12-17 2022-03-14
    """,
    "3_02": """
        2021-03-30 2021-05-24 2021-06-15 2021-07-22 2021-07-26 2021-08-05
    """,
    "3_03": """
        2021-06-25 2021-07-26 2021-07-29 2021-08-19 2022-05-05 2022-06-02
    """,
    "3_04": """
        2021-03-29 2021-05-18 2021-07-29 2021-11-02 2022-06-06 2022-06-09
    """,
}

SPLITS: dict[str, str] = {
    f"{patient}_P_{date}": split
    for split, table in (("train", _TRAIN), ("val", _VAL), ("test", _TEST))
    for patient, dates in table.items()
    for date in dates.split()
}


class OpenprosOptions(CommonOptions):
    sos_min: float = Field(1300.0, gt=0, description="Speed of sound (m/s) mapped to grey level 0.")
    sos_max: float = Field(3600.0, gt=0, description="Speed of sound (m/s) mapped to grey level 255.")

    @model_validator(mode="after")
    def _ordered(self) -> OpenprosOptions:
        if self.sos_max <= self.sos_min:
            raise ValueError("sos_max must be above sos_min")
        return self


def _header(path: Path) -> tuple[int, ...]:
    """The shape of a .npy file, read through a memory map (no data read; object arrays refused)."""
    arr = np.load(path, mmap_mode="r", allow_pickle=False)
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"holds {arr.dtype} values, not numbers")
    return tuple(int(n) for n in arr.shape)


def openpros_sos(path: str, index: int, sos_min: float, sos_max: float) -> Decoded:
    """SOS map ``index`` of a ``_sos.npy`` file as an 8-bit image, ``sos_min``..``sos_max`` m/s -> 0..255."""
    try:
        sos = np.asarray(np.load(path, mmap_mode="r", allow_pickle=False)[index, 0], dtype=np.float64)
    except (OSError, ValueError, IndexError, EOFError) as exc:  # EOFError: an empty file
        raise BadData("unreadable", f"cannot read SOS map {index}: {exc}") from None
    if sos.ndim != 2 or not np.isfinite(sos).all():
        raise BadData("unreadable", f"SOS map {index} is not a finite 2D map (shape {sos.shape})")
    notes: list[tuple[str, str, str]] = []
    lo, hi = float(sos.min()), float(sos.max())
    if lo < sos_min or hi > sos_max:
        notes.append(
            (
                "value_range",
                "warning",
                f"SOS map {index} spans {lo:g} to {hi:g} m/s, outside {sos_min:g} to {sos_max:g}; clipped",
            )
        )
    scaled = (np.clip(sos, sos_min, sos_max) - sos_min) * (255.0 / (sos_max - sos_min))
    return Decoded(np.rint(scaled).astype(np.uint8), notes)


@register
class Openpros(Converter):
    name = "openpros"
    summary = "speed_of_sound/<patient>/3_0<i>_P_<date>_{sos,data}.npy pairs; one sample per SOS map"
    Options = OpenprosOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(OpenprosOptions)
        pairs: dict[tuple[Path, str], dict[str, Path]] = {}
        for f in ctx.files():
            m = NAME.match(f.name)
            if m:
                cohort = f"{m.group('patient')}_P_{m.group('date')}"
                pairs.setdefault((f.parent, cohort), {})[m.group("category").lower()] = f
            elif f.suffix.lower() == ".npy":
                ctx.problem("unexpected_file", f, "a .npy file not named 3_0<i>_P_<date>_{data,sos}.npy; not converted")
        if not pairs:
            raise UsregError(
                f"{self.name}: no 3_0<i>_P_<date>_sos.npy under {ctx.source_dir}",
                hint="the Hugging Face dataset holds them in speed_of_sound/<patient>/",
            )
        ctx.split_note = "The authors' split lists (relevant_files/prostate_{train,val,test}.txt): 200/24/24 cohorts."
        for (_, cohort), files in sorted(pairs.items(), key=lambda kv: (kv[0][1], kv[0][0].as_posix())):
            yield from self._cohort(ctx, cohort, files, opts)

    def _cohort(
        self, ctx: ConvertContext, cohort: str, files: dict[str, Path], opts: OpenprosOptions
    ) -> Iterator[Item]:
        sos_path, data_path = files.get("sos"), files.get("data")
        if sos_path is None:
            assert data_path is not None
            ctx.problem("missing_annotation", data_path, f"no {cohort}_sos.npy beside it: nothing to convert")
            return
        try:
            shape = _header(sos_path)
        except (OSError, ValueError, EOFError) as exc:  # EOFError: an empty file
            ctx.problem("unreadable", sos_path, f"not a readable .npy array ({exc}); not converted")
            return
        if len(shape) != 4 or shape[1] != 1 or 0 in shape:
            ctx.problem("not_converted", sos_path, f"shape {shape}, not (maps, 1, axial, lateral); not converted")
            return
        if shape[0] > MAX_MAPS or shape[2] * shape[3] > MAX_MAP_PIXELS:
            ctx.problem("too_large", sos_path, f"shape {shape}, over the limits; not converted")
            return
        waveform: str | None = None
        if data_path is None:
            ctx.problem(
                "missing_annotation",
                sos_path,
                f"no {cohort}_data.npy (the paired waveforms) beside it; the maps are converted",
                severity="warning",
            )
        else:
            try:
                data_shape = _header(data_path)
            except (OSError, ValueError, EOFError) as exc:
                ctx.problem("unreadable", data_path, f"the paired waveforms are not a readable .npy array ({exc})")
            else:
                if not data_shape or data_shape[0] != shape[0]:
                    ctx.problem(
                        "size_mismatch",
                        data_path,
                        f"shape {data_shape} does not pair with the {shape[0]} maps of {sos_path.name}",
                    )
                else:
                    waveform = ctx.rel(data_path)
        split = SPLITS.get(cohort)
        if split is None:
            ctx.problem(
                "not_in_split_list",
                sos_path,
                f"{cohort} is in none of the authors' split lists; its maps get a seeded split",
                severity="warning",
            )
        rel = ctx.rel(sos_path)
        patient = cohort.split("_P_", 1)[0]
        for i in range(shape[0]):
            extra: dict[str, Any] = {
                "cohort": cohort,
                "patient": patient,
                "index": i,
                "sos_range": [opts.sos_min, opts.sos_max],
            }
            if waveform:
                extra["waveform"] = waveform
            yield Item(
                sample_id=f"{cohort}_{i:04d}",
                image=Decode(openpros_sos, (str(sos_path), i, opts.sos_min, opts.sos_max), source=rel),
                source_file=rel,
                split=split,
                subject_id=cohort,
                frame=i,
                colour="grey",
                extra=extra,
            )
