"""Round 5 (c) of catalog loaders: GL261 mouse brain tumour ultrasound (figshare) and DFHI fetal head biometry (Zenodo).

Each builder writes a tiny download exactly as the cited evidence shows it, packaged as the host serves it (one zip per
recording session on figshare; four zips with one top folder each on Zenodo), unpacks it as `usreg fetch` does
(archives inside archives too), converts it with the real catalog entry and checks the sample count, the seeded split
kind and the class map; the CLI tests fetch the same archives with `--from-file` and load the result.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from registry.schema import Dataset
from tests.fixtures.builders._common import blob_mask, unpack_like_fetch, us_image, zip_files
from tests.loaders.conftest import check_converted_layout, convert_downloads, fetch_from_file_then_load, real_catalog

CATALOG = real_catalog()


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    image = Image.fromarray(array)
    (image.convert(mode) if mode else image).save(buf, format="PNG")
    return buf.getvalue()


# --- GL261 mouse brain tumour (figshare 27237894) ---------------------------------------------------------------------

MOUSE_SESSIONS = {
    # session -> [(image name, mask name or None for an image without a mask file)]
    "rec__20240913_101500": [
        ("frame1_img.png", "frame1_img_mask.png"),
        ("frame2_img.png", "frame2_img_mask.png"),  # tumour-free: an empty mask
        ("frame10_img.png", "frame10_img_mask.png"),
    ],
    "rec__20240920_093000": [
        ("Extracted Frames1img.png", "Extracted Frames1img_Alice_mask.png"),  # an annotator's name before _mask
        ("Extracted Frames2img.png", "Extracted Frames2img_mask.png"),
    ],
    "rec__20241004_120000": [("frame1_img.png", "frame1_img_mask.png")],
}


def _mouse_session_zips() -> dict[str, bytes]:
    """{<session>.zip: bytes}: each holds <session>/Images/*.png, Masks/*.png (RGB, 0/255), ReadMe.xlsx and a video."""
    out: dict[str, bytes] = {}
    seed = 5000
    for session, pairs in MOUSE_SESSIONS.items():
        files: dict[str, bytes] = {}
        for image, mask in pairs:
            seed += 1
            files[f"{session}/Images/{image}"] = _png(np.repeat(us_image(30, 36, seed)[:, :, None], 3, axis=2))
            m = np.zeros((30, 36), np.uint8) if image == "frame2_img.png" else blob_mask(30, 36, seed).copy()
            if image == "frame10_img.png":
                m[5:9, 5:9] = 90  # a soft (averaged) value: still tumour
            files[f"{session}/Masks/{mask}"] = _png(np.repeat(m[:, :, None], 3, axis=2))
        files[f"{session}/ReadMe.xlsx"] = b"PK\x03\x04 not parsed by the loader"
        files[f"{session}/{session}.mp4"] = b"\x00\x00\x00\x18ftypmp42"
        out[f"{session}.zip"] = zip_files(files)
    return out


def _mouse_brain(downloads: Path) -> dict:
    downloads.mkdir(parents=True)
    for name, data in _mouse_session_zips().items():
        (downloads / name).write_bytes(data)
    return MOUSE_EXPECTED


MOUSE_EXPECTED = {
    "samples": 6,
    "split_kind": "seeded-subject",
    "subjects": 3,
    "subjects_of": {
        "rec__20240913_101500_frame10_img": "rec__20240913_101500",
        "rec__20240920_093000_Extracted_Frames1img": "rec__20240920_093000",
    },
    "targets": {"tumor": {0: "background", 1: "tumor"}},
    "masked": 6,
    "mask_values": {
        "rec__20240913_101500_frame1_img": {0, 1},
        "rec__20240913_101500_frame2_img": {0},
        "rec__20240920_093000_Extracted_Frames1img": {0, 1},
    },
    "inside": {"rec__20240913_101500_frame10_img": (6, 6)},
    "extra": {
        "rec__20240920_093000_Extracted_Frames1img": {
            "session": "rec__20240920_093000",
            "mask_file": "Extracted Frames1img_Alice_mask.png",
        }
    },
}


def _mouse_brain_download_all(downloads: Path) -> dict:
    # figshare's "download all" archive: one zip wrapping the per-session zips
    downloads.mkdir(parents=True)
    (downloads / "27237894.zip").write_bytes(zip_files(_mouse_session_zips()))
    return MOUSE_EXPECTED


# --- DFHI (Zenodo 8265464) --------------------------------------------------------------------------------------------

VOC = [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0] + [0] * (256 * 3 - 12)


def _voc_mask(h: int, w: int, seed: int, classes: tuple[int, ...] = (1, 2, 3)) -> bytes:
    """A PASCAL-VOC SegmentationClass PNG (palette mode): brain 1 (128,0,0), CSP 2 (0,128,0), LV 3 (128,128,0)."""
    index = Image.new("P", (w, h), 0)
    index.putpalette(VOC)
    draw = ImageDraw.Draw(index)
    shift = seed % 3
    if 1 in classes:
        draw.ellipse((3 + shift, 3, w - 4, h - 4), fill=1)
    if 2 in classes:
        draw.rectangle((w // 2 - 3, 8, w // 2 + 1, 12), fill=2)
    if 3 in classes:
        draw.rectangle((w // 2 + 4, h // 2, w // 2 + 8, h // 2 + 4), fill=3)
    buf = io.BytesIO()
    index.save(buf, format="PNG")
    return buf.getvalue()


DFHI_PARTS = {
    # zip top folder -> (image folder, mask folder, pixel-size table, Cityscapes zip, image stems)
    "Trans-cerebellum": (
        "Trans-cerebellum",
        "Trans-cerebellum-PASCAL/SegmentationClass",
        "Trans-cerebellum-Pixel-Size.csv",
        "Trans-cerebellum-Cityscapes.zip",
        ["Patient00168_Plane3_1_of_3", "Patient00168_Plane3_2_of_3", "Patient00200_Plane3_1_of_1"],
    ),
    "Trans-thalamic": (
        "Trans-thalamic",
        "Trans-thalamic-PASCAL/SegmentationClass",
        "Trans-Thalamic-Pixel-Size.csv",
        "Trans-thalamic-Cityscapes.zip",
        ["Patient00168_Plane2_1_of_1"],
    ),
    "Trans-ventricular": (
        "Trans-ventricular",
        "Trans-ventricular-PASCAL/SegmentationClass",
        "Trans-ventricular-Pixel-Size.csv",
        "Trans-ventricular-CityScapes.zip",
        ["Patient00300_Plane4_1_of_2", "Patient00300_Plane4_2_of_2"],
    ),
    "Diverse Fetal Head Images": (
        "Orginal_train_images_to_959_661",
        "Test-Dataset-PASCAL/SegmentationClass",
        None,
        "Test-Dataset-CitySpaces.zip",
        ["010_HC", "010_2HC", "011_HC"],
    ),
}


def _dfhi_zips() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    seed = 5100
    for top, (images, masks, table, cityscapes, stems) in DFHI_PARTS.items():
        files: dict[str, bytes] = {}
        rows = ["Label,Pixel in mm"]
        for n, stem in enumerate(stems):
            seed += 1
            files[f"{top}/{images}/{stem}.png"] = _png(us_image(32, 40, seed))
            only_brain = stem == "011_HC"
            files[f"{top}/{masks}/{stem}.png"] = _voc_mask(32, 40, seed, (1,) if only_brain else (1, 2, 3))
            rows.append(f"{stem}.png,{0.1 + n / 100:.2f}")
        if table:
            files[f"{top}/{table}"] = ("\n".join(rows) + "\n").encode("utf-8-sig")
        # the Cityscapes export: the script shows its gtFine/default/ folder, not its file names (this one is made up)
        files[f"{top}/{cityscapes}"] = zip_files(
            {f"gtFine/default/{stems[0]}_gtFine_color.png": _png(blob_mask(32, 40, 1))}
        )
        out[f"{top}.zip"] = zip_files(files)
    return out


def _dfhi(downloads: Path) -> dict:
    downloads.mkdir(parents=True)
    for name, data in _dfhi_zips().items():
        (downloads / name).write_bytes(data)
    return {
        "samples": 9,
        "split_kind": "seeded-subject",
        "subjects": 5,
        "subjects_of": {
            "tc_Patient00168_Plane3_2_of_3": "Patient00168",
            "tt_Patient00168_Plane2_1_of_1": "Patient00168",
            "diverse_010_2HC": "hc18_010",
            "diverse_011_HC": "hc18_011",
        },
        "targets": {
            "structures": {0: "background", 1: "fetal brain", 2: "cavum septum pellucidum", 3: "lateral ventricle"}
        },
        "masked": 9,
        "mask_values": {"tc_Patient00200_Plane3_1_of_1": {0, 1, 2, 3}, "diverse_011_HC": {0, 1}},
        "extra": {
            "tt_Patient00168_Plane2_1_of_1": {"plane": "Trans-thalamic", "pixel_mm": 0.1},
            "tv_Patient00300_Plane4_2_of_2": {"plane": "Trans-ventricular", "pixel_mm": 0.11},
            "diverse_010_HC": {"plane": "Diverse Fetal Head Images", "pixel_mm": None},
        },
        "ignored": 4,  # the Cityscapes exports of the same labels, one per zip
    }


LAYOUTS: dict[str, tuple[Dataset, Callable[[Path], dict]]] = {
    "dfhi": (CATALOG.datasets["dfhi"], _dfhi),
    "mouse-brain-tumor-hr-us": (CATALOG.datasets["mouse-brain-tumor-hr-us"], _mouse_brain),
    "mouse-brain-tumor-hr-us (download all)": (CATALOG.datasets["mouse-brain-tumor-hr-us"], _mouse_brain_download_all),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_catalog_entry_converts_its_cited_layout(layout, tmp_path, convert):
    out, expected = convert_downloads(convert, *LAYOUTS[layout], tmp_path)
    check_converted_layout(out, expected)


def test_mouse_brain_an_image_without_its_mask_is_reported_and_skipped(tmp_path, convert):
    session = "rec__20240913_101500"
    files = {
        f"{session}/Images/frame1_img.png": _png(us_image(20, 20, 1)),
        f"{session}/Masks/frame1_img_mask.png": _png(blob_mask(20, 20, 1)),
        f"{session}/Images/frame3_img.png": _png(us_image(20, 20, 3)),
        f"{session}/Masks/frame30_img_mask.png": _png(blob_mask(20, 20, 30)),  # not frame3's mask
    }
    (tmp_path / "downloads").mkdir()
    (tmp_path / "downloads" / f"{session}.zip").write_bytes(zip_files(files))
    unpack_like_fetch(tmp_path / "downloads", tmp_path / "src")
    out = convert(CATALOG.datasets["mouse-brain-tumor-hr-us"], tmp_path / "src")
    assert [r["sample_id"] for r in out.rows] == ["rec__20240913_101500_frame1_img"]
    assert out.problem_files("missing_mask") == {f"{session}/Images/frame3_img.png"}
    assert out.problem_files("missing_image") == {f"{session}/Masks/frame30_img_mask.png"}
    assert out.metadata["source_files"]["dropped_by_reason"] == {"missing_image": 1, "missing_mask": 1}


def test_mouse_brain_from_the_session_zips(tmp_path, run_cli, usreg_home):
    """`usreg fetch mouse-brain-tumor-hr-us --from-file <session zips>` converts 6 of the declared 1,856 images: the
    only failed check is counts_match, accepted with --keep-going."""
    (tmp_path / "files").mkdir()
    args: list[str | Path] = []
    for name, data in _mouse_session_zips().items():
        (tmp_path / "files" / name).write_bytes(data)
        args += ["--from-file", tmp_path / "files" / name]
    output, ds = fetch_from_file_then_load(run_cli, "mouse-brain-tumor-hr-us", *args, "--keep-going")
    assert "partial (accepted with --keep-going)" in output
    assert "check counts_match failed: images: declared 1856, found 6" in output
    assert "dropped" not in output
    assert len(ds) == MOUSE_EXPECTED["samples"]


def test_dfhi_from_the_record_zips(tmp_path, run_cli, usreg_home):
    """`usreg fetch dfhi --from-file` with the record's four zips converts 9 of the declared 3,832 images: the only
    failed check is counts_match, accepted with --keep-going."""
    (tmp_path / "files").mkdir()
    args: list[str | Path] = []
    for name, data in _dfhi_zips().items():
        (tmp_path / "files" / name).write_bytes(data)
        args += ["--from-file", tmp_path / "files" / name]
    output, ds = fetch_from_file_then_load(run_cli, "dfhi", *args, "--keep-going")
    assert "partial (accepted with --keep-going)" in output
    assert "check counts_match failed: images: declared 3832, found 9" in output
    assert "dropped" not in output
    assert len(ds) == 9


def test_dfhi_reads_a_pascal_export_shipped_as_a_nestedzip_files(tmp_path, convert):
    """If a plane zip ships its VOC export as <Plane>-PASCAL.zip, the fetch layer unpacks it in place and the loader
    still finds SegmentationClass/ (the prepare script shows the export only after unpacking)."""
    stem = "Patient00168_Plane2_1_of_1"
    pascal = zip_files({f"SegmentationClass/{stem}.png": _voc_mask(32, 40, 7)})
    files = {
        f"Trans-thalamic/Trans-thalamic/{stem}.png": _png(us_image(32, 40, 7)),
        "Trans-thalamic/Trans-thalamic-PASCAL.zip": pascal,
    }
    (tmp_path / "downloads").mkdir()
    (tmp_path / "downloads" / "Trans-thalamic.zip").write_bytes(zip_files(files))
    unpack_like_fetch(tmp_path / "downloads", tmp_path / "src")
    out = convert(CATALOG.datasets["dfhi"], tmp_path / "src")
    assert [r["sample_id"] for r in out.rows] == [f"tt_{stem}"]
    assert {int(v) for v in np.unique(out.mask(f"tt_{stem}", "structures"))} == {0, 1, 2, 3}
