"""Quirks found by converting real copies of the downloads (round d: ids before "k"), rebuilt in tiny fixtures.

No real data is stored here: each fixture rebuilds only the file and folder names (and the table layout) that the
real copy showed, with synthetic pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.loaders.conftest import real_catalog
from tests.loaders.test_loaders_round2_more import _avi_mjpeg, _xlsx


def test_hmc_qu_real_a4c_table_two_header_rows_legend_and_blank_rows(tmp_path: Path, convert) -> None:
    # The real A4C.xlsx (FUZHANGCHENG-23071497/Myocardial_infarction_detection@b69b9e5; sheet 'Tabelle1') has two
    # header rows (ECHO, LABEL, ..., 'One cardiac-cycle frames', ..., 'LV Wall Ground-truth Segmentation Masks', then
    # None, SEG3 ... SEG6, 'Reference Frame', 'End of Cycle', 'Available: ü Not Available: û'), 109 'ü' and 53 'û'
    # rows, ids with a letter before the view ('ES000100 N_4CH_1') and 300-odd empty rows at the end.
    import scipy.io

    base = tmp_path / "src" / "hmcqu-dataset"
    rows: list[list] = [
        ["ECHO", "LABEL", None, None, None, None, None, "One cardiac-cycle frames", None, "LV Wall Masks"],
        [
            None,
            "SEG3",
            "SEG9",
            "SEG14",
            "SEG16",
            "SEG12",
            "SEG6",
            "Reference Frame",
            "End of Cycle",
            "Available: ü Not Available: û",
        ],
    ]
    cycles = (("ES0001 _4CH_1", 1, 3, "ü"), ("ES000100 N_4CH_1", 2, 4, "ü"), ("ES0001 _4CH_2", 1, 3, "û"))
    for n, (echo, first, last, mark) in enumerate(cycles):
        rows.append([echo, "MI", "non-MI", "MI", "non-MI", "non-MI", "non-MI", first, last, mark])
        _avi_mjpeg(base / "HMC-QU" / "A4C" / f"{echo}.avi", last + 1, seed=4100 + 10 * n)
        if mark == "ü":
            predicted = np.zeros((last - first + 1, 16, 16), np.uint8)
            predicted[:, 4:12, 2:6] = 1
            masks = base / "LV Ground-truth Segmentation Masks"
            masks.mkdir(parents=True, exist_ok=True)
            scipy.io.savemat(str(masks / f"Mask_{echo}.mat"), {"predicted": predicted})
    rows += [[None] * 10] * 5
    _xlsx(base / "A4C.xlsx", {"Tabelle1": rows})
    out = convert(real_catalog().datasets["hmc-qu"], tmp_path / "src")
    assert {r["sample_id"] for r in out.rows} == {
        "ES0001_4CH_1_0000",
        "ES0001_4CH_1_0001",
        "ES0001_4CH_1_0002",
        "ES000100_N_4CH_1_0001",
        "ES000100_N_4CH_1_0002",
        "ES000100_N_4CH_1_0003",
    }
    assert {r["subject_id"] for r in out.rows} == {"ES0001", "ES000100"}
    assert not out.problems("annotation_unreadable") and not out.problems("missing_image"), out.problems()
    assert [p["message"] for p in out.problems("not_converted")] == [
        "1 A4C video(s) without masks in A4C.xlsx are not converted (first: ES0001 _4CH_2)"
    ]
