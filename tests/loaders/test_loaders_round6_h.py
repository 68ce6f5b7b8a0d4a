"""Round 6 (h): catalog datasets converted in the layout that code which opened their real download shows.

ct2us-kidney (Kaggle siatsyx/ct2usforkidneyseg): torch-em's ``ct2us_kidney.py`` (commit 3db1c5e) unzips the Kaggle
archive and reads ``slice/slice/*.png`` (synthetic ultrasound slices) with ``mask/mask/*.png`` (kidney masks,
>= 128 = kidney). The generic image-mask-folders converter pairs them by file name; a seeded random split.

us3m (Kaggle timesxy/multimodal-breast-ultrasound-dataset-us3m): DABI-Net's TDF-Net baseline (commit 6df744b) reads
``BD3M.xlsx`` (columns ``序号``, the patient id, and ``病理结果（0：良性，1：恶性）``, the pathology) beside
``BD3M/<patient id>/{BUS,DUS,EUS}_*.jpg``; the authors' README shows a zero-padded ``001/`` patient folder. Kaggle
serves the files as one archive.zip; the evidence shows no wrapper folder inside it, so the fixture has none.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from registry.errors import UsregError
from tests.fixtures.builders._common import blob_mask, rgb, save, us_image, write_xlsx
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    from_file_args,
    real_catalog,
)

CATALOG = real_catalog()
KIDNEY = {"kidney": {0: "background", 1: "kidney"}}
US3M_LABELS = ["benign", "malignant"]


# --- ct2us-kidney: slice/slice/<name>.png with mask/mask/<name>.png ----------------------------------------------


def _ct2us(stage: Path, count: int = 6, size: int = 32) -> dict:
    """Kaggle's archive.zip of the dataset: slice/slice/*.png and mask/mask/*.png (0/255), same names."""
    root = stage / "archive.zip"
    stems = [f"{n}" for n in range(1, count + 1)]
    for n, stem in enumerate(stems):
        grey = us_image(size, size, 6100 + n)
        save(root / "slice" / "slice" / f"{stem}.png", rgb(grey) if n % 2 else grey)  # colour mode not shown
        save(root / "mask" / "mask" / f"{stem}.png", blob_mask(size, size, 6100 + n))
    return {
        "samples": count,
        "split_kind": "seeded-random",
        "targets": KIDNEY,
        "masked": count,
        "mask_values": {s: {0, 1} for s in stems},
    }


def test_ct2us_kidney_converts_the_torch_em_layout(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["ct2us-kidney"], _ct2us, tmp_path)
    check_converted_layout(out, expected)
    assert sorted(out.by_id) == ["1", "2", "3", "4", "5", "6"]
    mask = out.mask("3", "kidney")
    assert np.array_equal(mask.astype(bool), blob_mask(32, 32, 6102) > 127)  # the image's own mask, thresholded


def test_ct2us_kidney_reports_an_image_without_mask_and_a_mask_without_image(tmp_path, convert):
    root = tmp_path / "src"
    for n, stem in enumerate(("a", "b", "c")):
        save(root / "slice" / "slice" / f"{stem}.png", us_image(24, 24, 6200 + n))
    for n, stem in enumerate(("a", "c", "z")):
        save(root / "mask" / "mask" / f"{stem}.png", blob_mask(24, 24, 6200 + n))
    out = convert(CATALOG.datasets["ct2us-kidney"], root)
    assert sorted(out.by_id) == ["a", "c"]
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("missing_mask", "slice/slice/b.png") in kinds
    assert ("missing_image", "mask/mask/z.png") in kinds


def test_usreg_fetch_ct2us_kidney_from_the_kaggle_archive_then_load(tmp_path, run_cli, usreg_home):
    expected = _ct2us(tmp_path / "stage", count=8, size=16)
    args = from_file_args(tmp_path / "stage", tmp_path)
    assert len(args) == 2, args  # one archive
    output, ds = fetch_from_file_then_load(run_cli, "ct2us-kidney", *args)
    assert "ready" in output
    assert len(ds) == expected["samples"]
    assert {t: dict(c) for t, c in ds.classes.items()} == KIDNEY


# --- us3m: BD3M.xlsx with BD3M/<patient>/{BUS,DUS,EUS}_*.jpg ------------------------------------------------------


def _xlsx(path: Path, rows: list[tuple[object, object]], header: tuple[str, str] | None = None) -> None:
    write_xlsx(path, [header or ("序号", "病理结果（0：良性，1：恶性）"), *rows])


def _jpg(path: Path, seed: int, size: int = 32) -> None:
    save(path, rgb(us_image(size, size, seed)), fmt="JPEG", quality=90)


# patient -> (pathology, images); not every patient has every modality or one image of each
US3M_PATIENTS: dict[int, tuple[int, tuple[str, ...]]] = {
    1: (0, ("BUS_1", "DUS_1", "EUS_1")),
    2: (1, ("BUS_1", "BUS_2", "EUS_1")),
    3: (0, ("BUS_1", "DUS_1")),
    4: (1, ("BUS_1", "DUS_1", "EUS_1", "EUS_2")),
    5: (0, ("BUS_1",)),
    6: (1, ("BUS_1", "EUS_1")),
    7: (0, ("BUS_1", "DUS_1", "EUS_1")),
    8: (1, ("BUS_1", "EUS_1")),
    9: (0, ("BUS_1", "BUS_2")),
    10: (1, ("BUS_1", "DUS_1", "EUS_1")),
}


def _us3m(stage: Path, folder=str, size: int = 32) -> dict:
    """archive.zip of BD3M.xlsx and BD3M/<patient>/..., as DABI-Net's data README places them."""
    root = stage / "archive.zip"
    _xlsx(root / "BD3M.xlsx", [(pid, label) for pid, (label, _) in US3M_PATIENTS.items()])
    n = 0
    for pid, (_, stems) in US3M_PATIENTS.items():
        for stem in stems:
            _jpg(root / "BD3M" / folder(pid) / f"{stem}.jpg", 6300 + n, size)
            n += 1
    labels = {"benign": 0, "malignant": 0}
    for label, stems in US3M_PATIENTS.values():
        labels[US3M_LABELS[label]] += len(stems)
    return {
        "samples": n,
        "split_kind": "seeded-subject",
        "subjects": len(US3M_PATIENTS),
        "labels": labels,
        "label_classes": US3M_LABELS,
        "subjects_of": {"10_EUS_1": "10", "2_BUS_2": "2"},
        "extra": {
            "4_EUS_2": {"modality": "EUS", "mode": "elastography"},
            "3_DUS_1": {"modality": "DUS", "mode": "colour doppler"},
            "9_BUS_2": {"modality": "BUS", "mode": "b-mode"},
        },
    }


def test_us3m_converts_the_dabi_net_layout(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["us3m"], _us3m, tmp_path)
    check_converted_layout(out, expected)
    assert out.by_id["2_BUS_2"]["label"] == "malignant" and out.by_id["1_DUS_1"]["label"] == "benign"
    assert out.extra("1_BUS_1")["patient_folder"] == "1"


def test_us3m_matches_zero_padded_patient_folders_by_number(tmp_path, convert):
    """The authors' README shows BD3M-style folders as 001/; the table's 序号 is the number 1."""
    out, expected = convert_layout(
        convert, CATALOG.datasets["us3m"], lambda s: _us3m(s, lambda p: f"{p:03d}"), tmp_path
    )
    check_converted_layout(out, expected)
    assert out.extra("7_BUS_1")["patient_folder"] == "007"


def test_us3m_reports_unlisted_patients_missing_folders_strays_and_bad_labels(tmp_path, convert):
    root = tmp_path / "src"
    _xlsx(root / "BD3M.xlsx", [(1, 0), (2, 1), (3, 2), (4, 0)])
    _jpg(root / "BD3M" / "1" / "BUS_1.jpg", 6400)
    _jpg(root / "BD3M" / "1" / "EUS_1.jpg", 6401)
    (root / "BD3M" / "1" / "Thumbs.db").write_bytes(b"\0")  # a stray file in a patient folder
    _jpg(root / "BD3M" / "2" / "DUS_1.jpg", 6402)
    _jpg(root / "BD3M" / "3" / "BUS_1.jpg", 6403)  # pathology 2: kept without a label
    _jpg(root / "BD3M" / "9" / "BUS_1.jpg", 6404)  # not in the table
    out = convert(CATALOG.datasets["us3m"], root)
    assert sorted(out.by_id) == ["1_BUS_1", "1_EUS_1", "2_DUS_1", "3_BUS_1"]
    assert out.by_id["3_BUS_1"]["label"] is None
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("missing_label", "BD3M/9") in kinds
    assert ("missing_image", "BD3M.xlsx") in kinds  # patient 4 has no folder
    assert ("unexpected_file", "BD3M/1/Thumbs.db") in kinds
    assert ("unknown_label", "BD3M.xlsx") in kinds
    assert [d["file"] for d in out.metadata["source_files"]["dropped_files"]] == ["BD3M/9/BUS_1.jpg"]


def test_us3m_without_the_label_columns_is_reported(tmp_path, convert):
    root = tmp_path / "src"
    _xlsx(root / "BD3M.xlsx", [(1, 0)], header=("id", "label"))
    _jpg(root / "BD3M" / "1" / "BUS_1.jpg", 6500)
    with pytest.raises(UsregError, match=r"no sample could be converted .*BD3M.xlsx: no column\(s\)"):
        convert(CATALOG.datasets["us3m"], root)


def test_usreg_fetch_us3m_from_the_kaggle_archive_then_load(tmp_path, run_cli, usreg_home):
    expected = _us3m(tmp_path / "stage", size=16)
    staged = tmp_path / "stage" / "archive.zip"
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(staged.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(staged).as_posix())
    # the tiny tree cannot hold the entry's declared 248 patients: the partial conversion is accepted knowingly
    output, ds = fetch_from_file_then_load(run_cli, "us3m", "--keep-going", "--from-file", archive)
    assert "counts_match" in output  # the failed count check is named, not hidden
    assert len(ds) == expected["samples"]


# --- picmus: database/<acquisition>/<phantom>/<phantom>_<simu|expe>_dataset_rf.hdf5, beamformed to B-mode -------

PICMUS_FS = 20.832e6
PICMUS_FC = 5.208e6
PICMUS_C = 1540.0
PICMUS_PITCH = 0.3e-3


def _picmus_h5(
    path: Path,
    scatterers: list[tuple[float, float]],
    angles_deg: tuple[float, ...] = (-8.0, -4.0, 0.0, 4.0, 8.0),
    elements: int = 32,
    samples: int = 720,
    initial_time: float = 0.0,
    iq: bool = False,
) -> None:
    """A USTB/PICMUS channel-data file: point scatterers echoing each steered plane wave, as CUBDL's reader sees it
    (data/real (angles, channels, samples); probe_geometry one column per element; scalars as 1-element arrays).

    An echo of scatterer (x, z) reaches element e at (x sin a + z cos a + |p - e|) / c + initial_time, the sample
    CUBDL's DAS_PW looks it up at."""
    import h5py

    ex = (np.arange(elements) - (elements - 1) / 2) * PICMUS_PITCH
    angles = np.deg2rad(np.asarray(angles_deg))
    t = np.arange(samples) / PICMUS_FS
    data = np.zeros((angles.size, elements, samples), np.float32)
    for a, angle in enumerate(angles):
        for sx, sz in scatterers:
            tau = (sx * np.sin(angle) + sz * np.cos(angle) + np.hypot(sx - ex, sz)) / PICMUS_C + initial_time
            lag = t[None, :] - tau[:, None]
            data[a] += np.cos(2 * np.pi * PICMUS_FC * lag) * np.exp(-((lag * PICMUS_FC / 1.2) ** 2))
    geometry = np.zeros((7, elements))
    geometry[0] = ex
    geometry[5] = PICMUS_PITCH
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        g = f.create_group("US/US_DATASET0000")
        g["data/real"] = data
        g["data/imag"] = np.zeros_like(data)
        g["angles"] = angles[None, :]
        g["sampling_frequency"] = np.array([PICMUS_FS])
        g["sound_speed"] = np.array([PICMUS_C])
        g["initial_time"] = np.array([initial_time])
        g["probe_geometry"] = geometry
        g["modulation_frequency"] = np.array([PICMUS_FC if iq else 0.0])


def _picmus_scan(path: Path, x_mm: tuple[float, float], z_mm: tuple[float, float], step_mm: float = 0.1) -> None:
    import h5py

    with h5py.File(path, "w") as f:
        g = f.create_group("US/US_DATASET0000")
        g["x_axis"] = np.arange(x_mm[0], x_mm[1] + step_mm / 2, step_mm)[:, None] * 1e-3
        g["z_axis"] = np.arange(z_mm[0], z_mm[1] + step_mm / 2, step_mm)[:, None] * 1e-3


PICMUS_POINTS = {
    "resolution_distorsion_simu": [(0.0, 10e-3), (2.1e-3, 15e-3)],
    "resolution_distorsion_expe": [(-1.5e-3, 12e-3)],
    "contrast_speckle_simu": [(1.2e-3, 8e-3)],
    "contrast_speckle_expe": [(0.6e-3, 18e-3)],
}


def _picmus(stage: Path) -> dict:
    """The challenge archive: archive_to_download/database/<simulation|experiments>/<phantom>/ with RF, IQ, scan and
    phantom files, and the organisers' reconstructions under reconstructed_image/ (the archive's read_me.txt)."""
    top = stage / "archive_to_download.zip" / "archive_to_download"
    for stem, points in PICMUS_POINTS.items():
        phantom, acq = stem.rsplit("_", 1)
        folder = top / "database" / ("simulation" if acq == "simu" else "experiments") / phantom
        t0 = 0.5e-6 if stem == "contrast_speckle_expe" else 0.0
        _picmus_h5(folder / f"{stem}_dataset_rf.hdf5", points, initial_time=t0)
        _picmus_h5(folder / f"{stem}_dataset_iq.hdf5", points, initial_time=t0, iq=True)
        if acq == "simu":
            _picmus_scan(folder / f"{stem}_scan.hdf5", (-4.0, 4.0), (5.0, 20.0))
        (folder / f"{stem}_phantom.hdf5").write_bytes(b"")  # read by the metrics only
        recon = top / "reconstructed_image" / folder.relative_to(top / "database")
        recon.mkdir(parents=True, exist_ok=True)
        (recon / f"{stem}_img_from_iq.hdf5").write_bytes(b"")
    (top / "read_me.txt").write_text("This archive contains the data-sets and code ...\n")
    return {"samples": 4, "split_kind": "seeded-random"}


def _peak_mm(out, sid: str, x_axis: np.ndarray, z_axis: np.ndarray) -> tuple[float, float]:
    image = out.image(sid).astype(float)
    image = image.mean(axis=-1) if image.ndim == 3 else image
    iz, ix = np.unravel_index(int(np.argmax(image)), image.shape)
    return float(x_axis[ix] * 1e3), float(z_axis[iz] * 1e3)


def test_picmus_beamforms_each_rf_file_and_focuses_its_scatterers(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["picmus"], _picmus, tmp_path)
    check_converted_layout(out, expected)
    assert sorted(out.by_id) == sorted(PICMUS_POINTS)
    simu = out.extra("resolution_distorsion_simu")
    assert simu["acquisition"] == "simulation" and simu["transmits"] == 5 and simu["channels"] == 32
    assert simu["grid"].endswith("database/simulation/resolution_distorsion/resolution_distorsion_simu_scan.hdf5")
    assert out.extra("contrast_speckle_expe")["grid"] == "aperture width x [z_min_mm, z_max_mm]"
    # the scan file's grid: x -4..4 mm, z 5..20 mm at 0.1 mm
    scan_x, scan_z = np.arange(-4.0, 4.05, 0.1) * 1e-3, np.arange(5.0, 20.05, 0.1) * 1e-3
    assert out.image("resolution_distorsion_simu").shape[:2] == (scan_z.size, scan_x.size)
    x, z = _peak_mm(out, "resolution_distorsion_simu", scan_x, scan_z)
    assert abs(x - 0.0) <= 0.2 and abs(z - 10.0) <= 0.2, (x, z)
    image = out.image("resolution_distorsion_simu").astype(float)
    iz, ix = round((15.0 - 5.0) / 0.1), round((2.1 + 4.0) / 0.1)
    assert image[iz - 2 : iz + 3, ix - 2 : ix + 3].max() >= 230  # the second scatterer is bright too
    assert np.median(image) < 80  # and the rest of the field is dark
    # without a scan file: x over the aperture, z from 5 mm to the end of the record, 0.1 mm pixels
    ex = (np.arange(32) - 15.5) * PICMUS_PITCH
    grid_x = np.arange(ex.min(), ex.max() + 0.05e-3, 0.1e-3)
    grid_z = np.arange(5e-3, (720 / PICMUS_FS - 0.5e-6) * PICMUS_C / 2 + 0.05e-3, 0.1e-3)
    assert out.image("contrast_speckle_expe").shape[:2] == (grid_z.size, grid_x.size)
    x, z = _peak_mm(out, "contrast_speckle_expe", grid_x, grid_z)  # initial_time 0.5 us is taken into account
    assert abs(x - 0.6) <= 0.2 and abs(z - 18.0) <= 0.2, (x, z)


def test_picmus_reports_iq_only_acquisitions_bad_files_and_strays(tmp_path, convert):
    import h5py

    db = tmp_path / "src" / "database" / "experiments"
    _picmus_h5(db / "resolution_distorsion" / "resolution_distorsion_expe_dataset_rf.hdf5", [(0.0, 10e-3)])
    _picmus_h5(db / "carotid_cross" / "carotid_cross_expe_dataset_iq.hdf5", [(0.0, 10e-3)], iq=True)
    (db / "contrast_speckle").mkdir()
    with h5py.File(db / "contrast_speckle" / "contrast_speckle_expe_dataset_rf.hdf5", "w") as f:
        f["US/US_DATASET0000/data/real"] = np.zeros((3, 8), np.float32)  # two axes: not channel data
    with h5py.File(db / "notes.hdf5", "w") as f:
        f["x"] = np.zeros(2)
    (db / "resolution_distorsion" / "resolution_distorsion_expe_scan.hdf5").write_bytes(b"not hdf5")
    out = convert(CATALOG.datasets["picmus"], tmp_path / "src")
    assert sorted(out.by_id) == ["resolution_distorsion_expe"]
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("not_converted", "database/experiments/carotid_cross/carotid_cross_expe_dataset_iq.hdf5") in kinds
    bad = "database/experiments/contrast_speckle/contrast_speckle_expe_dataset_rf.hdf5"
    assert ("annotation_unreadable", bad) in kinds
    assert ("unexpected_file", "database/experiments/notes.hdf5") in kinds
    scan = "database/experiments/resolution_distorsion/resolution_distorsion_expe_scan.hdf5"
    assert ("annotation_unreadable", scan) in kinds  # a warning: the default grid is used instead
    assert out.extra("resolution_distorsion_expe")["grid"] == "aperture width x [z_min_mm, z_max_mm]"


def test_picmus_refuses_channel_data_or_a_grid_too_large_to_hold(tmp_path, convert):
    """A file that declares more channel data than memory can hold (chunked, never written, so tiny on disk) is
    reported without being read; so is a scan file whose grid axes are too long."""
    import h5py

    db = tmp_path / "src" / "database" / "simulation"
    good = tmp_path / "src" / "database" / "experiments" / "contrast_speckle" / "contrast_speckle_expe_dataset_rf.hdf5"
    _picmus_h5(good, [(0.0, 10e-3)])
    _picmus_h5(db / "contrast_speckle" / "contrast_speckle_simu_dataset_rf.hdf5", [(0.0, 10e-3)])
    huge = db / "resolution_distorsion" / "resolution_distorsion_simu_dataset_rf.hdf5"
    _picmus_h5(huge, [(0.0, 10e-3)])
    with h5py.File(huge, "r+") as f:
        del f["US/US_DATASET0000/data/real"]
        f["US/US_DATASET0000"].create_dataset("data/real", shape=(75, 128, 100_000), dtype="f4", chunks=(1, 1, 1024))
        del f["US/US_DATASET0000/angles"]
        f["US/US_DATASET0000/angles"] = np.zeros((1, 75))
    scan = db / "contrast_speckle" / "contrast_speckle_simu_scan.hdf5"
    with h5py.File(scan, "w") as f:
        g = f.create_group("US/US_DATASET0000")
        g.create_dataset("x_axis", shape=(10_000_000, 1), dtype="f8", chunks=(4096, 1))
        g["z_axis"] = np.arange(0, 20e-3, 1e-4)[:, None]
    out = convert(CATALOG.datasets["picmus"], tmp_path / "src")
    problems = {(p["kind"], p["file"]): p["message"] for p in out.problems()}
    too_much = problems[("annotation_unreadable", "database/simulation/resolution_distorsion/" + huge.name)]
    assert "75 x 128 x 100000 values, over 400,000,000" in too_much
    assert sorted(out.by_id) == ["contrast_speckle_expe"]
    grid = [m for (kind, f), m in problems.items() if f.endswith("contrast_speckle_simu_dataset_rf.hdf5")]
    assert any("over 16384 each" in m for m in grid), problems


def test_usreg_fetch_picmus_from_the_challenge_archive_then_load(tmp_path, run_cli, usreg_home):
    _picmus(tmp_path / "stage")
    staged = tmp_path / "stage" / "archive_to_download.zip"
    archive = tmp_path / "archive_to_download.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(staged.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(staged).as_posix())
    output, ds = fetch_from_file_then_load(run_cli, "picmus", "--from-file", archive)
    assert "ready" in output
    assert len(ds) == 4
