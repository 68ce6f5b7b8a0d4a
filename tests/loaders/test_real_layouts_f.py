"""Quirks of real copies of the downloads (thyroid and breast sets, set f), rebuilt in tiny fixtures made by code.

No real data is stored here: each fixture rebuilds only the file and folder names that the real copy showed, with
synthetic pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.fixtures.builders import ddti
from tests.fixtures.builders._common import blob_mask, rgb, save, us_image
from tests.loaders.conftest import make_entry, real_catalog


def test_tn3k_declared_trainval_pool_matches_the_fold_split(tmp_path: Path, convert) -> None:
    # The authors' repository (haifangong/TRFE-Net-for-thyroid-nodule-segmentation@6e35530, picture/) holds the real
    # tn3k-trainval-fold0..4.json ({"val": [...], "train": [...]}, integer indices 0..2878, 2,303 + 576 in fold 0) and
    # test-mask.rar (614 JPEG masks 0000.jpg..0613.jpg). The entry declares the release's pools, trainval 2,879 and
    # test 614, while the loader divides trainval into train and val: on the whole release counts_match failed
    # ('images: declared 3493, found 3493'), so a complete fetch could never be 'ready'. Scaled down: 5 + 2 images.
    base = tmp_path / "src" / "tn3k"
    for kind, count in (("trainval", 5), ("test", 2)):
        for i in range(count):
            seed = 6100 + i + (10 if kind == "test" else 0)
            save(base / f"{kind}-image" / f"{i:04d}.jpg", rgb(us_image(40, 48, seed)), fmt="JPEG", quality=90)
            save(base / f"{kind}-mask" / f"{i:04d}.jpg", blob_mask(40, 48, seed), fmt="JPEG", quality=75)
    for k in range(5):
        folds = {"val": [k], "train": [i for i in range(5) if i != k]}
        (base / f"tn3k-trainval-fold{k}.json").write_text(json.dumps(folds))
    entry = real_catalog().datasets["tn3k"]
    assert entry.splits is not None and entry.counts is not None
    splits = entry.splits.model_copy(update={"counts": {"trainval": 5, "test": 2}})
    counts = entry.counts.model_copy(update={"images": 7})
    out = convert(entry.model_copy(update={"splits": splits, "counts": counts}), tmp_path / "src")
    assert out.splits() == {"train": 4, "val": 1, "test": 2}
    assert out.checks["counts_match"]["status"] == "pass", out.checks["counts_match"]
    assert out.checks["counts_match"]["details"]["found"]["splits"] == {"trainval": 5, "test": 2}
    assert out.metadata["status"]["state"] != "partial", out.metadata["status"]


def test_busi_whu_patient_from_image_name(tmp_path: Path, convert) -> None:
    # The authors' BUSI-WHU_information.xlsx (huangjin520/EMGANet@27c4075, Dataset/BUSI_WHU/) lists the 927 images of
    # 816 patients: Img_names is the 5-digit Patient_index ('00001.bmp'), or with '-<k>' for a patient's k-th image
    # ('10092-1.bmp' .. '10092-9.bmp', 38 patients have several) and once '10032A-4.bmp' (patient 10032). Without a
    # subject, a patient's images fell into different splits of the seeded split.
    base = tmp_path / "src"
    names = ["00001", "00002", "10032A-4"] + [f"10092-{k}" for k in range(1, 10)]
    for n, stem in enumerate(names):
        save(base / "img" / f"{stem}.bmp", rgb(us_image(24, 32, 6200 + n)))
        save(base / "gt" / f"{stem}_anno.bmp", blob_mask(24, 32, 6200 + n))
    out = convert(real_catalog().datasets["busi-whu"], base)
    subjects = {r["sample_id"]: r["subject_id"] for r in out.rows}
    assert subjects["10032A-4"] == "10032"
    assert subjects["00001"] == "00001"
    assert {subjects[f"10092-{k}"] for k in range(1, 10)} == {"10092"}
    assert len({r["split"] for r in out.rows if r["subject_id"] == "10092"}) == 1


def test_ddti_empty_svg_mark_is_left_out_not_dropped(tmp_path: Path, convert) -> None:
    # A real copy of the original XML release (Ola2808-Boro/Atificial-intelligence-algorithms-for-the-prediction-and-
    # classification-of-thyroid-diseases@20fbf6d, 'databases/DDTI Thyroid Ultrasound Images/': 390 case XMLs, 480
    # JPGs) has six marks whose <svg> is empty: 62_3, 120_1, 142_2, 213_2, 230_2, 389_1 (cases 120 and 389 have no
    # other image). Each was an 'unreadable' error plus a dropped image, so no fetch of the release could be complete.
    base = tmp_path / "src"
    base.mkdir()
    svg = json.dumps(ddti.REGION)
    (base / "62.xml").write_text(ddti._case(62, "4a", [(1, svg), (2, svg), (3, "")]))
    (base / "120.xml").write_text(ddti._case(120, "3", [(1, "")]))
    for n, name in enumerate(("62_1", "62_2", "62_3", "120_1")):
        save(base / f"{name}.jpg", rgb(us_image(70, 80, 6300 + n)), fmt="JPEG", quality=95)
    out = convert(make_entry("ddti", "ddti"), base)
    assert sorted(out.by_id) == ["62_1", "62_2"]
    assert [p for p in out.problems() if p["severity"] == "error"] == []
    assert {p["sample_id"] for p in out.problems("missing_annotation")} == {"62_3", "120_1"}
    assert out.metadata["source_files"]["dropped"] == 0
    assert out.metadata["source_files"]["ignored"] == 2


def test_abus_mt_small_readme_mask_values_one_and_two(tmp_path: Path, convert) -> None:
    # The MT_Small_Dataset ReadMe (the release's own text, seen in a copy on GitHub) says each 128 x 128 ground-truth
    # mask holds 1 for the background and 2 for the tumour on a 0-255 grey scale. Read as 'any non-zero pixel', such a
    # mask made the whole image tumour. Masks with other values (0 / 255) keep the non-zero rule.
    base = tmp_path / "src" / "MT_Small_Dataset"
    blob = blob_mask(32, 32, 6400) > 0
    save(base / "Benign" / "Original_Benign" / "1.png", rgb(us_image(32, 32, 6400)))
    save(base / "Benign" / "Ground_Truth_Benign" / "1.png", np.where(blob, 2, 1).astype(np.uint8))
    save(base / "Malignant" / "Original_Malignant" / "1.png", rgb(us_image(32, 32, 6401)))
    save(base / "Malignant" / "Ground_Truth_Malignant" / "1.png", np.where(blob, 255, 0).astype(np.uint8))
    out = convert(real_catalog().datasets["abus-mt-small"], tmp_path / "src")
    assert np.array_equal(out.mask("benign_1", "tumour"), blob.astype(np.uint8))
    assert np.array_equal(out.mask("malignant_1", "tumour"), blob.astype(np.uint8))
