"""Round 4 of catalog loaders (issue 12): datasets whose real layout a host file listing or a peer's converter shows.

Each builder writes a tiny download exactly as the cited evidence shows it (the archive's top folders and the host's
packaging), converts it with the real catalog entry and checks the sample count, the split counts (or, with no
published split, the seeded kind) and the class map of the mask targets or image labels.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from registry.schema import Dataset
from tests.fixtures.archives import make_rar5
from tests.fixtures.builders._common import blob_mask, save, us_image, zip_tree
from tests.loaders.conftest import check_converted_layout, convert_downloads, fetch_from_file_then_load, real_catalog

CATALOG = real_catalog()


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    image = Image.fromarray(array)
    (image.convert(mode) if mode else image).save(buf, format="PNG")
    return buf.getvalue()


# --- layouts -------------------------------------------------------------------------------------------------------

FAST_U_NET_SHA = "5123c8e12fb9d847cc04eae2c69d6e9508731205"


def _fast_u_net_repo(repo: Path) -> dict:
    """The repository at the pinned commit: Dataset/{AC,HC}/*_image{1,2,3}.rar, *_mask.rar, train.txt and val.txt.

    AC_mask.rar holds mask/<name>.png (listed from the real archive: filled masks, mode L or 1); the image archives are
    not listed (too large to read), so their folder is 'image' as in the README ("combine all image files ... in a
    single image folder") and train.txt ("resized_data/image/0039.png resized_data/mask/0039.png").
    """
    seed = 0

    def pair(stem: str, mask_name: str, mode: str | None = None) -> tuple[bytes, bytes]:
        nonlocal seed
        seed += 1
        return _png(us_image(32, 48, 4000 + seed)), _png(blob_mask(32, 48, 4000 + seed), mode)

    ac = {"0039": None, "0044": "1", "fa_0079": None, "0062": "1"}  # mode '1' masks as in the real AC_mask.rar
    hc = ["514_HC", "141_2HC", "345_HC"]
    ac_files = {stem: pair(stem, f"{stem}.png", mode) for stem, mode in ac.items()}
    hc_files = {stem: pair(stem, f"{stem}_Annotation.png") for stem in hc}
    base = repo / "Dataset"
    (base / "AC").mkdir(parents=True)
    (base / "HC").mkdir(parents=True)
    (base / "AC" / "AC_image1.rar").write_bytes(make_rar5({f"image/{s}.png": ac_files[s][0] for s in ("0039", "0044")}))
    (base / "AC" / "AC_image2.rar").write_bytes(
        make_rar5({f"image/{s}.png": ac_files[s][0] for s in ("fa_0079", "0062")})
    )
    (base / "AC" / "AC_mask.rar").write_bytes(make_rar5({f"mask/{s}.png": m for s, (_, m) in ac_files.items()}))
    for n, stem in enumerate(hc, start=1):
        (base / "HC" / f"HC_image{n}.rar").write_bytes(make_rar5({f"image/{stem}.png": hc_files[stem][0]}))
    (base / "HC" / "HC_mask.rar").write_bytes(
        make_rar5({f"mask/{s}_Annotation.png": m for s, (_, m) in hc_files.items()})
    )

    def listing(stems: list[str], mask: str) -> str:
        return "".join(f"resized_data/image/{s}.png resized_data/mask/{s}{mask}.png\n" for s in stems)

    (base / "AC" / "train.txt").write_text(listing(["0039", "0044", "fa_0079"], ""))
    (base / "AC" / "val.txt").write_text(listing(["0062"], ""))
    (base / "HC" / "train.txt").write_text(listing(["514_HC", "141_2HC"], "_Annotation"))
    (base / "HC" / "val.txt").write_text(listing(["345_HC"], "_Annotation"))
    for part in ("AC", "HC"):
        (base / part / "data").write_text("\n")
    (repo / "README.md").write_text("# Fast-U-Net\n")
    (repo / "test.txt").write_text("test_data/image/1588.jpg test_data/mask/1588.jpg\n")
    save(repo / "test_data" / "image" / "1588.jpg", us_image(32, 48, 4090), fmt="JPEG")
    save(repo / "test_data" / "mask" / "1588.jpg", blob_mask(32, 48, 4090), fmt="JPEG")
    save(repo / "Fast_unet" / "000.jpg", us_image(32, 48, 4091), fmt="JPEG")
    return {
        "samples": 7,
        "splits": {"train": 5, "val": 2},
        "targets": {"region": {0: "background", 1: "abdomen or head"}},
        "masked": 7,
        "mask_values": {"0044": {0, 1}, "514_HC": {0, 1}, "fa_0079": {0, 1}},
        "ignored": 3,  # the three JPEGs of the model demo (test_data/, Fast_unet/), left out on purpose
    }


def _fast_u_net(downloads: Path) -> dict:
    # GitHub's source archive of the pinned commit: one top folder <repo>-<sha>, the RARs unpacked where they sit
    top = f"Fast-U-Net-{FAST_U_NET_SHA}"
    expected = _fast_u_net_repo(downloads / "repo" / top)
    downloads.mkdir(parents=True, exist_ok=True)
    with tarfile.open(downloads / f"{top}.tar.gz", "w:gz") as tf:
        tf.add(downloads / "repo" / top, top)
    import shutil

    shutil.rmtree(downloads / "repo")
    return expected


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _asus(downloads: Path) -> dict:
    # UltraSam: ASUS.tar.gz -> ASUS/DataArrays.zip; the authors' notebook: DataArrays/q###_{ultrasound,segmentation}.npy
    # ([frames, 128, 128, 1], floats in [0, 1]) and {ultrasound,segmentation}-test.npy
    rng = np.random.default_rng(4100)
    arrays: dict[str, bytes] = {}
    for key, frames in (("q000", 3), ("q001", 2), ("test", 2)):
        image = rng.random((frames, 16, 20, 1), dtype=np.float32)
        image[0, 0, 0, 0] = 0.5  # -> 128
        seg = np.zeros((frames, 16, 20, 1), np.float32)
        seg[1:, 4:10, 5:12, 0] = 1.0  # frame 0 has no spine
        names = ("ultrasound-test.npy", "segmentation-test.npy") if key == "test" else (
            f"{key}_ultrasound.npy", f"{key}_segmentation.npy")  # fmt: skip
        arrays[f"DataArrays/{names[0]}"] = _npy(image)
        arrays[f"DataArrays/{names[1]}"] = _npy(seg)
    import zipfile

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        for name, data in arrays.items():
            zf.writestr(name, data)
    downloads.mkdir(parents=True)
    with tarfile.open(downloads / "ASUS.tar.gz", "w:gz") as tf:
        info = tarfile.TarInfo("ASUS/DataArrays.zip")
        info.size = len(inner.getvalue())
        tf.addfile(info, io.BytesIO(inner.getvalue()))
    return {
        "samples": 7,
        "splits": {"train": 5, "test": 2},
        "subjects_of": {"q000_f00002": "q000", "q001_f00000": "q001", "test_f00001": None},
        "frames_of": {"q000": [0, 1, 2], "test": [0, 1]},
        "targets": {"spine": {0: "background", 1: "spine"}},
        "masked": 7,
        "mask_values": {"q000_f00000": {0}, "q000_f00001": {0, 1}, "test_f00001": {0, 1}},
        "image_pixels": {"q001_f00000": ((0, 0), 128)},
    }


def _video(path: Path, frames: int, seed: int, h: int = 32, w: int = 48) -> None:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for k in range(frames):
            frame = np.repeat(us_image(h, w, seed + k)[:, :, None], 3, axis=2)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _brachial_plexus(downloads: Path) -> dict:
    # GitHub's "Download ZIP" of the repository (top folder brachial_plexus-main/), as its file listing shows it
    repo = downloads.parent / "repo"
    data = repo / "data"

    def jpeg_mask(path: Path, seed: int) -> None:
        save(path, np.repeat(blob_mask(32, 48, seed)[:, :, None], 3, axis=2), fmt="JPEG", quality=90)

    _video(data / "Butterfly" / "videos" / "b240.mp4", 25, 4200)
    for k in range(25):  # every frame annotated: 20 of 25 sampled
        jpeg_mask(data / "Butterfly" / "ac_masks" / "b240" / f"b240_{k:03d}.jpg", 4200 + k)
    (data / "Butterfly" / "bb_annotations").mkdir(parents=True)
    (data / "Butterfly" / "bb_annotations" / "b240.txt").write_text("0 10 10 20 20\n")
    _video(data / "Sonosite" / "videos" / "s071.mp4", 4, 4300)
    for k in range(4):
        jpeg_mask(data / "Sonosite" / "ac_masks" / "s071" / f"s071_{k:03d}.jpg", 4300 + k)
    for k in (1, 2):
        jpeg_mask(data / "Sonosite" / "needle" / "needle_masks" / "s071" / f"s071_{k:03d}.jpg", 4350 + k)
    (data / "Sonosite" / "needle" / "needle_masks" / "readme.md").write_text("masks of each video frame\n")
    (data / "Sonosite" / "needle" / "needle_coordinates").mkdir(parents=True)
    (data / "Sonosite" / "needle" / "needle_coordinates" / "s071.txt").write_text("1 10 10 30 30\n")
    (data / "demo" / "P_021_09.txt").parent.mkdir(parents=True)
    (data / "demo" / "P_021_09.txt").write_text("0 10 10 20 20\n")
    jpeg_mask(data / "demo" / "P_021_09_masks" / "P_021_09_000.jpg", 4400)  # its video is not in the repository
    save(data.parent / "other" / "high_gain.gif", us_image(32, 48, 4401), fmt="GIF")
    downloads.mkdir(parents=True)
    (downloads / "brachial_plexus-main.zip").write_bytes(zip_tree(repo, "brachial_plexus-main"))
    return {
        "samples": 24,
        "split_kind": "seeded-subject",
        "subjects": 2,
        "subjects_of": {"b240_f00024": "b240", "s071_f00003": "s071"},
        "frames_of": {
            "b240": [0, 1, 3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16, 18, 19, 20, 21, 23, 24],
            "s071": [0, 1, 2, 3],
        },
        "targets": {"nerve": {0: "background", 1: "brachial plexus"}, "needle": {0: "background", 1: "needle"}},
        "masked": 24,
        "needle_frames": {"s071_f00001", "s071_f00002"},
        "mask_values": {"b240_f00000": {0, 1}, "s071_f00002": {0, 1}},
        "ignored": 5 + 1 + 1,  # 5 frames not sampled, the demo's masks without a video, the README's animation
    }


def _cca_mi_segnet(downloads: Path) -> dict:
    # the authors' code: MI_SegNet_dataset/{Training,TS3}/{img,label}/, each folder sorted and paired by position;
    # labels hold 0 and 1 (the Google Drive file is taken to be one zip of that folder)
    files: dict[str, bytes] = {}
    for n, stem in enumerate(("0001", "0002", "0010")):
        files[f"MI_SegNet_dataset/Training/img/{stem}.png"] = _png(us_image(32, 40, 4600 + n))
        files[f"MI_SegNet_dataset/Training/label/{stem}.png"] = _png(blob_mask(32, 40, 4600 + n, value=1))
    for n in (1, 2):  # names that differ between the folders: paired by sorted position
        files[f"MI_SegNet_dataset/TS3/img/img_{n}.png"] = _png(us_image(32, 40, 4610 + n))
        files[f"MI_SegNet_dataset/TS3/label/label_{n}.png"] = _png(blob_mask(32, 40, 4610 + n, value=1))
    import zipfile

    downloads.mkdir(parents=True)
    with zipfile.ZipFile(downloads / "MI_SegNet_dataset.zip", "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return {
        "samples": 5,
        "splits": {"train": 3, "test": 2},
        "targets": {"artery": {0: "background", 1: "carotid artery"}},
        "masked": 5,
        "mask_values": {"Training_0010": {0, 1}, "TS3_img_2": {0, 1}},
        "extra_exact": {"TS3_img_1": {"label_file": "label_1.png"}, "Training_0001": {}},
    }


AHU_ANOMALIES = [
    "anomalies",
    "calcification",
    "cyst",
    "ectopic",
    "hernia",
    "inflammation",
    "injury",
    "nodule",
    "occupancy",
    "polyp",
    "stone",
    "tumor",
    "vascular",
]


def _annotated_heterogeneous_us_db(downloads: Path) -> dict:
    # ultatron's adapter: Filtered Data/Video_<case>_<anomalies>.mp4, Photos_<case>_<anomalies>/<NN>.jpg and
    # Processed Data/noise_files.txt (Windows paths); the host's packaging was not seen, so the folder is given as is
    root = downloads / "annotated_heterogeneous_us_db"
    filtered = root / "Filtered Data"
    _video(filtered / "Video_10_Tumor,Calcification.mp4", 12, 4800)
    _video(filtered / "Video_12_Cyst.mp4", 4, 4820)
    for n in (1, 2, 3):
        save(filtered / "Photos_11_Anomalies" / f"{n:02d}.jpg", us_image(32, 48, 4830 + n), fmt="JPEG")
    save(filtered / "Photos_13_Stone" / "1.jpg", us_image(32, 48, 4840), fmt="JPEG")
    (root / "Processed Data").mkdir(parents=True)
    (root / "Processed Data" / "noise_files.txt").write_text("/media/Storage2/yyz/Pretreat\\11_Anomalies\\02.jpg\n")
    return {
        "samples": 10 + 4 + 2 + 1,
        "split_kind": "seeded-subject",
        "subjects": 4,
        "subjects_of": {"Video_10_f00011": "10", "Photos_11_03": "11"},
        "frames_of": {"Video_10": [0, 1, 2, 4, 5, 6, 7, 9, 10, 11], "Video_12": [0, 1, 2, 3]},
        "labels": {None: 10, "cyst": 4, "anomalies": 2, "stone": 1},
        "label_classes": AHU_ANOMALIES,
        "ignored": 1,  # Photos_11_Anomalies/02.jpg, listed as noisy
        "extra": {"Video_10_f00000": {"anomalies": ["tumor", "calcification"]}, "Photos_13_1": {"case": "13"}},
    }


def _optic_nerve_sheath(downloads: Path) -> dict:
    # torch-em: the Mendeley file saved as Ultrasound-OpticNerveSheaths.zip unpacks to
    # Ultrasound-OpticNerveSheaths/DATA/IMAGES_256/*.png with DATA/LABELS_256/*.png of the same names (labels 0/1)
    files: dict[str, bytes] = {}
    for n in (1, 2, 3, 10):
        files[f"Ultrasound-OpticNerveSheaths/DATA/IMAGES_256/{n}.png"] = _png(us_image(32, 32, 4950 + n))
        files[f"Ultrasound-OpticNerveSheaths/DATA/LABELS_256/{n}.png"] = _png(blob_mask(32, 32, 4950 + n, value=1))
    import zipfile

    downloads.mkdir(parents=True)
    with zipfile.ZipFile(downloads / "Ultrasound-OpticNerveSheaths.zip", "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return {
        "samples": 4,
        "split_kind": "seeded-random",
        "targets": {"sheath": {0: "background", 1: "optic nerve sheath"}},
        "masked": 4,
        "mask_values": {"1": {0, 1}, "10": {0, 1}},
    }


LAYOUTS: dict[str, tuple[Dataset, Callable[[Path], dict]]] = {
    "annotated-heterogeneous-us-db": (
        CATALOG.datasets["annotated-heterogeneous-us-db"],
        _annotated_heterogeneous_us_db,
    ),
    "asus": (CATALOG.datasets["asus"], _asus),
    "cca-mi-segnet": (CATALOG.datasets["cca-mi-segnet"], _cca_mi_segnet),
    "fast-u-net": (CATALOG.datasets["fast-u-net"], _fast_u_net),
    "optic-nerve-sheath": (CATALOG.datasets["optic-nerve-sheath"], _optic_nerve_sheath),
    "regional-us-brachial-plexus": (CATALOG.datasets["regional-us-brachial-plexus"], _brachial_plexus),
}


@pytest.mark.parametrize("entry_id", sorted(LAYOUTS))
def test_catalog_entry_converts_its_cited_layout(entry_id, tmp_path, convert):
    out, expected = convert_downloads(convert, *LAYOUTS[entry_id], tmp_path)
    check_converted_layout(out, expected)


def test_fast_u_net_from_the_cloned_repository_folder(tmp_path, run_cli, usreg_home):
    """`usreg fetch fast-u-net --from-file <clone>`: the RARs are the entry's declared files, unpacked at the root."""
    expected = _fast_u_net_repo(tmp_path / "Fast-U-Net")
    output, ds = fetch_from_file_then_load(
        run_cli, "fast-u-net", "--from-file", tmp_path / "Fast-U-Net", "--keep-going"
    )
    assert "counts_match" in output  # 7 of the declared 1,411 images: named, accepted with --keep-going
    assert len(ds) == expected["samples"]


def test_tud_thyroid_declared_counts_agree_with_the_readme_layout():
    """TUD's README: 614 training and 410 test images with masks, and 53 normal images in no split that the loader
    leaves out; a conversion of that layout must pass counts_match (it was partial while the 53 were counted)."""
    from registry.checks.run import counts_match

    entry = CATALOG.datasets["tud-thyroid"]
    rows = [
        {"sample_id": f"{split}_{i}", "split": split, "subject_id": None, "frame": None}
        for split, n in (("train", 614), ("test", 410))
        for i in range(n)
    ]
    check = counts_match(rows, {"entry": entry.model_dump(mode="json", exclude_none=True)})
    assert check["status"] == "pass", check["summary"]
    assert "normal_thyroid/**/*" in " ".join(entry.loader.options["ignore"])  # the 53 are left out on purpose


# the videos of Regional-US/brachial_plexus at 16c3581 (its file listing: data/<device>/videos/<video>.mp4)
BRACHIAL_PLEXUS_VIDEOS = {
    "Butterfly": [
        "b240",
        "b267",
        "b292",
        "b330",
        "b341",
        "b473",
        "b496",
        "b661",
        "b675",
        "b754",
        "b843",
        "b880",
        "b912",
        "b937",
        "b992",
    ],
    "Sonosite": [
        "s005",
        "s071",
        "s117",
        "s123",
        "s187",
        "s210",
        "s311",
        "s356",
        "s654",
        "s683",
        "s753",
        "s845",
        "s852",
        "s888",
        "s963",
    ],
}


def test_brachial_plexus_declared_videos_are_what_the_public_repository_holds():
    """The README's 163 videos are the full set, shared under a data use agreement; the repository publishes 30. A
    conversion of the repository (frames of its 30 videos) must pass counts_match, not fail against the 163."""
    from registry.checks.run import counts_match

    entry = CATALOG.datasets["regional-us-brachial-plexus"]
    rows = [
        {
            "sample_id": f"{video}_f{k:05d}",
            "split": "train",
            "subject_id": video,
            "frame": k,
            "source_file": f"data/{device}/videos/{video}.mp4",
        }
        for device, videos in BRACHIAL_PLEXUS_VIDEOS.items()
        for video in videos
        for k in (0, 40)
    ]
    check = counts_match(rows, {"entry": entry.model_dump(mode="json", exclude_none=True)})
    assert check["status"] == "pass", check["summary"]
    assert check["details"]["found"]["videos"] == 30
    assert "163" in (entry.counts.note or "")  # the full set stays on record


def test_asus_reports_unpaired_unreadable_and_mismatched_arrays_and_converts_the_others(tmp_path, convert):
    base = tmp_path / "src" / "ASUS" / "DataArrays"
    base.mkdir(parents=True)
    good = np.zeros((2, 8, 8, 1), np.float32)
    (base / "q000_ultrasound.npy").write_bytes(_npy(good))
    (base / "q000_segmentation.npy").write_bytes(_npy(good))
    (base / "q001_ultrasound.npy").write_bytes(_npy(good))  # no segmentation beside it
    (base / "q002_ultrasound.npy").write_bytes(b"not a NumPy file")
    (base / "q002_segmentation.npy").write_bytes(_npy(good))
    (base / "q003_ultrasound.npy").write_bytes(_npy(good))
    (base / "q003_segmentation.npy").write_bytes(_npy(np.zeros((3, 8, 8, 1), np.float32)))  # one frame more
    out = convert(CATALOG.datasets["asus"], tmp_path / "src")
    assert sorted(out.by_id) == ["q000_f00000", "q000_f00001"]
    kinds = {(p["kind"], p["file"].rsplit("/", 1)[-1]) for p in out.problems()}
    assert {
        ("missing_mask", "q001_ultrasound.npy"),
        ("unreadable", "q002_ultrasound.npy"),
        ("size_mismatch", "q003_segmentation.npy"),
    } <= kinds


def test_brachial_plexus_reports_frames_past_the_video_end_and_videos_without_masks(tmp_path, convert):
    data = tmp_path / "src" / "data" / "Sonosite"
    _video(data / "videos" / "s005.mp4", 3, 4500)
    for k in range(5):  # frames 3 and 4 are past the end of the 3-frame video
        save(data / "ac_masks" / "s005" / f"s005_{k:03d}.jpg", blob_mask(32, 48, 4500 + k), fmt="JPEG")
    _video(data / "videos" / "s006.mp4", 2, 4510)  # no masks at all
    out = convert(CATALOG.datasets["regional-us-brachial-plexus"], tmp_path / "src")
    assert sorted(out.by_id) == ["s005_f00000", "s005_f00001", "s005_f00002"]
    problems = {
        (p["kind"], p.get("sample") or p.get("sample_id") or p["file"].rsplit("/", 1)[-1]) for p in out.problems()
    }
    assert {("unreadable", "s005_f00003"), ("unreadable", "s005_f00004"), ("missing_mask", "s006.mp4")} <= problems
    usage = out.metadata["source_files"]
    assert [d["file"].rsplit("/", 1)[-1] for d in usage["dropped_files"]] == ["s005.mp4"]  # named by failed frames
    assert usage["dropped_by_reason"] == {"unreadable": 1}


def test_cca_mi_segnet_folders_of_different_sizes_pair_by_name_and_report_the_rest(tmp_path, convert):
    base = tmp_path / "src" / "MI_SegNet_dataset" / "TS3"
    for name in ("a.png", "b.png"):
        save(base / "img" / name, us_image(16, 16, 4700))
    save(base / "label" / "a.png", blob_mask(16, 16, 4700, value=1))
    save(base / "label" / "z.png", blob_mask(16, 16, 4701, value=1))
    save(base / "label" / "y.png", blob_mask(16, 16, 4702, value=1))
    out = convert(CATALOG.datasets["cca-mi-segnet"], tmp_path / "src")
    assert sorted(out.by_id) == ["TS3_a"]
    kinds = {(p["kind"], p["file"].rsplit("/", 1)[-1]) for p in out.problems()}
    assert {("missing_mask", "b.png"), ("missing_image", "z.png"), ("missing_image", "y.png")} <= kinds


def test_ahu_reports_unknown_anomalies_several_anomalies_and_unparsable_names(tmp_path, convert):
    filtered = tmp_path / "src" / "Filtered Data"
    save(filtered / "Photos_20_Tumour" / "1.jpg", us_image(16, 16, 4900), fmt="JPEG")  # not one of the 13 names
    save(filtered / "Photos_21_Polyp, Inflammation" / "1.jpg", us_image(16, 16, 4901), fmt="JPEG")
    save(filtered / "stray.jpg", us_image(16, 16, 4902), fmt="JPEG")  # no case, no anomaly
    out = convert(CATALOG.datasets["annotated-heterogeneous-us-db"], tmp_path / "src")
    assert {sid: out.by_id[sid]["label"] for sid in out.by_id} == {"Photos_20_1": None, "Photos_21_1": None}
    assert json.loads(out.by_id["Photos_21_1"]["extra"])["anomalies"] == ["polyp", "inflammation"]
    kinds = {(p["kind"], p["file"].rsplit("/", 1)[-1]) for p in out.problems()}
    assert {
        ("unknown_label", "Photos_20_Tumour"),
        ("multiple_labels", "Photos_21_Polyp, Inflammation"),
        ("not_converted", "stray.jpg"),
    } <= kinds
