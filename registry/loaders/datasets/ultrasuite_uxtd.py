"""UltraSuite UXTD (Ultrax Typically Developing children): frames of raw ultrasound tongue imaging.

Layout (UltraSuite's download page and the code that reads the real files: UltraSuite's ``ustools`` and Kaldi
recipes, TaL's ``tal-tools``):

- ``rsync ...::ultrasuite/core-uxtd`` gives ``core-uxtd/doc/`` and ``core-uxtd/core/<speaker>/`` (``01M``, ``02M``,
  ...). Each utterance is four files with one id: ``<id>.wav`` (audio), ``<id>.txt`` (prompt; line 2 the recording
  date and time), ``<id>.ult`` (raw ultrasound) and ``<id>.param`` (its parameters). The id ends in the prompt-type
  letter (``001A``; the Kaldi recipe keeps ids whose last letter is not D, E or F; A words, B non-words, C sentence,
  D articulatory, E non-speech, F other per the data description page).
- ``.param``: ``Name=value`` lines (``NumVectors`` scanlines, ``PixPerVector`` echoes per scanline, ``ZeroOffset``,
  ``BitsPerPixel`` 8, ``Angle``, ``Kind``, ``PixelsPerMm``, ``FramesPerSec``, ``TimeInSecsOfFirstFrame``, the
  offset of the first frame relative to the audio).
- ``.ult``: unsigned 8-bit samples and nothing else, frame after frame, each frame ``NumVectors`` scanlines of
  ``PixPerVector`` echoes (``ustools``: ``np.fromfile(f, dtype=np.uint8).reshape(-1, num_scanlines,
  size_scanline)``; ``tal-tools``: ``n_frames = int(ultrasound.size / frame_size)``).
- ``core-uxtd/doc/speakers``: one header line, then one row per speaker; the Kaldi recipe takes the speaker id from
  the second column and its subset (TRAIN, DEV, TEST) from the last.

One sample per picked frame: ``frames`` frames (default 3) evenly spaced over 10-90 % of each utterance, named
``<speaker>_<id>_f<frame>``. The image is the raw frame as stored, transposed so that rows are echoes (depth, the
probe at the top, as ``ustools``' transform maps echo 0 nearest the probe) and columns are scanlines in file order;
it is not scan-converted to the fan shape. Label: the prompt type. Subject: the speaker. Split: the official
per-speaker subset of ``doc/speakers`` when it is there (else a seeded split grouped by speaker). A partial last
frame, an utterance without ``.param`` or with one that does not describe 8-bit frames, a ``.param`` without
``.ult`` and a ``.ult`` outside ``core/<speaker>/`` are reported.

The helpers here are shared with the converters of the other UltraSuite datasets (``ultrasuite-uxssd``,
``tal-corpus``), which store utterances the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from ...errors import UsregError
from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import MAX_INFO_LINES, canonical_split
from ..decode import BadData
from ._volumes import MAX_SLICES, slice_indices

MAX_PARAM_BYTES = 64 * 1024
MAX_PROMPT_BYTES = 64 * 1024
MAX_TABLE_BYTES = 1024 * 1024
MAX_TABLE_LINES = 10_000
MAX_DIM = 4096  # scanlines or echoes per scanline
PROMPT_TYPES = {
    "A": "words",
    "B": "non-words",
    "C": "sentence",
    "D": "articulatory",
    "E": "non-speech",
    "F": "other",
}
UTTERANCE_ID = re.compile(r"^\d+(?P<type>[A-Za-z])$")


class UltOptions(CommonOptions):
    frames: int = Field(
        3, ge=1, le=MAX_SLICES, description="Frames taken from each utterance, evenly spaced over 10-90 % of it."
    )


# --- reading the files ---------------------------------------------------------------------------------------------


def read_param(path: Path) -> dict[str, float]:
    """The numeric ``Name=value`` lines of a ``.param`` file (the first MAX_INFO_LINES lines of at most
    MAX_PARAM_BYTES); ValueError if it is larger."""
    size = path.stat().st_size
    if size > MAX_PARAM_BYTES:
        raise ValueError(f"{size} bytes, more than a parameter file holds ({MAX_PARAM_BYTES})")
    params: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[:MAX_INFO_LINES]:
        name, sep, value = line.partition("=")
        if not sep:
            continue
        try:
            params[name.strip()] = float(value)
        except ValueError:
            continue
    return params


def frame_geometry(params: dict[str, float]) -> tuple[int, int]:
    """(scanlines, echoes per scanline) of a frame; ValueError when the parameters do not describe 8-bit frames."""
    dims = []
    for key in ("NumVectors", "PixPerVector"):
        value = params.get(key)
        if value is None:
            raise ValueError(f"no {key}")
        if not 1 <= value <= MAX_DIM or value != int(value):  # range first: int() of inf or nan fails
            raise ValueError(f"{key} is {value:g}, not a whole number from 1 to {MAX_DIM}")
        dims.append(int(value))
    bits = params.get("BitsPerPixel")
    if bits is not None and bits != 8:
        raise ValueError(f"BitsPerPixel is {bits:g}; the readers of these files read 8-bit samples")
    return dims[0], dims[1]


def read_prompt(path: Path) -> list[str]:
    """The first three lines of a prompt file (prompt, recording date and time, ...), read from its first
    MAX_PROMPT_BYTES bytes."""
    with path.open("rb") as f:
        raw = f.read(MAX_PROMPT_BYTES)
    return [line.strip() for line in raw.decode("utf-8", errors="ignore").splitlines()[:3]]


def ult_frame(path: str, index: int, scanlines: int, echoes: int) -> np.ndarray:
    """Frame ``index`` of a ``.ult`` file as an 8-bit image, echoes (depth) down and scanlines across; only that
    frame's bytes are read."""
    size = scanlines * echoes
    try:
        with open(path, "rb") as f:
            f.seek(index * size)
            data = f.read(size)
    except OSError as exc:
        raise BadData("unreadable", f"cannot read frame {index}: {exc}") from None
    if len(data) != size:
        raise BadData("unreadable", f"frame {index} has {len(data)} of its {size} bytes")
    return np.frombuffer(data, dtype=np.uint8).reshape(scanlines, echoes).T.copy()


@dataclass
class Utterance:
    ult: Path
    param: Path
    prompt: list[str]
    frames: int
    scanlines: int
    echoes: int
    params: dict[str, float]


def read_utterance(ctx: ConvertContext, ult: Path) -> Utterance | None:
    """The utterance of a ``.ult`` file with its ``.param`` and ``.txt``, checked against the file's size; None after
    reporting why it cannot be converted."""
    param = ult.with_suffix(".param")
    if not param.is_file():
        ctx.problem("missing_annotation", ult, f"no {param.name} beside it (the frame size); not converted")
        return None
    try:
        params = read_param(param)
        scanlines, echoes = frame_geometry(params)
    except (OSError, ValueError) as exc:
        ctx.problem("annotation_unreadable", param, f"{exc}; {ult.name} not converted")
        return None
    size, frame = ult.stat().st_size, scanlines * echoes
    frames = size // frame
    if frames == 0:
        ctx.problem("unreadable", ult, f"{size} bytes, less than one frame of {scanlines} x {echoes}; not converted")
        return None
    if size % frame:
        ctx.problem(
            "truncated",
            ult,
            f"{size % frame} bytes after its {frames} whole frames of {scanlines} x {echoes} (a partial last frame); "
            "the whole frames are used",
            severity="warning",
        )
    prompt_file = ult.with_suffix(".txt")
    prompt: list[str] = []
    if prompt_file.is_file():
        try:
            prompt = read_prompt(prompt_file)
        except OSError as exc:
            ctx.problem("annotation_unreadable", prompt_file, f"{exc}; the prompt is left out", severity="warning")
    else:
        ctx.problem("missing_annotation", ult, f"no {prompt_file.name}; the prompt is left out", severity="warning")
    return Utterance(ult, param, prompt, frames, scanlines, echoes, params)


def utterance_items(
    ctx: ConvertContext,
    utt: Utterance,
    prefix: str,
    count: int,
    *,
    subject: str | None,
    label: str | None,
    split: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Iterator[Item]:
    """One item per frame picked from the utterance (``count`` evenly spaced over 10-90 % of it)."""
    source = ctx.rel(utt.ult)
    fps = utt.params.get("FramesPerSec")
    first = utt.params.get("TimeInSecsOfFirstFrame")
    base: dict[str, Any] = dict(extra or {})
    base.update({"utterance": utt.ult.stem, "frames_in_utterance": utt.frames})
    base.update({"scanlines": utt.scanlines, "echoes": utt.echoes})
    if len(utt.prompt) > 0 and utt.prompt[0]:
        base["prompt"] = utt.prompt[0]
    if len(utt.prompt) > 1 and utt.prompt[1]:
        base["recorded"] = utt.prompt[1]
    if fps:
        base["frames_per_second"] = fps
    for index in slice_indices(utt.frames, count):
        info = dict(base)
        if fps and fps > 0 and first is not None:
            info["time_s"] = round(first + index / fps, 6)  # on the audio's clock
        yield Item(
            sample_id=f"{prefix}_f{index:04d}",
            image=Decode(ult_frame, (str(utt.ult), index, utt.scanlines, utt.echoes), source=source),
            source_file=source,
            split=split,
            subject_id=subject,
            label=label,
            frame=index,
            extra=info,
            colour="grey",
            annotation_file=ctx.rel(utt.param),
        )


def ult_files(ctx: ConvertContext, what: str) -> list[Path]:
    """Every ``.ult`` file of the download, after reporting every ``.param`` that has none."""
    files = ctx.files()
    ults = [f for f in files if f.suffix.lower() == ".ult"]
    if not ults:
        raise UsregError(
            f"{ctx.dataset_id}: no .ult file under {ctx.source_dir}",
            hint=f"the download is {what} (rsync from ultrasuite-rsync.inf.ed.ac.uk, see the entry's source)",
        )
    stems = {f.with_suffix("") for f in ults}
    for f in files:
        if f.suffix.lower() == ".param" and f.with_suffix("") not in stems:
            ctx.problem("missing_image", f, f"no {f.with_suffix('.ult').name} beside it; nothing to convert")
    return ults


def prompt_type(ctx: ConvertContext, ult: Path) -> str | None:
    """The prompt type named by the utterance id's last letter (``001A``: words), or None after a warning."""
    m = UTTERANCE_ID.match(ult.stem)
    name = PROMPT_TYPES.get(m.group("type").upper()) if m else None
    if name is None:
        ctx.problem(
            "missing_label",
            ult,
            "the utterance id does not end in a prompt-type letter A-F; kept without a label",
            severity="warning",
        )
    return name


def read_speaker_subsets(ctx: ConvertContext, path: Path) -> dict[str, str]:
    """speaker -> split from ``doc/speakers`` (header line skipped; column 2 the speaker, the last column the
    subset), as UltraSuite's Kaldi recipe reads it."""
    out: dict[str, str] = {}
    if path.stat().st_size > MAX_TABLE_BYTES:
        ctx.problem("annotation_unreadable", path, f"larger than {MAX_TABLE_BYTES} bytes; not read")
        return out
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[1 : MAX_TABLE_LINES + 1]
    for n, line in enumerate(lines, start=2):
        items = line.split()
        if not items:
            continue
        if len(items) < 3:
            ctx.problem("annotation_unreadable", path, f"line {n} has {len(items)} columns; skipped")
            continue
        out[items[1]] = canonical_split(items[-1])
    return out


# --- the converter ---------------------------------------------------------------------------------------------


@register
class UltrasuiteUxtd(Converter):
    name = "ultrasuite-uxtd"
    summary = "core-uxtd/core/<speaker>/<id>.ult + .param (+ .txt), split from doc/speakers; frames of raw UTI"
    Options = UltOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(UltOptions)
        ults = ult_files(ctx, "core-uxtd/ (doc/ and core/<speaker>/)")
        ctx.declare_labels(list(PROMPT_TYPES.values()))
        tables = [f for f in ctx.files() if f.name == "speakers" and f.parent.name == "doc"]
        subsets: dict[str, str] = {}
        for table in tables:
            subsets.update(read_speaker_subsets(ctx, table))
        if subsets:
            ctx.split_note = "Official split: doc/speakers gives each speaker's subset (TRAIN, DEV, TEST)."
        else:
            ctx.split_note = "No doc/speakers in the download: a seeded split grouped by speaker."
        unlisted: set[str] = set()
        for ult in ults:
            if ult.parent.parent.name != "core":
                ctx.problem("unexpected_file", ult, "not in core/<speaker>/; not converted")
                continue
            speaker = ult.parent.name
            split = subsets.get(speaker)
            if subsets and split is None and speaker not in unlisted:
                unlisted.add(speaker)
                ctx.problem(
                    "not_in_split_list",
                    ult.parent,
                    f"speaker {speaker} is not in doc/speakers; its utterances get a seeded split",
                    severity="warning",
                )
            utt = read_utterance(ctx, ult)
            if utt is None:
                continue
            yield from utterance_items(
                ctx,
                utt,
                f"{speaker}_{ult.stem}",
                opts.frames,
                subject=speaker,
                label=prompt_type(ctx, ult),
                split=split,
                extra={"speaker": speaker},
            )
