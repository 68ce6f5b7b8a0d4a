"""Quirks of real copies of the downloads (set j), rebuilt in tiny fixtures made by code.

No real data is stored here: each fixture rebuilds only the file, folder and key names that the real copy showed,
with synthetic pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.fixtures.builders._common import rgb, save, us_image
from tests.loaders.conftest import real_catalog


def test_chinese_us_report_text_repeated_and_unlisted_images(tmp_path: Path, convert) -> None:
    # fcubiolab/Ultrasound-Report-Generation@237b19a holds the release's Data/ folder: new_<Organ>2.json written with
    # a UTF-8 byte-order mark, 7,364 records naming 14,707 of the 17,149 images. 21 records name their first image
    # twice (Mammary uid 163838: ["163838_1.jpeg", "163838_1.jpeg"], its 163838_2.png named by none), and the
    # <Organ>_report/ folders hold 2,418 images of uids that have no record (106383_1.jpeg, 106383_2.jpeg, ...).
    # The repeat was converted twice (Mammary_163838_1 and Mammary_163838_1__2, an exact duplicate pair), and the
    # unnamed images were counted as dropped, so that no fetch of the release could end complete.
    src = tmp_path / "Data"
    doc = {
        "train": [
            {"uid": 163838, "finding": "双侧乳腺", "image_path": ["163838_1.jpeg", "163838_1.jpeg"], "labels": 10},
            {"uid": 163839, "finding": "右乳", "image_path": ["163839_1.jpeg", "163839_2.jpeg"], "labels": 2},
        ],
        "test": [{"uid": 215212, "finding": "左乳", "image_path": ["215212_1.jpeg"], "labels": 1}],
        "val": [],
    }
    (src / "new_Mammary2.json").parent.mkdir(parents=True)
    (src / "new_Mammary2.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8-sig")
    names = ["163838_1.jpeg", "163839_1.jpeg", "163839_2.jpeg", "215212_1.jpeg", "106383_1.jpeg", "106383_2.jpeg"]
    for n, name in enumerate(names):
        save(src / "Mammary_report" / name, rgb(us_image(30, 40, 7100 + n)), fmt="JPEG")
    save(src / "Mammary_report" / "163838_2.png", rgb(us_image(30, 40, 7190)))
    out = convert(real_catalog().datasets["chinese-us-report-text"], src)
    assert sorted(r["sample_id"] for r in out.rows) == [
        "Mammary_163838_1",
        "Mammary_163839_1",
        "Mammary_163839_2",
        "Mammary_215212_1",
    ]
    assert out.splits() == {"train": 3, "test": 1}
    assert [(p["kind"], p["severity"]) for p in out.problems()] == [("duplicate", "warning")]
    usage = out.metadata["source_files"]
    assert usage["dropped"] == 0, usage["dropped_files"]
    assert usage["ignored"] == 3
