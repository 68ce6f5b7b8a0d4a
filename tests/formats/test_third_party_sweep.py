"""The converted output of one dataset per output kind, loaded by the third-party tools a user will use (the sweep in
tests/third_party_sweep.py: `usreg fetch ID --from-file TREE`, then Hugging Face datasets, pycocotools, mlcroissant).
"""

from __future__ import annotations

import numpy as np

from tests.third_party_sweep import load_hf


def test_hf_view_loads_samples_whose_names_hold_a_split_word(tmp_path):
    """`datasets` reads a split from every file name under data_dir: the training samples `test_image1` and
    `case-val-2` (pcosgen, tn3k and asus name samples so) loaded as test and validation splits without their
    metadata, and a mask target named like a split (`masks_dev/`) would too. Every split loads with its rows."""
    import datasets
    from PIL import Image

    from registry.formats.hf_folder import write_hf_folder

    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    rows = []
    for i, (sid, split) in enumerate((("test_image1", "train"), ("case-val-2", "train"), ("image3", "test"))):
        Image.fromarray(np.full((8, 10), 40 * (i + 1), np.uint8)).save(tmp_path / "images" / f"{sid}.png")
        Image.fromarray(np.eye(8, 10, dtype=np.uint8) * (i + 1)).save(tmp_path / "masks" / f"{sid}.png")
        masks = [{"target": "dev", "path": f"masks/{sid}.png"}]
        rows.append({"sample_id": sid, "image": f"images/{sid}.png", "split": split, "label": "a", "masks": masks})
    assert write_hf_folder(tmp_path, rows) == {"test": 1, "train": 2}
    loaded = datasets.load_dataset("imagefolder", data_dir=str(tmp_path), cache_dir=str(tmp_path / "cache"))
    assert {name: ds.num_rows for name, ds in loaded.items()} == {"train": 2, "test": 1}
    train = {row["sample_id"]: row for row in loaded["train"]}
    assert sorted(train) == ["case-val-2", "test_image1"]
    assert np.asarray(train["case-val-2"]["image"]).max() == 80
    assert np.asarray(train["test_image1"]["mask_dev"]).max() == 1
    one = datasets.load_dataset("imagefolder", data_dir=str(tmp_path / "hf" / "train"), cache_dir=str(tmp_path / "c2"))
    assert list(one) == ["train"] and sorted(one["train"]["sample_id"]) == ["case-val-2", "test_image1"]
    assert load_hf(tmp_path, tmp_path / "c3") == "ok"
