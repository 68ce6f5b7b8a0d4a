"""COCO files load in pycocotools with exact masks; croissant.json validates in mlcroissant and its records iterate;
the manifest is typed; CHECKSUMS.sha256 covers every file."""

from __future__ import annotations

import json
import logging

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from registry.formats.coco import instances, rle_counts, rle_string
from registry.formats.layout import read_checksums, sha256_file, verify_checksums
from registry.formats.manifest import SCHEMA
from tests.fixtures.builders import aul, fm_uia
from tests.loaders.conftest import make_entry


def test_rle_matches_pycocotools():
    rng = np.random.default_rng(0)
    for _ in range(100):
        h, w = (int(v) for v in rng.integers(1, 50, 2))
        m = (rng.random((h, w)) > rng.random()).astype(np.uint8)
        assert rle_string(rle_counts(m)) == mask_utils.encode(np.asfortranarray(m))["counts"].decode()


def test_instances_are_connected_components():
    m = np.zeros((40, 40), np.uint8)
    m[2:6, 2:6] = 1
    m[20:30, 20:25] = 1
    m[10:12, 30:39] = 2
    found = instances(m)
    assert sorted((i["value"], i["area"]) for i in found) == [(1, 16), (1, 50), (2, 18)]


@pytest.fixture(scope="module")
def multi_target(tmp_path_factory):
    """AUL: three binary targets, labels, and a normal class with empty masks."""
    import os

    from registry.loaders import convert_entry
    from tests.loaders.conftest import Converted

    home = tmp_path_factory.mktemp("home")
    fx = aul.build(tmp_path_factory.mktemp("src"))
    old = os.environ.get("USREG_HOME")
    try:
        os.environ["USREG_HOME"] = str(home)
        path = convert_entry(make_entry("aul", "aul", license="CC-BY-4.0", year=2022), fx.root, home, "1", workers=1)
    finally:
        if old is not None:
            os.environ["USREG_HOME"] = old
    return Converted(path)


def test_coco_loads_and_masks_round_trip(multi_target):
    out = multi_target
    for split in sorted({r["split"] for r in out.rows}):
        coco = COCO(str(out.path / "annotations" / f"coco_{split}.json"))
        for img in coco.loadImgs(coco.getImgIds()):
            row = out.by_id[img["sample_id"]]
            assert img["file_name"] == row["image"] and (img["width"], img["height"]) == (row["width"], row["height"])
            for cat in coco.loadCats(coco.getCatIds()):
                target = cat["supercategory"]
                anns = coco.loadAnns(coco.getAnnIds(imgIds=[img["id"]], catIds=[cat["id"]]))
                painted = np.zeros((img["height"], img["width"]), bool)
                for a in anns:
                    painted |= coco.annToMask(a).astype(bool)
                if any(m["target"] == target for m in row["masks"]):
                    assert (painted == (out.mask(row["sample_id"], target) > 0)).all()


def test_croissant_validates_and_iterates(multi_target):
    mlc = pytest.importorskip("mlcroissant")
    logging.getLogger("absl").setLevel(logging.ERROR)
    ds = mlc.Dataset(jsonld=str(multi_target.path / "croissant.json"))
    assert not ds.metadata.ctx.issues.errors
    records = list(ds.records("samples"))
    assert sorted(r["samples/sample_id"].decode() for r in records) == sorted(multi_target.by_id)
    label = {r["samples/sample_id"].decode(): r["samples/label"].decode() for r in records}
    assert label["benign_1"] == "benign"
    images = list(ds.records("images"))
    assert len(images) == len(multi_target.rows)
    assert isinstance(images[0]["images/content"], Image.Image)
    masks = list(ds.records("masks_liver"))
    assert len(masks) == sum(any(m["target"] == "liver" for m in r["masks"]) for r in multi_target.rows)
    # every sample links to its image record, and a masked sample to its mask record, by sample_id
    image_ids = {r["images/sample_id"].decode() for r in images}
    mask_ids = {r["masks_liver/sample_id"].decode() for r in masks}
    linked = {r["samples/sample_id"].decode(): r["samples/image_file"].decode() for r in records}
    assert all(linked[s] == s and s in image_ids for s in linked)
    assert {r["sample_id"] for r in multi_target.rows if any(m["target"] == "liver" for m in r["masks"])} == mask_ids
    doc = json.loads((multi_target.path / "croissant.json").read_text())
    samples = next(rs for rs in doc["recordSet"] if rs["@id"] == "samples")
    refs = {f["name"]: f["references"]["field"]["@id"] for f in samples["field"] if "references" in f}
    assert refs["image_file"] == "images/sample_id" and refs["masks_liver_file"] == "masks_liver/sample_id"
    assert set(refs) == {"image_file"} | {
        f"{rs['@id']}_file" for rs in doc["recordSet"] if rs["@id"].startswith("masks_")
    }


def test_manifest_is_typed(multi_target):
    table = pq.read_table(multi_target.path / "manifest.parquet")
    assert table.schema.remove_metadata().equals(SCHEMA)
    assert table.schema.field("width").type == pa.int32()
    assert table.schema.metadata[b"usreg.split_kind"] == b"seeded-random"
    assert table.column("sample_id").to_pylist() == sorted(table.column("sample_id").to_pylist())


def test_checksums_cover_every_file(multi_target):
    listed = read_checksums(multi_target.path)
    paths = [p for p in multi_target.path.rglob("*") if p.is_file()]
    files = {p.relative_to(multi_target.path).as_posix() for p in paths if not p.is_symlink()}
    assert set(listed) == files - {"CHECKSUMS.sha256"}
    links = [p for p in paths if p.is_symlink()]
    assert links, "the hf/ view links to the images and masks"
    root = multi_target.path.resolve()
    assert all(p.resolve().relative_to(root).as_posix() in listed for p in links)
    assert verify_checksums(multi_target.path) == []
    assert listed["images/benign_1.png"] == sha256_file(multi_target.path / "images/benign_1.png")
    assert multi_target.by_id["benign_1"]["image_sha256"] == listed["images/benign_1.png"]


def test_metadata_records_entry_class_maps_and_converter(multi_target):
    md = multi_target.metadata
    assert md["entry"]["id"] == "aul" and md["entry"]["license"] == "CC-BY-4.0"
    assert md["targets"]["liver"]["classes"] == {"0": "background", "1": "liver"}
    assert md["labels"] == ["normal", "benign", "malignant"]
    assert md["converter"]["name"] == "aul" and md["schema"] == "usreg-dataset/1"
    assert md["splits"]["kind"] == "seeded-random" and md["splits"]["seed"] == 0


def test_boxes_and_points_survive_the_manifest(tmp_path, convert):
    out = convert(make_entry("fm-uia-2026", "fm-uia-2026"), fm_uia.build(tmp_path / "src").root)
    coco = COCO(str(out.path / "annotations" / "coco_train.json"))
    det = [a for a in coco.loadAnns(coco.getAnnIds()) if coco.loadCats(a["category_id"])[0]["supercategory"] == "box"]
    assert len(det) == 1 and det[0]["bbox"] == [10.0, 20.0, 40.0, 40.0]


def test_croissant_lists_the_descriptor_authors_as_creators():
    from registry.formats.croissant import build_croissant

    entry = {
        "name": "Some set",
        "publications": [
            {
                "title": "A descriptor",
                "role": "descriptor",
                "authors": [
                    {"family": "Rulloni", "given": "V. S.", "orcid": "0000-0002-1825-0097"},
                    {"name": "The Example Consortium"},
                ],
            }
        ],
    }
    doc = build_croissant({"id": "some-set", "version": "1", "entry": entry}, "0" * 64, [])
    assert doc["creator"] == [
        {
            "@type": "sc:Person",
            "name": "V. S. Rulloni",
            "familyName": "Rulloni",
            "givenName": "V. S.",
            "identifier": "https://orcid.org/0000-0002-1825-0097",
        },
        {"@type": "sc:Organization", "name": "The Example Consortium"},
    ]
