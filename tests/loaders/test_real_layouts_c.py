"""Quirks found by converting real copies of the downloads (picmus onward), rebuilt in tiny fixtures made by code.

No real data is stored here: each fixture rebuilds only the file and folder names (and the line formats) that the
real copy showed, with synthetic pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.fixtures.builders._common import blob_mask, save, us_image
from tests.loaders.conftest import make_entry, real_catalog


def test_samus_us30k_umbrella_task_list_does_not_name_the_classes(tmp_path: Path, convert) -> None:
    # xianlin7/SAMUS@030ed07 example_of_required_dataset_format/US30K/MainPatient holds, beside the per-class lists
    # train-EchocardiographyLV/MYO/LA-CAMUS.txt, a list train-Echocardiography-CAMUS.txt with the lines of all three
    # classes (1/, 2/, 3/Echocardiography-CAMUS/...) and a test-Echocardiography-CAMUS.txt of '<folder>/<name>' lines.
    # Those sort first; the loader took their task name for every class (1-3 all 'Echocardiography').
    base = tmp_path / "src" / "US30K"
    lists = base / "MainPatient"
    lists.mkdir(parents=True)
    (lists / "class.json").write_text('{\n    "Echocardiography-CAMUS": 4,\n    "ThyroidNodule-TG3K": 2\n}')
    save(base / "Echocardiography-CAMUS" / "img" / "0055_2CH_000.png", us_image(32, 32, 3100))
    label = np.zeros((32, 32), np.uint8)
    label[4:12, 4:12], label[14:20, 4:12], label[22:30, 4:12] = 1, 2, 3
    save(base / "Echocardiography-CAMUS" / "label" / "0055_2CH_000.png", label)
    save(base / "ThyroidNodule-TG3K" / "img" / "trainval0000.png", us_image(32, 32, 3101))
    save(base / "ThyroidNodule-TG3K" / "label" / "trainval0000.png", blob_mask(32, 32, 3101))
    camus = "Echocardiography-CAMUS/0055_2CH_000"
    (lists / "train.txt").write_text(f"1/{camus}\n2/{camus}\n3/{camus}\n1/ThyroidNodule-TG3K/trainval0000")
    (lists / "val.txt").write_text("")
    (lists / "test.txt").write_text("")
    (lists / "test-Echocardiography-CAMUS.txt").write_text(camus)
    (lists / "train-Echocardiography-CAMUS.txt").write_text(f"1/{camus}\n2/{camus}\n3/{camus}")
    (lists / "train-EchocardiographyLA-CAMUS.txt").write_text(f"3/{camus}")
    (lists / "train-EchocardiographyLV-CAMUS.txt").write_text(f"1/{camus}")
    (lists / "train-EchocardiographyMYO-CAMUS.txt").write_text(f"2/{camus}")
    (lists / "train-ThyroidGland-TG3K.txt").write_text("1/ThyroidNodule-TG3K/trainval0000")
    out = convert(make_entry("samus-us30k", "samus-us30k"), tmp_path / "src")
    assert out.targets()["Echocardiography-CAMUS"] == {
        0: "background",
        1: "EchocardiographyLV",
        2: "EchocardiographyMYO",
        3: "EchocardiographyLA",
    }
    assert out.targets()["ThyroidNodule-TG3K"] == {0: "background", 1: "ThyroidGland"}
    assert out.splits() == {"train": 2}
    assert set(np.unique(out.mask("Echocardiography-CAMUS_0055_2CH_000", "Echocardiography-CAMUS"))) == {0, 1, 2, 3}


def test_samus_us30k_umbrella_list_still_names_a_class_no_other_list_names(tmp_path: Path, convert) -> None:
    base = tmp_path / "src" / "US30K"
    lists = base / "MainPatient"
    lists.mkdir(parents=True)
    (lists / "class.json").write_text('{"Echocardiography-CAMUS": 4}')
    save(base / "Echocardiography-CAMUS" / "img" / "a.png", us_image(16, 16, 3110))
    save(base / "Echocardiography-CAMUS" / "label" / "a.png", np.zeros((16, 16), np.uint8))
    (lists / "train.txt").write_text("1/Echocardiography-CAMUS/a\n")
    (lists / "train-Echocardiography-CAMUS.txt").write_text("1/Echocardiography-CAMUS/a\n2/Echocardiography-CAMUS/a\n")
    (lists / "train-EchocardiographyLV-CAMUS.txt").write_text("1/Echocardiography-CAMUS/a\n")
    out = convert(make_entry("samus-us30k", "samus-us30k"), tmp_path / "src")
    assert out.targets()["Echocardiography-CAMUS"] == {
        0: "background",
        1: "EchocardiographyLV",
        2: "Echocardiography",
        3: "class_3",
    }


def test_real_entries_still_use_these_loaders() -> None:
    catalog = real_catalog()
    loader = catalog.datasets["samus-us30k"].loader
    assert loader is not None and loader.name == "samus-us30k"
