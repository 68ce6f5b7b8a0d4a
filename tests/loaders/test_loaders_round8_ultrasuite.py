"""Round 8: UltraSuite's UPX (UltraPhonix) and Cleft datasets, read by the ultrasuite-uxssd converter.

Layouts, from UltraSuite's site (ultrasuite.github.io, commit 71092e5) and the code that reads the real downloads:

- The download page: ``rsync ...::ultrasuite/core-upx`` (and ``/core-cleft``) gives a folder with ``doc/`` and
  ``core/<speaker>/``, "the structure of each data set is identical"; each utterance is ``<id>.wav``, ``<id>.txt``
  (prompt, then the recording date and time), ``<id>.ult`` and ``<id>.param``.
- UPX: the descriptor paper on the site (papers/ultrasuite_IS18.pdf) places each session in a folder labelled Suit,
  BL, Therapy, Mid, Post or Maint and names utterances by index and prompt type (``005C``); the Kaldi recipe
  (ultrasuite-kaldi, commit fa6c4e2) reads ``core-upx/core/<speaker>/<session>/`` with the UXSSD script
  (``20M-BL2-009A``), and ``ustools``' ``get_dir_info`` (ultrasuite-tools, commit a030403) takes the speaker and the
  session from the last two folders of a UPX path.
- Cleft: the Cleft page gives each child an "Assessment" session and two children a "Therapy" session; ``ustools``'
  ``get_dir_info`` reads Cleft paths as speaker then session, as it does UXSSD and UPX.
- UX2020 has no loader: the site does not say whether its single sessions have a folder (see the entry's notes).

The downloads are rsync'ed folders, so the fixtures are folders, passed to ``usreg fetch --from-file`` as they are.
The frames are synthetic images stored scanline by scanline; the converted image must be the frame again, echoes down.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from registry.loaders.datasets._volumes import slice_indices
from tests.fixtures.builders.ultrasuite import ECHOES, PROMPT_LABELS, SCANLINES
from tests.fixtures.builders.ultrasuite import frame as _frame
from tests.fixtures.builders.ultrasuite import utterance as _utterance
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    real_catalog,
)

CATALOG = real_catalog()
TYPE_OF = dict(zip("ABCDEF", PROMPT_LABELS, strict=True))


def _build(top: Path, utterances: dict[tuple[str, str], list[tuple[str, int]]], seed: int) -> dict:
    """``top/doc/`` and ``top/core/<speaker>/<session>/<id>.*``; what the conversion must give."""
    (top / "doc").mkdir(parents=True)
    (top / "doc" / "README.txt").write_text("documentation\n")
    labels: dict[str, int] = {}
    frames_of: dict[str, list[int]] = {}
    seeds: dict[str, int] = {}
    samples = 0
    for (spk, session), utts in utterances.items():
        for uid, frames in utts:
            _utterance(top / "core" / spk / session, uid, frames, seed)
            seeds[f"{spk}_{session}_{uid}"] = seed
            seed += 100
            picks = slice_indices(frames, 3)
            frames_of[f"{spk}_{session}_{uid}"] = picks
            samples += len(picks)
            labels[TYPE_OF[uid[-1]]] = labels.get(TYPE_OF[uid[-1]], 0) + len(picks)
    return {
        "samples": samples,
        "split_kind": "seeded-subject",
        "subjects": len({spk for spk, _ in utterances}),
        "labels": labels,
        "label_classes": PROMPT_LABELS,
        "frames_of": frames_of,
        "seeds": seeds,
    }


def _classes_of(entry_id: str) -> list[str]:
    return [c.name for c in sorted(CATALOG.datasets[entry_id].annotation.classes, key=lambda c: c.id)]


# --- ultrasuite-upx: core-upx/core/<speaker>/<session>/<id>.* ------------------------------------------------------

# the sessions of the UPX page (Suit, BL, Mid, Post, Maint, Therapy), with the paper's numbered ones
UPX_UTTERANCES = {
    ("01F", "Suit"): [("001A", 9)],
    ("01F", "BL2"): [("001A", 12), ("002B", 7)],
    ("10M", "Therapy_03"): [("004C", 10), ("005E", 2)],  # two frames only: both taken
    ("10M", "Mid"): [("001D", 8)],
    ("20M", "BL2"): [("009A", 11)],
    ("20M", "Post"): [("002F", 6)],
    ("20M", "Maint"): [("003A", 14)],
}


def _upx(stage: Path) -> dict:
    expected = _build(stage / "core-upx", UPX_UTTERANCES, 11000)
    expected["subjects_of"] = {"10M_Therapy_03_004C_f0004": "10M", "20M_BL2_009A_f0005": "20M"}
    expected["extra"] = {
        "20M_BL2_009A_f0005": {
            "speaker": "20M",
            "session": "BL2",
            "utterance": "009A",
            "frames_in_utterance": 11,
            "scanlines": SCANLINES,
            "echoes": ECHOES,
            "prompt": "packing Hague top guy",
            "recorded": "26/06/2015 15:09:25",
        }
    }
    return expected


def test_upx_converts_frames_per_speaker_and_session_with_the_uxssd_converter(tmp_path, convert):
    entry = CATALOG.datasets["ultrasuite-upx"]
    assert entry.loader is not None and entry.loader.name == "ultrasuite-uxssd"
    out, expected = convert_layout(convert, entry, _upx, tmp_path)
    seeds = expected.pop("seeds")
    check_converted_layout(out, expected)
    assert out.metadata["labels"] == _classes_of("ultrasuite-upx")  # the entry's class map is the converter's
    assert np.array_equal(out.image("20M_BL2_009A_f0005"), _frame(seeds["20M_BL2_009A"] + 5))
    assert np.array_equal(out.image("10M_Therapy_03_005E_f0001"), _frame(seeds["10M_Therapy_03_005E"] + 1))
    assert out.image("01F_Suit_001A_f0004").shape == (ECHOES, SCANLINES)
    row = out.by_id["20M_Post_002F_f0002"]
    assert row["label"] == "other" and row["frame"] == 2
    assert row["source_file"] == "core-upx/core/20M/Post/002F.ult"
    assert out.by_id["10M_Mid_001D_f0004"]["label"] == "articulatory"


@pytest.mark.parametrize("entry_id", ["ultrasuite-uxssd", "ultrasuite-upx", "ultrasuite-cleft"])
def test_session_layouts_report_utterances_outside_a_session_folder(tmp_path, convert, entry_id):
    """The sets the uxssd converter reads keep core/<speaker>/<session>/: a file beside the sessions is named."""
    root = tmp_path / "src"
    _utterance(root / "core" / "01F" / "BL1", "001A", 6, 12000)
    _utterance(root / "core" / "01F", "002A", 6, 12010)  # no session folder
    out = convert(CATALOG.datasets[entry_id], root)
    assert {r["sample_id"].rsplit("_f", 1)[0] for r in out.rows} == {"01F_BL1_001A"}
    assert ("unexpected_file", "core/01F/002A.ult") in {(p["kind"], p["file"]) for p in out.problems()}


def test_usreg_fetch_ultrasuite_upx_from_the_rsynced_folder(tmp_path, run_cli, usreg_home):
    expected = _upx(tmp_path / "stage")
    output, ds = fetch_from_file_then_load(
        run_cli, "ultrasuite-upx", "--from-file", tmp_path / "stage" / "core-upx", "--keep-going"
    )
    assert "counts_match" in output  # 3 of the declared 20 speakers
    assert len(ds) == expected["samples"]


# --- ultrasuite-cleft: core-cleft/core/<speaker>/<session>/<id>.* --------------------------------------------------

# every child has an Assessment session; two (here 01M and 35M) also a Therapy one
CLEFT_UTTERANCES = {
    ("01M", "Assessment"): [("001A", 10), ("002B", 8), ("003D", 13)],
    ("01M", "Therapy"): [("001C", 9)],
    ("03F", "Assessment"): [("001A", 7), ("004E", 5)],
    ("35M", "Assessment"): [("002A", 12)],
    ("35M", "Therapy"): [("001F", 6)],
}


def _cleft(stage: Path) -> dict:
    expected = _build(stage / "core-cleft", CLEFT_UTTERANCES, 13000)
    expected["subjects_of"] = {"35M_Therapy_001F_f0002": "35M", "03F_Assessment_004E_f0002": "03F"}
    expected["extra"] = {"01M_Therapy_001C_f0004": {"speaker": "01M", "session": "Therapy", "frames_in_utterance": 9}}
    return expected


def test_cleft_converts_assessment_and_therapy_sessions_with_the_uxssd_converter(tmp_path, convert):
    entry = CATALOG.datasets["ultrasuite-cleft"]
    assert entry.loader is not None and entry.loader.name == "ultrasuite-uxssd"
    out, expected = convert_layout(convert, entry, _cleft, tmp_path)
    seeds = expected.pop("seeds")
    check_converted_layout(out, expected)
    assert out.metadata["labels"] == _classes_of("ultrasuite-cleft")
    assert np.array_equal(out.image("01M_Assessment_003D_f0006"), _frame(seeds["01M_Assessment_003D"] + 6))
    assert {out.extra(r["sample_id"])["session"] for r in out.rows} == {"Assessment", "Therapy"}
    assert out.by_id["03F_Assessment_004E_f0002"]["label"] == "non-speech"
    assert out.by_id["35M_Therapy_001F_f0002"]["source_file"] == "core-cleft/core/35M/Therapy/001F.ult"


def test_usreg_fetch_ultrasuite_cleft_from_the_rsynced_folder(tmp_path, run_cli, usreg_home):
    expected = _cleft(tmp_path / "stage")
    output, ds = fetch_from_file_then_load(
        run_cli, "ultrasuite-cleft", "--from-file", tmp_path / "stage" / "core-cleft", "--keep-going"
    )
    assert "counts_match" in output  # 3 of the declared 29 speakers
    assert len(ds) == expected["samples"]


def test_ux2020_has_no_loader_until_its_layout_is_documented():
    entry = CATALOG.datasets["ultrasuite-ux2020"]
    assert entry.loader is None
    assert "No loader" in (entry.notes or "")
