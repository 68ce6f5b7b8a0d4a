"""TUS-REC 2024 and 2025 as the organisers publish them (round 6): every Zenodo record of the 2024 data (three training
parts, the validation archive) and the validation scans whose poses lie in a separate ``transfs/`` file, paired with
their scan as the organisers' evaluation code pairs them; shapes checked before anything is read; and the user's path,
``usreg fetch tus-rec-2024 --from-file`` loaded with Hugging Face datasets and mlcroissant.

The layouts and their sources are described in tests/fixtures/builders/tus_rec.py.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.builders.tus_rec import frames, h5, poses, tus_rec_2024, tus_rec_2025, val_tree
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    pack_download,
    real_catalog,
)

CATALOG = real_catalog()
BUILDERS = {"tus-rec-2024": tus_rec_2024, "tus-rec-2025": tus_rec_2025}


@pytest.mark.parametrize("entry_id", sorted(BUILDERS))
def test_validation_scans_take_their_pose_from_the_transfs_file(entry_id, tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets[entry_id], BUILDERS[entry_id], tmp_path)
    check_converted_layout(out, expected)
    validation = [r for r in out.rows if ("/" + r["source_file"]).split("/")[-3] == "frames"]
    assert validation and all(len(out.extra(r["sample_id"])["tform"]) == 16 for r in validation)
    assert not out.problems(), out.problems()


def test_the_2024_entry_names_every_record_and_file_the_organisers_publish():
    sources = {s.id: [f.name for f in s.files] for s in CATALOG.datasets["tus-rec-2024"].sources}
    assert sources == {
        "11178508": ["train_part1.zip"],
        "11180794": ["train_part2.zip", "calib_matrix.csv"],
        "11355499": ["landmark.zip"],
        "12979481": ["Freehand_US_data_val.zip"],
    }
    sources = {s.id: [f.name for f in s.files] for s in CATALOG.datasets["tus-rec-2025"].sources}
    assert sources == {"15224704": ["Freehand_US_data_train_2025.zip"], "15699958": []}


def _val(tmp_path: Path) -> Path:
    src = tmp_path / "src" / "Freehand_US_data_val_2025"
    val_tree(src, {("050", "RH_rotation"): (6, 10.0), ("051", "LH_rotation"): (6, 20.0)}, "landmarks")
    return src


def test_a_validation_scan_without_its_transform_file_is_converted_without_poses_and_said(tmp_path, convert):
    src = _val(tmp_path)
    (src / "transfs" / "051" / "LH_rotation.h5").unlink()
    out = convert(CATALOG.datasets["tus-rec-2025"], tmp_path / "src")
    assert len(out.rows) == 12
    assert out.extra("050_RH_rotation_f00005")["tform"][3] == 15.0
    assert "tform" not in out.extra("051_LH_rotation_f00005")
    (problem,) = out.problems("missing_annotation")
    assert problem["file"].endswith("frames/051/LH_rotation.h5") and problem["severity"] == "warning"
    assert "transfs/051/LH_rotation.h5" in problem["message"]


def test_a_transform_file_of_another_shape_is_reported_and_not_used(tmp_path, convert):
    src = _val(tmp_path)
    h5(src / "transfs" / "051" / "LH_rotation.h5", tforms=poses(7, 20.0))  # one pose more than the scan's frames
    out = convert(CATALOG.datasets["tus-rec-2025"], tmp_path / "src")
    assert len(out.rows) == 12 and "tform" not in out.extra("051_LH_rotation_f00000")
    (problem,) = out.problems("size_mismatch")
    assert problem["file"].endswith("transfs/051/LH_rotation.h5") and "(7, 4, 4)" in problem["message"]


def test_a_scan_declaring_oversized_frames_is_refused_before_it_is_read(tmp_path, convert):
    import h5py

    base = tmp_path / "src" / "frames_transfs"
    h5(base / "000" / "RH_rotation.h5", frames=frames(3, 3300), tforms=poses(3, 0))
    (base / "001").mkdir(parents=True)
    with h5py.File(base / "001" / "RH_rotation.h5", "w") as f:  # 20 M pixels a frame, never written (a tiny file)
        f.create_dataset("frames", shape=(2, 5000, 4000), dtype=np.uint8, chunks=(1, 500, 500))
        f.create_dataset("tforms", data=poses(2, 0))
    out = convert(CATALOG.datasets["tus-rec-2025"], tmp_path / "src")
    assert {r["subject_id"] for r in out.rows} == {"000"}
    (problem,) = out.problems("too_large")
    assert problem["file"].endswith("001/RH_rotation.h5") and "(2, 5000, 4000)" in problem["message"]


def test_usreg_fetch_tus_rec_2024_from_file_loads_in_hf_datasets_and_mlcroissant(tmp_path, run_cli, usreg_home):
    """The user's path: the four records' downloads given to `usreg fetch --from-file`, then the converted output
    loaded with registry.load, Hugging Face datasets (the hf/ imagefolder view) and mlcroissant."""
    datasets = pytest.importorskip("datasets")
    mlc = pytest.importorskip("mlcroissant")
    expected = tus_rec_2024(tmp_path / "stage")
    pack_download(tmp_path / "stage", tmp_path / "downloads", tmp_path / "unpacked")  # the archives as served
    given = sorted(tmp_path.joinpath("downloads").iterdir()) + [tmp_path / "stage" / "calib_matrix.csv"]
    args = [a for path in given for a in ("--from-file", str(path))]
    names = sorted(path.name for path in given)
    assert names == sorted(
        ["train_part1.zip", "train_part2.zip", "calib_matrix.csv", "landmark.zip", "Freehand_US_data_val.zip"]
    )
    # the tiny tree cannot hold the entry's declared counts: the partial conversion is accepted knowingly
    output, ds = fetch_from_file_then_load(run_cli, "tus-rec-2024", "--keep-going", *args)
    assert "counts_match" in output
    assert len(ds) == expected["samples"]

    (out,) = (p for p in (usreg_home / "datasets" / "tus-rec-2024").iterdir() if p.is_dir())
    hf = datasets.load_dataset("imagefolder", data_dir=str(out / "hf"))
    rows = [row for split in hf.values() for row in split]
    assert len(rows) == expected["samples"]
    by_id = {row["sample_id"]: row for row in rows}
    assert by_id["050_RH_Per_L_DtP_f00011"]["image"].size == (20, 16)

    logging.getLogger("absl").setLevel(logging.ERROR)
    crate = mlc.Dataset(jsonld=str(out / "croissant.json"))
    assert not crate.metadata.ctx.issues.errors
    records = {r["samples/sample_id"].decode(): r for r in crate.records("samples")}
    assert sorted(records) == sorted(by_id)

    manifest = json.loads((out / "metadata.json").read_text())
    assert manifest["splits"]["kind"] == "official"
    assert {sid.split("_")[0] for sid, r in by_id.items() if r["usreg_split"] == "val"} == {"050", "051"}
    samples = {s.sample_id: s for s in ds}
    for sid, x in expected["tform_x"].items():  # the validation poses survive into the published output
        assert samples[sid].metadata["tform"][3] == x, sid
        assert json.loads(records[sid]["samples/extra"])["tform"][3] == x, sid
