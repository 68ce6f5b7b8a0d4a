"""Round 7 (k): Hugging Face-hosted catalog datasets converted in the layout their evidence shows.

us-365k (JJY-0823/US-365K): ultatron's ``scripts/materialize_us365k.py`` (commit fe5f82e) reads the Hugging Face
snapshot as ``images.zip`` (JPEG members, matched by file name whatever folder holds them) beside ``train.jsonl``,
``valid.jsonl`` and ``test.jsonl``, each line ``{"image": <file name>, "caption": <text>}``.

openh-rf-siemens-invivo (nvidia/Open-H-RF, folder siemens-healthineers): the subset's data card (OpenH-RF site
``cards.json``) lists the keys its zea HDF5 files hold (data/raw_data, data/image, metadata/subject/id, annotations,
custom/contact and custom/challenging); zea's spec makes data/image the log-compressed B-mode, (n_frames, z, x), a
group with ``values`` and optional ``min``/``max``. File names inside the folder are not documented; the fixture's
are made up and the loader does not read them.

openpros (ashynf/OpenPros): the authors' Croissant file puts paired ``*_data.npy`` / ``*_sos.npy`` files in
``speed_of_sound/3_0<i>/``; their site names them ``3_0{i}_P_{Date}_{Category}.npy`` with shapes
(1140, 40, 1000, 161) and (1140, 1, 401, 161); their split lists name cohorts ``3_0<i>_P_<date>``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.fixtures.builders._common import rgb, save, us_image
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    from_file_args,
    real_catalog,
)

CATALOG = real_catalog()

# --- us-365k: images.zip with train.jsonl / valid.jsonl / test.jsonl ------------------------------------------------

US365K_SPLITS = {
    "train.jsonl": ("train", ["a1", "a2", "a3", "a4", "a5"]),
    "valid.jsonl": ("val", ["b1", "b2"]),
    "test.jsonl": ("test", ["c1", "c2", "c3"]),
}


def _caption(stem: str) -> str:
    return f"Ultrasound of the {stem} region, 超声 image with a hypoechoic nodule."


def _jsonl(path: Path, records: list[object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _jpg(path: Path, seed: int, size: int = 24) -> None:
    save(path, rgb(us_image(size, size, seed)), fmt="JPEG", quality=90)


def _us365k(stage: Path, folder: str = "", size: int = 24) -> dict:
    """The Hugging Face snapshot: images.zip (here with its members under ``folder``) and the three split files."""
    n = 0
    for name, (_, stems) in US365K_SPLITS.items():
        _jsonl(stage / name, [{"image": f"{s}.jpg", "caption": _caption(s)} for s in stems])
        for s in stems:
            _jpg(stage / "images.zip" / folder / f"{s}.jpg", 7100 + n, size)
            n += 1
    (stage / "README.md").write_text("---\nlicense: unknown\n---\n# US-365K\n", encoding="utf-8")
    return {
        "samples": n,
        "splits": {split: len(stems) for split, stems in US365K_SPLITS.values()},
        "labels": {None: n},
        "extra_exact": {
            "a2": {"caption": _caption("a2"), "image": "a2.jpg"},
            "c3": {"caption": _caption("c3"), "image": "c3.jpg"},
        },
    }


def test_us365k_converts_the_hugging_face_snapshot(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["us-365k"], _us365k, tmp_path)
    check_converted_layout(out, expected)
    assert sorted(out.by_id) == ["a1", "a2", "a3", "a4", "a5", "b1", "b2", "c1", "c2", "c3"]
    assert out.by_id["b2"]["split"] == "val" and out.by_id["c1"]["split"] == "test"
    assert {r["subject_id"] for r in out.rows} == {None}
    assert out.metadata["labels"] in (None, [])  # image-text pairs: no class map


def test_us365k_finds_images_in_a_folder_of_the_zip(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["us-365k"], lambda s: _us365k(s, "images"), tmp_path)
    check_converted_layout(out, expected)
    assert out.by_id["a1"]["source_file"] == "images/a1.jpg"


def test_us365k_reports_bad_lines_missing_images_duplicates_and_strays(tmp_path, convert):
    root = tmp_path / "src"
    for n, stem in enumerate(("p1", "p2", "p3", "p4", "stray")):
        _jpg(root / f"{stem}.jpg", 7200 + n)
    _jpg(root / "other" / "p1.jpg", 7300)  # a second image with the same file name
    _jsonl(
        root / "train.jsonl",
        [
            {"image": "p1.jpg", "caption": "first"},
            "{not json",
            {"caption": "no image name"},
            {"image": "gone.jpg", "caption": "not in the download"},
            {"image": "p2.jpg", "caption": "  "},
            ["a", "list"],
        ],
    )
    _jsonl(root / "test.jsonl", [{"image": "p3.jpg", "caption": "third"}, {"image": "p1.jpg", "caption": "again"}])
    (root / "valid.jsonl").write_bytes(
        json.dumps({"image": "p4.jpg", "caption": "x" * 40}).encode() + b"\n" + b'{"image": "' + b"y" * (1 << 21)
    )
    out = convert(CATALOG.datasets["us-365k"], root)
    assert sorted(out.by_id) == ["p1", "p2", "p3", "p4"]
    assert out.splits() == {"train": 2, "test": 1, "val": 1}
    assert out.extra("p2") == {"caption": "", "image": "p2.jpg"}  # kept, warned
    kinds = {(p["kind"], p["file"], p["severity"]) for p in out.problems()}
    assert ("annotation_unreadable", "train.jsonl", "error") in kinds
    assert ("missing_image", "train.jsonl", "error") in kinds
    assert ("missing_annotation", "train.jsonl", "warning") in kinds
    assert ("duplicate", "test.jsonl", "error") in kinds
    assert ("duplicate_image", "other/p1.jpg", "error") in kinds
    assert ("annotation_unreadable", "valid.jsonl", "error") in kinds  # the over-long line
    messages = " ".join(p["message"] for p in out.problems("annotation_unreadable"))
    assert "line 2 is not valid JSON" in messages and "line 3 has no image file name" in messages
    assert "line 6 has no image file name" in messages and "is over" in messages
    dropped = {d["file"] for d in out.metadata["source_files"]["dropped_files"]}
    assert {"stray.jpg", "other/p1.jpg"} <= dropped


def test_us365k_without_split_files_is_reported(tmp_path, convert):
    root = tmp_path / "src"
    _jpg(root / "a.jpg", 7400)
    _jsonl(root / "train.jsonl", [{"image": "a.jpg", "caption": "only train"}])
    out = convert(CATALOG.datasets["us-365k"], root)
    assert out.splits() == {"train": 1}
    absent = {p["message"] for p in out.problems("missing_annotation")}
    assert any("valid.jsonl" in m for m in absent) and any("test.jsonl" in m for m in absent)


def test_usreg_fetch_us365k_from_the_hugging_face_files_then_load(tmp_path, run_cli, usreg_home):
    expected = _us365k(tmp_path / "stage", size=16)
    packed = from_file_args(tmp_path / "stage", tmp_path)  # packs images.zip (its members land beside it, unused)
    zipped = [a for a in packed if a.endswith("images.zip")]
    loose = sorted(p for p in (tmp_path / "stage").iterdir() if p.is_file())
    args = ["--from-file", *zipped] + [a for p in loose for a in ("--from-file", str(p))]
    assert len(args) == 10, args  # images.zip, README.md and the three split files
    output, ds = fetch_from_file_then_load(run_cli, "us-365k", *args)
    assert "ready" in output
    assert len(ds) == expected["samples"]


# --- openh-rf-siemens-invivo: zea HDF5 acquisitions, one sample per frame of data/image ----------------------------

SIEMENS = "siemens-healthineers"


def _zea(
    path: Path,
    image: np.ndarray | None,
    subject: str | None,
    anatomy: object = None,
    image_group: bool = True,
    value_range: tuple[float, float] | None = None,
    tags: bool = True,
) -> None:
    """A zea file as the card's key list and zea's spec describe it: data/raw_data (baseband IQ), data/image, the
    subject and annotation metadata, per-frame custom tags, probe/ and scan/."""
    import h5py

    path.parent.mkdir(parents=True, exist_ok=True)
    n_frames = 1 if image is None else image.shape[0]
    rng = np.random.default_rng(len(path.name))
    with h5py.File(path, "w") as f:
        f.attrs["zea_version"] = "0.0.9"
        f.create_dataset("data/raw_data", data=rng.normal(size=(n_frames, 4, 16, 4, 2)).astype(np.float32))
        if image is not None:
            if image_group:
                f.create_dataset("data/image/values", data=image)
                if value_range:
                    f["data/image"].attrs["min"], f["data/image"].attrs["max"] = value_range
            else:
                f.create_dataset("data/image", data=image)
        if subject is not None:
            f["metadata/subject/id"] = subject
            f["metadata/subject/type"] = "human"
        if anatomy is not None:
            f["metadata/annotations/anatomy"] = anatomy
        if tags:
            f["custom/contact"] = np.array([1] * n_frames, dtype=np.uint8)
            f["custom/challenging"] = np.array([n % 2 for n in range(n_frames)], dtype=np.uint8)
        f["probe/name"] = "10L4"
        f["probe/probe_geometry"] = np.zeros((4, 3), dtype=np.float32)
        f["scan/sampling_frequency"] = np.float32(13.33e6)
        f["scan/sound_speed"] = np.float32(1540.0)


def _db_frames(n: int, seed: int, h: int = 20, w: int = 24) -> np.ndarray:
    """Log-compressed frames in dB, -60 to 0, with a known corner: top-left -60 dB, bottom-right 0 dB."""
    frames = np.stack([us_image(h, w, seed + k).astype(np.float32) / 225.0 * 60.0 - 60.0 for k in range(n)])
    frames[:, 0, 0], frames[:, -1, -1] = -60.0, 0.0
    return frames


def _siemens(stage: Path) -> dict:
    """The Hub folder as `huggingface-cli download nvidia/Open-H-RF --include "siemens-healthineers/*"` leaves it."""
    root = stage / SIEMENS
    (root / "README.md").parent.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("# Siemens In-Vivo Raw Ultrasound Channel Data\n", encoding="utf-8")
    save(root / "assets" / "main.png", us_image(16, 16, 7500))
    _zea(root / "Subject_01_breast_0001.hdf5", _db_frames(3, 7510), "Subject_01", "breast", value_range=(-60.0, 0.0))
    uint8 = np.stack([us_image(18, 22, 7520 + k) for k in range(2)])
    _zea(root / "Subject_13_thyroid_0002.hdf5", uint8, "Subject_13", np.array([b"thyroid", b"neck"]))
    _zea(root / "Subject_14_x.hdf5", _db_frames(2, 7530) * 0.5, "Subject_14", image_group=False, tags=False)
    return {
        "samples": 7,
        "splits": {"train": 3, "val": 4},
        "subjects": 3,
        "subjects_of": {"Subject_13_thyroid_0002_f0001": "Subject_13"},
        "ignored": 1,
        "extra": {
            "Subject_01_breast_0001_f0001": {
                "anatomy": "breast",
                "contact": 1,
                "challenging": 1,
                "subject_type": "human",
                "frames": 3,
                "scaling": "-60 to 0 mapped to 0-255",
            },
            "Subject_13_thyroid_0002_f0000": {"anatomy": "thyroid", "scaling": "uint8 values as stored"},
            "Subject_13_thyroid_0002_f0001": {"anatomy": "neck", "challenging": 1},
            "Subject_14_x_f0000": {"scaling": "the frame's own range mapped to 0-255", "contact": None},
        },
        "image_pixels": {
            "Subject_01_breast_0001_f0002": ((0, 0), 0),
            "Subject_01_breast_0001_f0000": ((19, 23), 255),
            "Subject_13_thyroid_0002_f0001": ((5, 7), int(uint8[1, 5, 7])),
            "Subject_14_x_f0001": ((19, 23), 255),
        },
    }


def test_openh_rf_siemens_converts_the_b_mode_frames_of_zea_files(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["openh-rf-siemens-invivo"], _siemens, tmp_path)
    check_converted_layout(out, expected)
    assert {r["split"] for r in out.rows if r["subject_id"] in ("Subject_13", "Subject_14")} == {"val"}
    assert out.by_id["Subject_01_breast_0001_f0002"]["frame"] == 2
    assert out.image("Subject_13_thyroid_0002_f0000").shape == (18, 22)  # depth x lateral, as stored
    frame = _db_frames(3, 7510)[1]  # dB mapped linearly from [-60, 0] to [0, 255]
    assert np.abs(out.image("Subject_01_breast_0001_f0001").astype(float) - (frame + 60.0) * 255.0 / 60.0).max() <= 1


def test_openh_rf_siemens_reports_unreadable_files_and_missing_subjects(tmp_path, convert):
    root = tmp_path / "src" / SIEMENS
    _zea(root / "good.hdf5", _db_frames(2, 7600), "Subject_02", "carotid")
    _zea(root / "anonymous.hdf5", _db_frames(1, 7610), None)
    _zea(root / "no_image.hdf5", None, "Subject_03")
    _zea(root / "four_d.hdf5", np.zeros((1, 4, 4, 2), dtype=np.float32), "Subject_04")
    (root / "broken.hdf5").write_bytes(b"not an HDF5 file")
    (root / "stray.bin").write_bytes(b"\0\1")
    out = convert(CATALOG.datasets["openh-rf-siemens-invivo"], tmp_path / "src")
    assert sorted(out.by_id) == [
        "anonymous_f0000",
        "good_f0000",
        "good_f0001",
    ]
    assert out.by_id["good_f0001"]["split"] == "train"
    assert out.by_id["anonymous_f0000"]["subject_id"] is None
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("unreadable", f"{SIEMENS}/no_image.hdf5") in kinds
    assert ("unreadable", f"{SIEMENS}/broken.hdf5") in kinds
    assert ("not_converted", f"{SIEMENS}/four_d.hdf5") in kinds
    assert ("missing_annotation", f"{SIEMENS}/anonymous.hdf5") in kinds
    assert ("unexpected_file", f"{SIEMENS}/stray.bin") in kinds


def test_usreg_fetch_openh_rf_siemens_from_the_downloaded_folder_then_load(tmp_path, run_cli, usreg_home):
    expected = _siemens(tmp_path / "stage")
    output, ds = fetch_from_file_then_load(
        run_cli, "openh-rf-siemens-invivo", "--from-file", tmp_path / "stage" / SIEMENS, "--keep-going"
    )
    assert "partial" in output and "counts_match" in output  # 3 of the card's 15 subjects: accepted with --keep-going
    assert len(ds) == expected["samples"]


# --- openpros: speed_of_sound/<patient>/3_0<i>_P_<date>_{sos,data}.npy --------------------------------------------

OPENPROS_COHORTS = {  # cohort -> (split in the authors' lists, maps in the file)
    "3_01_P_2021-04-22": ("val", 3),
    "3_02_P_2021-03-30": ("test", 2),
    "3_03_P_2021-03-16": ("train", 3),
    "3_04_P_2022-06-02": ("train", 1),
}


def _sos_maps(n: int, seed: int, h: int = 12, w: int = 8) -> np.ndarray:
    """n SOS maps in m/s (1400 to 3000), with known corners: 1300 top-left, 3600 bottom-right, 2450 at (1, 1)."""
    rng = np.random.default_rng(seed)
    maps = rng.uniform(1400.0, 3000.0, size=(n, 1, h, w)).astype(np.float32)
    maps[:, 0, 0, 0], maps[:, 0, -1, -1], maps[:, 0, 1, 1] = 1300.0, 3600.0, 2450.0
    return maps


def _openpros(stage: Path) -> dict:
    """The Hugging Face repository: speed_of_sound/<patient>/<cohort>_{data,sos}.npy, as the Croissant file has it."""
    (stage / "README.md").parent.mkdir(parents=True, exist_ok=True)
    (stage / "README.md").write_text("---\nlicense: cc-by-nc-sa-4.0\n---\n# OpenPros\n", encoding="utf-8")
    splits: dict[str, int] = {}
    for k, (cohort, (split, n)) in enumerate(OPENPROS_COHORTS.items()):
        folder = stage / "speed_of_sound" / cohort[:4]
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / f"{cohort}_sos.npy", _sos_maps(n, 7700 + k))
        np.save(folder / f"{cohort}_data.npy", np.zeros((n, 4, 10, 8), dtype=np.float32))
        splits[split] = splits.get(split, 0) + n
    return {
        "samples": sum(n for _, n in OPENPROS_COHORTS.values()),
        "splits": splits,
        "subjects": len(OPENPROS_COHORTS),
        "subjects_of": {"3_02_P_2021-03-30_0001": "3_02_P_2021-03-30"},
        "extra": {
            "3_01_P_2021-04-22_0002": {
                "cohort": "3_01_P_2021-04-22",
                "patient": "3_01",
                "index": 2,
                "waveform": "speed_of_sound/3_01/3_01_P_2021-04-22_data.npy",
            }
        },
        "image_pixels": {
            "3_03_P_2021-03-16_0000": ((0, 0), 0),
            "3_03_P_2021-03-16_0002": ((11, 7), 255),
            "3_04_P_2022-06-02_0000": ((1, 1), 128),
        },
    }


def test_openpros_converts_the_sos_maps_with_the_authors_split(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["openpros"], _openpros, tmp_path)
    check_converted_layout(out, expected)
    assert out.image("3_01_P_2021-04-22_0001").shape == (12, 8)  # axial x lateral
    maps = _sos_maps(3, 7700)
    got = out.image("3_01_P_2021-04-22_0001").astype(float)
    assert np.abs(got - (maps[1, 0] - 1300.0) * 255.0 / 2300.0).max() <= 0.5
    assert out.by_id["3_01_P_2021-04-22_0001"]["frame"] == 1


def test_openpros_reports_unpaired_mismatched_unlisted_and_unreadable_files(tmp_path, convert):
    root = tmp_path / "src" / "speed_of_sound"
    for folder in ("3_01", "3_02", "3_03"):
        (root / folder).mkdir(parents=True)
    hot = _sos_maps(2, 7800)
    hot[1, 0, 2, 2] = 4000.0  # above the 3600 m/s of the range: clipped, reported
    np.save(root / "3_01" / "3_01_P_2021-04-22_sos.npy", hot)  # no waveform file beside it
    np.save(root / "3_01" / "3_01_P_2099-01-01_sos.npy", _sos_maps(1, 7801))  # in no split list
    np.save(root / "3_01" / "3_01_P_2099-01-01_data.npy", np.zeros((1, 4, 10, 8), dtype=np.float32))
    np.save(root / "3_02" / "3_02_P_2021-03-30_sos.npy", _sos_maps(2, 7802))
    np.save(root / "3_02" / "3_02_P_2021-03-30_data.npy", np.zeros((3, 4, 10, 8), dtype=np.float32))  # 3 != 2
    np.save(root / "3_02" / "3_02_P_2021-03-29_data.npy", np.zeros((1, 4, 10, 8), dtype=np.float32))  # no maps
    np.save(root / "3_03" / "3_03_P_2021-03-16_sos.npy", np.zeros((2, 12, 8), dtype=np.float32))  # no channel axis
    np.save(root / "3_03" / "3_03_P_2021-03-29_sos.npy", np.array([{"a": 1}], dtype=object))  # pickled objects
    (root / "3_03" / "3_03_P_2021-04-19_sos.npy").write_bytes(b"not numpy")
    np.save(root / "3_03" / "notes.npy", np.zeros(3))
    out = convert(CATALOG.datasets["openpros"], tmp_path / "src")
    assert sorted(out.by_id) == [
        "3_01_P_2021-04-22_0000",
        "3_01_P_2021-04-22_0001",
        "3_01_P_2099-01-01_0000",
        "3_02_P_2021-03-30_0000",
        "3_02_P_2021-03-30_0001",
    ]
    assert out.by_id["3_01_P_2021-04-22_0000"]["split"] == "val"
    assert out.by_id["3_02_P_2021-03-30_0001"]["split"] == "test"
    assert out.metadata["splits"]["kind"] == "official-partial"
    assert "waveform" not in out.extra("3_02_P_2021-03-30_0000")  # the waveforms do not pair with the maps
    assert out.image("3_01_P_2021-04-22_0001")[2, 2] == 255
    kinds = {(p["kind"], p["file"], p["severity"]) for p in out.problems()}
    sos = "speed_of_sound"
    assert ("missing_annotation", f"{sos}/3_01/3_01_P_2021-04-22_sos.npy", "warning") in kinds
    assert ("value_range", f"{sos}/3_01/3_01_P_2021-04-22_sos.npy", "warning") in kinds
    assert ("not_in_split_list", f"{sos}/3_01/3_01_P_2099-01-01_sos.npy", "warning") in kinds
    assert ("size_mismatch", f"{sos}/3_02/3_02_P_2021-03-30_data.npy", "error") in kinds
    assert ("missing_annotation", f"{sos}/3_02/3_02_P_2021-03-29_data.npy", "error") in kinds
    assert ("not_converted", f"{sos}/3_03/3_03_P_2021-03-16_sos.npy", "error") in kinds
    assert ("unreadable", f"{sos}/3_03/3_03_P_2021-03-29_sos.npy", "error") in kinds
    assert ("unreadable", f"{sos}/3_03/3_03_P_2021-04-19_sos.npy", "error") in kinds
    assert ("unexpected_file", f"{sos}/3_03/notes.npy", "error") in kinds


def test_usreg_fetch_openpros_from_the_downloaded_repository_then_load(tmp_path, run_cli, usreg_home):
    expected = _openpros(tmp_path / "stage")
    output, ds = fetch_from_file_then_load(run_cli, "openpros", "--from-file", tmp_path / "stage")
    assert "ready" in output
    assert len(ds) == expected["samples"]
