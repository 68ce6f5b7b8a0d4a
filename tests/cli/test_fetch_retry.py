"""A user who passes the wrong folder to `usreg fetch --from-file` is told how to start again: the layout the entry
expects, and that the files stay in the cache until `usreg cache clean ID` removes them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import REPO_ROOT

ENTRY = "pcos-ultrasound-kaggle"  # class-folders over data/{split}/{label}/{stem}.{ext}, a Kaggle download


def _release(root: Path) -> Path:
    for split in ("train", "test"):
        for label in ("infected", "notinfected"):
            for i in range(2):
                path = root / "data" / split / label / f"img{i}.jpg"
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(np.full((16, 16), 60 * i + (label == "infected") * 9, np.uint8)).save(path)
    return root


def test_a_wrong_folder_then_the_right_one_says_to_clean_the_cache(tmp_path, run_cli, usreg_home):
    release = _release(tmp_path / "download")
    wrong = run_cli("fetch", ENTRY, "--from-file", release / "data", root=REPO_ROOT)
    assert wrong.exit_code == 1
    text = " ".join(wrong.output.split())
    assert "no sample could be converted" in text
    assert "this entry's layout: data/{split}/{label}/{stem}.{ext}" in text
    assert f"`usreg cache clean {ENTRY}` removes them before another try" in text

    polluted = run_cli("fetch", ENTRY, "--from-file", release, root=REPO_ROOT)
    assert polluted.exit_code == 1  # the first run's files are still there, unused by the layout
    assert f"`usreg cache clean {ENTRY}` clears them, then fetch again" in " ".join(polluted.output.split())

    assert run_cli("cache", "clean", ENTRY, "--yes", root=REPO_ROOT).exit_code == 0
    clean = run_cli("fetch", ENTRY, "--from-file", release, "--keep-going", root=REPO_ROOT)
    assert clean.exit_code == 0, clean.output
    assert "were not used" not in clean.output  # only the declared counts differ from this tiny copy
