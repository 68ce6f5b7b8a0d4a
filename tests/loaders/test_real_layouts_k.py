"""Quirks of real copies of the downloads (set k), rebuilt in tiny fixtures made by code.

No real data is stored here: each fixture rebuilds only the file, folder and key names that the real copy showed,
with synthetic pixels.
"""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.builders._common import save, us_image
from tests.loaders.conftest import real_catalog


def test_usanotai_double_hyphen_test_names_keep_their_organ(tmp_path: Path, convert) -> None:
    # ftsvd/USAnotAI@c8779e8 (the release itself): train/<organ>-0000.png ... -0050.png, and test/<organ>-0051.png ...
    # -0055.png beside test/<organ>--0056.png ... --0060.png for every organ but bladder (25 names with a double
    # hyphen). The organ is the prefix before the first hyphen; a greedy read would make 'bowel-' a seventh class.
    src = tmp_path / "USAnotAI"
    names = ["train/bowel-0000.png", "train/spleen-0000.png", "test/bladder-0056.png"]
    names += ["test/bowel-0051.png", "test/bowel--0056.png", "test/spleen--0060.png"]
    for n, name in enumerate(names):
        save(src / name, us_image(64, 64, 7300 + n))
    out = convert(real_catalog().datasets["usanotai"], src)
    labels = {r["source_file"]: r["label"] for r in out.rows}
    assert labels == {name: Path(name).name.split("-")[0] for name in names}
    assert out.splits() == {"train": 2, "test": 4}
    assert len({r["sample_id"] for r in out.rows}) == len(names)
    assert out.metadata["source_files"]["dropped"] == 0
