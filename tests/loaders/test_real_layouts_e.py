"""Quirks of real copies of the downloads (datasets 'k' onward, set e), rebuilt in tiny fixtures made by code.

No real data is stored here: each fixture rebuilds only the file and folder names that the real copy showed, with
synthetic pixels.
"""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.builders._common import save, us_image
from tests.loaders.conftest import real_catalog


def test_pcos_ultrasound_kaggle_mixed_extensions_and_copy_names(tmp_path: Path, convert) -> None:
    # dhana1810/pcos-sem-8@06f6e87 holds the whole data/ folder (train 781 infected + 1143 notinfected, test 781 +
    # 1141): most files are img_0_<n>.jpg, but notinfected/ also holds img1.jpeg and img2.png, infected/ img1.jpg ..
    # img10.jpg, and names such as 'Copy of img_0_9989.jpg' (a space in the name). Every one must be a sample.
    base = tmp_path / "src" / "data"
    names = {
        "infected": ["img1.jpg", "img10.jpg", "img_0_1001.jpg"],
        "notinfected": ["img1.jpeg", "img2.png", "img_0_9989.jpg", "Copy of img_0_9989.jpg"],
    }
    seed = 5100
    for split in ("train", "test"):
        for label, files in names.items():
            for name in files:
                seed += 1
                save(base / split / label / name, us_image(24, 24, seed))
    out = convert(real_catalog().datasets["pcos-ultrasound-kaggle"], tmp_path / "src")
    assert out.splits() == {"train": 7, "test": 7}
    assert out.metadata["source_files"]["dropped"] == 0
    assert out.metadata["status"]["state"] != "partial"
    labels = {r["sample_id"]: r["label"] for r in out.rows}
    assert sum(v == "infected" for v in labels.values()) == 6
    assert labels["train_notinfected_img2"] == "notinfected"
    assert len({sid for sid in labels if "9989" in sid}) == 4
