"""Round 4 (b): more catalog datasets converted in the layouts that code which opened their real downloads shows.

Each builder writes a tiny tree exactly as that code reads it (the top folders and, where known, the archive's name);
the tree is packed, unpacked by the fetch layer's extractor and converted with the real catalog entry. Each case
checks the sample count, the split counts (or, with no published split, the seeded kind with no subject in two
splits) and the class map of every mask target or of the image labels.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from registry.catalog import load_catalog
from registry.schema import Dataset
from tests.conftest import REPO_ROOT
from tests.fixtures.builders._common import us_image
from tests.loaders.conftest import pack_download

CATALOG = load_catalog(REPO_ROOT)


def _write_volume(path: Path, array: np.ndarray) -> None:
    import SimpleITK as sitk

    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(sitk.GetImageFromArray(array), str(path))


# --- layouts -------------------------------------------------------------------------------------------------------


def _ted_labels(h: int, w: int, k: int) -> np.ndarray:
    out = np.zeros((h, w), np.uint8)
    out[8 + k : 34, 12:36] = 2
    out[13 + k : 29, 17:31] = 1
    return out


def _ted_patient(database: Path, patient: str, frames: int, seed: int, ed: int = 1, es: int | None = None) -> None:
    h, w = 40, 48
    folder = database / patient
    seq = np.stack([us_image(h, w, seed + k) for k in range(frames)])
    gts = np.stack([_ted_labels(h, w, k) for k in range(frames)])
    _write_volume(folder / f"{patient}_4CH_sequence.mhd", seq)
    _write_volume(folder / f"{patient}_4CH_sequence_gt.mhd", gts)
    (folder / f"{patient}_4CH_info.cfg").write_text(
        f"ED: {ed}\nES: {es or frames // 2}\nNbFrame: {frames}\nEF: 58\nSex: F\nAge: 63\nImageQuality: Good\n"
    )


def _ted_echo(stage: Path) -> dict:
    """ultatron's tree: database/patientNNN/patientNNN_4CH_sequence[_gt].mhd (+ .raw) and patientNNN_4CH_info.cfg."""
    database = stage / "database"
    for n, frames in enumerate((4, 3, 5, 3), start=1):
        _ted_patient(database, f"patient{n:03d}", frames, 4000 + 10 * n)
    return {
        "samples": 15,
        "split_kind": "seeded-subject",
        "subjects": 4,
        "subjects_of": {"patient001_f001": "patient001", "patient003_f005": "patient003"},
        "targets": {"heart": {0: "background", 1: "LV endocardium", 2: "LV myocardium"}},
        "mask_values": {"patient002_f003": {0, 1, 2}},
        "extra": {"patient001_f001": {"phase": "ED", "ef": "58"}, "patient001_f002": {"phase": "ES"}},
    }


LAYOUTS: dict[str, tuple[Dataset, Callable[[Path], dict]]] = {
    "ted-echo": (CATALOG.datasets["ted-echo"], _ted_echo),
}


@pytest.mark.parametrize("entry_id", sorted(LAYOUTS))
def test_catalog_entry_converts_its_cited_layout(entry_id, tmp_path, convert):
    entry, build = LAYOUTS[entry_id]
    assert entry.loader is not None, f"{entry_id}: the catalog entry names no loader"
    expected = build(tmp_path / "stage")
    pack_download(tmp_path / "stage", tmp_path / "downloads", tmp_path / "src")
    out = convert(entry, tmp_path / "src")

    assert len(out.rows) == expected["samples"], out.problems()
    errors = [p for p in out.problems() if p["severity"] == "error"]
    assert errors == expected.get("errors", []), errors
    usage = out.metadata["source_files"]  # every image file of the layout is used, or left out on purpose
    assert usage["dropped_by_reason"] == expected.get("dropped", {}), usage["dropped_files"]
    splits = out.metadata["splits"]
    if "splits" in expected:
        assert splits["kind"] == "official", splits
        assert out.splits() == expected["splits"]
    else:
        assert splits["kind"] == expected["split_kind"], splits
        assert out.splits() == splits["counts"]
    if "subjects" in expected:
        assert len({r["subject_id"] for r in out.rows}) == expected["subjects"]
        seen: dict[str, str] = {}
        for row in out.rows:
            assert seen.setdefault(row["subject_id"], row["split"]) == row["split"], row  # no subject in two splits
    for sid, subject in expected.get("subjects_of", {}).items():
        assert out.by_id[sid]["subject_id"] == subject, sid
    targets = {t: {int(k): v for k, v in d["classes"].items()} for t, d in out.metadata["targets"].items()}
    assert targets == expected.get("targets", {})
    if "labels" in expected:
        got: dict[str, int] = {}
        for row in out.rows:
            got[row["label"]] = got.get(row["label"], 0) + 1
        assert got == expected["labels"]
        assert out.metadata["labels"] == expected["label_classes"]
    for sid, values in expected.get("mask_values", {}).items():
        row = out.by_id[sid]
        assert {int(v) for m in row["masks"] for v in np.unique(out.mask(sid, m["target"]))} == values, sid
    for sid, extra in expected.get("extra", {}).items():
        import json

        got_extra = out.by_id[sid]["extra"]
        got_extra = json.loads(got_extra) if isinstance(got_extra, str) else got_extra
        assert {k: got_extra.get(k) for k in extra} == extra, sid


# --- ted-echo ------------------------------------------------------------------------------------------------------


def test_ted_echo_frames_follow_the_sequence_and_its_ground_truth(tmp_path, convert):
    """Frame k of a sample is frame k of the sequence, and its mask is frame k of the _gt sequence."""
    _ted_patient(tmp_path / "src" / "database", "patient007", 3, 4700)
    out = convert(CATALOG.datasets["ted-echo"], tmp_path / "src")
    assert sorted(out.by_id) == ["patient007_f001", "patient007_f002", "patient007_f003"]
    for k in range(3):
        sid = f"patient007_f{k + 1:03d}"
        assert out.by_id[sid]["frame"] == k
        assert np.array_equal(out.mask(sid, "heart"), _ted_labels(40, 48, k))
        image = out.image(sid)
        assert np.array_equal(image if image.ndim == 2 else image[..., 0], us_image(40, 48, 4700 + k))


def test_ted_echo_ed_es_option_and_bad_sequences(tmp_path, convert):
    database = tmp_path / "src" / "database"
    _ted_patient(database, "patient001", 5, 4800, ed=1, es=4)
    _ted_patient(database, "patient002", 3, 4810)
    # patient002's ground truth has one frame fewer than its sequence
    _write_volume(database / "patient002" / "patient002_4CH_sequence_gt.mhd", np.zeros((2, 40, 48), np.uint8))
    # patient003 has a sequence and no ground truth
    _write_volume(database / "patient003" / "patient003_4CH_sequence.mhd", np.zeros((2, 40, 48), np.uint8))
    entry = CATALOG.datasets["ted-echo"]
    assert entry.loader is not None
    loader = entry.loader.model_copy(update={"options": {"frames": "ed-es"}})
    out = convert(entry.model_copy(update={"loader": loader}), tmp_path / "src")
    assert sorted(out.by_id) == ["patient001_f001", "patient001_f004"]
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("size_mismatch", "database/patient002/patient002_4CH_sequence.mhd") in kinds
    assert ("missing_mask", "database/patient003/patient003_4CH_sequence.mhd") in kinds
