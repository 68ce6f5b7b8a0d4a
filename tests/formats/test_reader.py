"""registry.load: samples, splits, to_pandas, to_hf, to_torch, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import registry
from registry.errors import UsregError
from tests.fixtures.builders import fm_uia, porcine_spinal_cord
from tests.loaders.conftest import make_entry

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def spinal(tmp_path, convert):
    fx = porcine_spinal_cord.build_segmentation(tmp_path / "src")
    return convert(make_entry("porcine-spinal-cord", "porcine-spinal-cord"), fx.root)


def test_load_iterates_samples(spinal, usreg_home):
    ds = registry.load("porcine-spinal-cord")
    assert len(ds) == 4 and ds.splits == ["test", "train", "val"]
    sample = next(iter(ds))
    assert sample.image.dtype == np.uint8 and sample.image.shape == (275, 690)
    assert sample.masks["anatomy"].shape == (275, 690)
    assert sample.image.flags.writeable
    assert ds.classes["anatomy"][6] == "hematoma"
    train = registry.load("porcine-spinal-cord", split="train")
    assert {s.split for s in train} == {"train"} and len(train) == 2
    with pytest.raises(UsregError) as err:
        registry.load("porcine-spinal-cord", split="validation")
    assert "val" in err.value.hint


def test_missing_dataset_says_to_fetch(usreg_home):
    with pytest.raises(UsregError) as err:
        registry.load("never-fetched")
    assert "usreg fetch never-fetched" in err.value.hint
    with pytest.raises(UsregError):
        registry.load("never-fetched", version="2")


def test_to_pandas_has_paths(spinal):
    df = registry.load("porcine-spinal-cord").to_pandas()
    assert list(df.columns[:3]) == ["sample_id", "split", "subject_id"]
    assert df["mask_anatomy_path"].map(lambda p: p.endswith(".png")).all()


def test_to_hf_features(spinal):
    import datasets

    hf = registry.load("porcine-spinal-cord", split="val").to_hf()
    assert isinstance(hf, datasets.Dataset) and hf.num_rows == 1
    assert isinstance(hf.features["image"], datasets.Image)
    assert np.asarray(hf[0]["mask_anatomy"]).max() == 9


def test_to_hf_class_labels_boxes_points(tmp_path, convert):
    convert(make_entry("fm-uia-2026", "fm-uia-2026"), fm_uia.build(tmp_path / "src").root)
    hf = registry.load("fm-uia-2026", split="train").to_hf()
    by_id = {r["sample_id"]: r for r in hf}
    label = hf.features["label"]
    assert label.int2str(by_id["train_breast_2cls_img_001"]["label"]) == "breast_2cls/1"
    assert by_id["train_thyroid_nodule_det_img_001"]["boxes"][0]["x_max"] == 50
    assert by_id["train_FUGC_img_001"]["points"][1] == {"x": 56.0, "y": 58.0}


def test_to_torch_batches(spinal):
    torch = pytest.importorskip("torch", reason="torch is the optional [bench] extra")
    tds = registry.load("porcine-spinal-cord", split="train").to_torch(size=(64, 128))
    loader = torch.utils.data.DataLoader(tds, batch_size=2, collate_fn=tds.collate)
    batch = next(iter(loader))
    assert batch["image"].shape == (2, 1, 64, 128) and batch["image"].dtype == torch.float32
    assert batch["mask_anatomy"].shape == (2, 64, 128) and int(batch["mask_anatomy"].max()) <= 9
    assert batch["sample_id"] == ["train_x1", "train_x2"]


def test_to_torch_without_torch_says_what_to_install(spinal, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(UsregError) as err:
        registry.load("porcine-spinal-cord").to_torch()
    assert "pip install 'usreg[bench]'" in err.value.hint and err.value.exit_code == 2


def test_to_hf_without_a_split_is_a_datasetdict_with_licence_and_citation(spinal):
    import datasets

    hf = registry.load("porcine-spinal-cord").to_hf()
    assert isinstance(hf, datasets.DatasetDict)
    assert {name: ds.num_rows for name, ds in hf.items()} == {"test": 1, "train": 2, "val": 1}
    info = hf["train"].info
    assert info.description and info.citation.lstrip().startswith("@")
    import bibtexparser

    assert bibtexparser.parse_string(info.citation).entries


def test_imagefolder_loads_the_converted_folder_with_its_splits(spinal):
    """`datasets.load_dataset("imagefolder", data_dir=...)` on the converted folder itself (through hf/<split>/)."""
    import datasets

    from registry.formats.layout import verify_checksums

    root = registry.load("porcine-spinal-cord").root
    loaded = datasets.load_dataset("imagefolder", data_dir=str(root))
    assert {name: ds.num_rows for name, ds in loaded.items()} == {"train": 2, "validation": 1, "test": 1}
    row = loaded["train"][0]
    assert row["sample_id"].startswith("train_") and row["usreg_split"] == "train"
    assert np.asarray(row["mask_anatomy"]).max() <= 9 and np.asarray(row["image"]).shape[:2] == (275, 690)
    assert verify_checksums(root) == []
    listed = [line.split("  ", 1)[1] for line in (root / "CHECKSUMS.sha256").read_text().splitlines()]
    assert "hf/train/metadata.parquet" in listed and not any((root / rel).is_symlink() for rel in listed)


def test_imagefolder_loads_splits_whose_columns_differ(tmp_path):
    """An unlabelled test split (no mask, no label, no subject) next to a labelled training split: the imagefolder
    builder refuses splits whose metadata features differ, so every split is written with one schema."""
    import datasets
    from PIL import Image

    from registry.formats.hf_folder import write_hf_folder

    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    rows = []
    for i, split in enumerate(("train", "train", "test", "test")):
        Image.fromarray(np.full((8, 10), 40 * i, np.uint8)).save(tmp_path / "images" / f"s{i}.png")
        row = {"sample_id": f"s{i}", "image": f"images/s{i}.png", "split": split, "frame": None}
        if split == "train":
            Image.fromarray(np.eye(8, 10, dtype=np.uint8)).save(tmp_path / "masks" / f"s{i}.png")
            row |= {"subject_id": f"p{i}", "label": "nerve", "frame": i}
            row["masks"] = [{"target": "nerve", "path": f"masks/s{i}.png"}]
        rows.append(row)
    assert write_hf_folder(tmp_path, rows) == {"test": 2, "train": 2}
    loaded = datasets.load_dataset("imagefolder", data_dir=str(tmp_path / "hf"))
    assert {name: ds.num_rows for name, ds in loaded.items()} == {"train": 2, "test": 2}
    assert loaded["train"].features == loaded["test"].features
    test = loaded["test"][0]
    assert test["mask_nerve"] is None and test["label"] is None and test["subject_id"] is None
    train = loaded["train"][1]
    assert np.asarray(train["mask_nerve"]).sum() == 8 and train["label"] == "nerve" and train["frame"] == 1


def test_imagefolder_view_of_a_set_published_as_folds_is_one_train_split(tmp_path):
    """c-trus publishes five cross-validation folds and no train/test: the view holds every sample in 'train', each
    with its fold in usreg_split (it was empty, as datasets has no split name for a fold)."""
    import datasets
    from PIL import Image

    from registry.formats.hf_folder import write_hf_folder

    (tmp_path / "images").mkdir()
    rows = []
    for i, fold in enumerate(("fold0", "fold0", "fold1", "fold2")):
        Image.fromarray(np.full((6, 6), 30 * i, np.uint8)).save(tmp_path / "images" / f"s{i}.png")
        rows.append({"sample_id": f"s{i}", "image": f"images/s{i}.png", "split": fold, "label": "wall"})
    assert write_hf_folder(tmp_path, rows) == {"train": 4}
    loaded = datasets.load_dataset("imagefolder", data_dir=str(tmp_path / "hf"))
    assert list(loaded) == ["train"]
    assert sorted(loaded["train"]["usreg_split"]) == ["fold0", "fold0", "fold1", "fold2"]
    # a set with a real train/test split keeps its folds-free behaviour: other split names stay out of the view
    mixed = [dict(rows[0], split="train"), dict(rows[1], split="unlabeled")]
    assert write_hf_folder(tmp_path / "mixed", [dict(r, image=f"../{r['image']}") for r in mixed]) == {"train": 1}
