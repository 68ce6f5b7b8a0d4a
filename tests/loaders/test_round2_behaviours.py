"""Loader behaviours of issue 12, each on a fixture in the real packaging of the dataset that showed it.

- every pattern match is kept (sibling wrapper folders of different name lengths) and unused files are reported;
- extensions match whatever their case (TN-SCUI 2020 ships ``.PNG``);
- published split lists (txt, json by index, csv), subject tables and patterns, and label tables;
- Roboflow COCO exports' root category is not a class;
- DDTI's processed PNG release converts.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.builders._common import blob_mask, rgb, save, us_image
from tests.loaders.conftest import make_entry

REPO = Path(__file__).resolve().parents[2]


def catalog_entry(entry_id: str):
    """One catalog entry, read and validated on its own (the whole catalog is not needed)."""
    from registry.catalog import parse_entry

    parsed = parse_entry("dataset", REPO / "entries" / "datasets" / f"{entry_id}.yaml", REPO)
    assert parsed.entry is not None, [f.message for f in parsed.errors]
    return parsed.entry


def _pair(root: Path, image: str, mask: str | None, seed: int, fmt: str | None = None) -> None:
    save(root / image, us_image(24, 28, seed), fmt=fmt)
    if mask:
        save(root / mask, blob_mask(24, 28, seed), fmt="PNG" if mask.lower().endswith(".png") else "JPEG")


# --- 1. the matcher keeps every match, and unused files are reported ---------------------------------------------


def two_hospitals(root: Path) -> dict:
    """A multi-centre download: one folder per hospital (names of different lengths), each images/ + masks/."""
    seed = 100
    for hospital, n in (("HospA", 2), ("HospitalBB", 3)):
        for i in range(n):
            seed += 1
            _pair(
                root,
                f"Dataset/{hospital}/images/{hospital}_{i}.png",
                f"Dataset/{hospital}/masks/{hospital}_{i}.png",
                seed,
            )
    save(root / "Dataset/HospitalBB/images/preview_only.png", us_image(24, 28, 9))  # no mask: dropped, with a reason
    save(root / "Dataset/thumbnails/cover.png", us_image(24, 28, 8))  # matched by no pattern
    (root / "Dataset/README.txt").write_text("two hospitals\n")
    return {"samples": 5}


def test_matches_under_sibling_wrappers_of_different_lengths_are_all_kept(tmp_path, convert):
    expected = two_hospitals(tmp_path / "src")
    opts = {"images": "images/{stem}.png", "masks": {"lesion": "masks/{stem}.png"}, "mask": {"threshold": 127}}
    out = convert(make_entry("two-hospitals", "image-mask-folders", opts), tmp_path / "src")
    assert len(out.rows) == expected["samples"]
    assert {r["sample_id"].split("_")[0] for r in out.rows} == {"HospA", "HospitalBB"}
    files = out.metadata["source_files"]
    assert files["dropped"] == 2 and files["other_not_used"] == 1
    reasons = {d["file"]: d["reason"] for d in files["dropped_files"]}
    assert reasons["Dataset/HospitalBB/images/preview_only.png"].startswith("missing_mask")
    assert reasons["Dataset/thumbnails/cover.png"].startswith("layout")
    # files left out on purpose are not dropped
    opts["ignore"] = ["thumbnails/*.png"]
    out = convert(make_entry("two-hospitals", "image-mask-folders", opts), tmp_path / "src", version="2")
    assert out.metadata["source_files"]["dropped"] == 1 and out.metadata["source_files"]["ignored"] == 1


# --- 2. extensions of any case: TN-SCUI 2020 ---------------------------------------------------------------------


def tn_scui(root: Path) -> dict:
    """TNSCUI2020_train/image/*.PNG and mask/*.PNG, train.csv (ID,CATE: 0 benign, 1 malignant)."""
    base = root / "tn-scui2020-train" / "TNSCUI2020_train"
    rows = ["ID,CATE"]
    for i, cate in enumerate([0, 1, 1, 0, 1], start=1):
        _pair(base, f"image/{i}.PNG", f"mask/{i}.PNG", 300 + i, fmt="PNG")
        rows.append(f"{i}.PNG,{cate}")
    (base / "train.csv").write_text("\n".join(rows) + "\n")
    return {"samples": 5, "labels": {"benign": 2, "malignant": 3}}


def test_upper_case_extensions_and_train_csv_labels(tmp_path, convert):
    expected = tn_scui(tmp_path / "src")
    entry = catalog_entry("tn-scui-2020")
    out = convert(entry, tmp_path / "src")
    assert len(out.rows) == expected["samples"]
    labels = [r["label"] for r in out.rows]
    assert {k: labels.count(k) for k in set(labels)} == expected["labels"]
    assert out.metadata["source_files"]["dropped"] == 0
    assert out.checks["labels_in_class_map"]["status"] == "pass"


# --- 5. published split lists, subject ids and label tables ------------------------------------------------------


def tg3k(root: Path) -> dict:
    """tg3k/thyroid-image/N.jpg + thyroid-mask/N.jpg and tg3k-trainval.json of indices into the sorted names."""
    base = root / "Thyroid Dataset" / "tg3k"
    for i in range(12):
        save(base / "thyroid-image" / f"{i:04d}.jpg", rgb(us_image(24, 28, 400 + i)), fmt="JPEG")
        save(base / "thyroid-mask" / f"{i:04d}.jpg", blob_mask(24, 28, 400 + i), fmt="JPEG")
    # indices, as the authors' loader reads them: img_names sorted by int(name), then img_names[i]
    (base / "tg3k-trainval.json").write_text(json.dumps({"train": [0, 1, 2, 3, 4, 5, 6, 7, 10], "val": [8, 9, 11]}))
    return {"samples": 12, "splits": {"train": 9, "val": 3}, "val": {"0008", "0009", "0011"}}


def test_tg3k_trainval_json_indices(tmp_path, convert):
    expected = tg3k(tmp_path / "src")
    out = convert(catalog_entry("tg3k"), tmp_path / "src")
    assert out.splits() == expected["splits"]
    assert {r["sample_id"] for r in out.rows if r["split"] == "val"} == expected["val"]
    assert out.metadata["splits"]["kind"] == "official"


def cesarean(root: Path) -> dict:
    """VOCdevkit_CSD/VOCdevkit_CSD/VOC2007 with ImageSets/Segmentation/{train,val}.txt naming more ids than shipped."""
    base = root / "VOCdevkit_CSD" / "VOCdevkit_CSD" / "VOC2007"
    for i in range(6):
        save(base / "JPEGImages" / f"{i}.jpg", rgb(us_image(24, 28, 500 + i)), fmt="JPEG")
        save(base / "SegmentationClass" / f"{i}.png", (blob_mask(24, 28, 500 + i) > 0).astype(np.uint8))
    (base / "ImageSets" / "Segmentation").mkdir(parents=True)
    (base / "ImageSets" / "Segmentation" / "train.txt").write_text("0\n1\n2\n3\n90\n91\n")
    (base / "ImageSets" / "Segmentation" / "val.txt").write_text("4\n5\n99\n")
    return {"samples": 6, "splits": {"train": 4, "val": 2}}


def test_cesarean_voc_segmentation_lists_with_unreleased_ids(tmp_path, convert):
    expected = cesarean(tmp_path / "src")
    out = convert(catalog_entry("cesarean-scar-defect"), tmp_path / "src")
    assert out.splits() == expected["splits"] and out.metadata["splits"]["kind"] == "official"
    unmatched = out.problems("listed_not_found")
    assert {p["file"].rsplit("/", 1)[1] for p in unmatched} == {"train.txt", "val.txt"}
    assert all(p["severity"] == "warning" for p in unmatched)


def test_label_table_without_header_scoped_by_folder_and_json_folds(tmp_path, convert):
    """TN3K: label4trainval.csv / label4test.csv ('0000.jpg,1', no header); the same names in both folders."""
    base = tmp_path / "src" / "tn3k"
    for part, n in (("trainval", 4), ("test", 2)):
        lines = []
        for i in range(n):
            _pair(
                base,
                f"{part}-image/{i:04d}.jpg",
                f"{part}-mask/{i:04d}.jpg",
                600 + i + (10 if part == "test" else 0),
                "JPEG",
            )
            lines.append(f"{i:04d}.jpg,{(i + (part == 'test')) % 2}")
        (base / f"label4{part}.csv").write_text("\n".join(lines) + "\n")
    (base / "tn3k-trainval-fold0.json").write_text(json.dumps({"train": [0, 1, 2], "val": [3]}))
    out = convert(catalog_entry("tn3k"), tmp_path / "src")
    assert out.splits() == {"train": 3, "val": 1, "test": 2}
    assert out.metadata["labels"] == ["benign", "malignant"]
    assert out.by_id["trainval_0001"]["label"] == "malignant" and out.by_id["trainval_0000"]["label"] == "benign"
    assert out.by_id["test_0000"]["label"] == "malignant" and out.by_id["test_0001"]["label"] == "benign"


def test_subject_table_and_pattern_keep_subjects_in_one_split(tmp_path, convert):
    src = tmp_path / "src"
    # c-trus: original/<ID>.jpg + labels/<ID>.jpg; c-trus.csv: file,quality,quality_name,patient,testitem_in_fold
    rows = ["file,quality,quality_name,patient,testitem_in_fold"]
    for i in range(10):
        name = f"K{i:02d}ABC"
        _pair(src / "c-trus-main", f"original/{name}.jpg", f"labels/{name}.jpg", 700 + i, "JPEG")
        rows.append(f"{name}.jpg,1,medium,{i % 3 + 1},{i % 5}")
    (src / "c-trus-main" / "c-trus.csv").write_text("\n".join(rows) + "\n")
    # the entry also reads the official folds (testitem_in_fold, tests/loaders/test_real_layouts_a.py); without them
    # the subject table alone gives a seeded split that keeps each patient in one split
    entry = catalog_entry("c-trus")
    options = {k: v for k, v in (entry.loader.options or {}).items() if k != "split_lists"}
    entry = entry.model_copy(update={"loader": entry.loader.model_copy(update={"options": options})})
    out = convert(entry, src)
    assert out.metadata["counts"]["subjects"] == 3
    assert out.metadata["splits"]["kind"] == "seeded-subject"
    assert out.checks["subject_leakage"]["status"] == "pass"

    # ccaui: slices of one acquisition: <acquisition>_slice_<n>.png
    src2 = tmp_path / "src2" / "Common Carotid Artery Ultrasound Images"
    for a, acq in enumerate(["202201121748100022VAS", "202201121757530047VAS", "202202071357480035VAS"]):
        for s in range(4):
            name = f"{acq}_slice_{1000 + s * 7}.png"
            _pair(src2, f"US images/{name}", f"Expert mask images/{name}", 800 + a * 10 + s)
    out = convert(catalog_entry("ccaui"), tmp_path / "src2")
    by_acq: dict[str, set[str]] = {}
    for r in out.rows:  # an acquisition is a group of the split, not a subject (11 subjects made 38 acquisitions)
        assert r["subject_id"] is None
        by_acq.setdefault(json.loads(r["extra"])["split_group"], set()).add(r["split"])
    assert len(by_acq) == 3 and all(len(s) == 1 for s in by_acq.values())
    assert out.metadata["splits"]["kind"] == "seeded-group"


def test_split_list_csv_and_bad_options(tmp_path, convert):

    from registry.loaders import validate_options

    src = tmp_path / "src"
    for i in range(4):
        _pair(src, f"img/{i}.png", f"gt/{i}.png", 900 + i)
    (src / "splits.csv").write_text("image;fold\nimg/0.png;TRAIN\nimg/1.png;TRAIN\nimg/2.png;TEST\nimg/3.png;TEST\n")
    opts = {
        "images": "img/{stem}.png",
        "masks": {"m": "gt/{stem}.png"},
        "split_lists": {
            "files": "splits.csv",
            "key": "path",
            "column": "image",
            "split_column": "fold",
            "delimiter": ";",
            "values": {"TRAIN": "train", "TEST": "test"},
        },
    }
    out = convert(make_entry("csv-lists", "image-mask-folders", opts), src)
    assert out.splits() == {"train": 2, "test": 2}
    assert validate_options("image-mask-folders", {**opts, "subject_pattern": "(\\d+)"})
    assert validate_options("image-mask-folders", {**opts, "split_lists": {"files": "x", "key": "bogus"}})
    assert not validate_options("image-mask-folders", {**opts, "split_lists": "ImageSets/{split}.txt"})


def test_fetal_planes_patient_num_keeps_patients_in_one_split(tmp_path, convert):
    """FETAL_PLANES_DB_data.csv (';'-separated, 'Train ' with a trailing space) beside Images/<Image_name>.png."""
    root = tmp_path / "src" / "FETAL_PLANES_ZENODO"
    rows = ["Image_name;Patient_num;Plane;Brain_plane;Operator;US_Machine;Train "]
    planes = ["Fetal abdomen", "Fetal brain", "Maternal cervix", "Fetal femur", "Fetal thorax", "Other"]
    for i in range(8):
        name = f"Patient{i // 2:05d}_Plane{i % 2 + 1}_1_of_1"
        save(root / "Images" / f"{name}.png", us_image(24, 28, 950 + i))
        rows.append(f"{name};{i // 2};{planes[i % 6]};Not A Brain;Op. 1;Voluson E6;{1 if i < 6 else 0}")
    (root / "FETAL_PLANES_DB_data.csv").write_text("\n".join(rows) + "\n")
    out = convert(catalog_entry("fetal-planes-db"), tmp_path / "src")
    assert out.splits() == {"train": 6, "test": 2}
    assert out.metadata["counts"]["subjects"] == 4
    assert out.checks["subject_leakage"]["status"] == "pass"


def test_mmotu_3d_train_val_lists(tmp_path, convert):
    """OTU_3d/images/<n>.JPG, annotations/<n>_binary.PNG, and OTU_3d/train.txt / val.txt listing stems."""
    base = tmp_path / "src" / "OTU_3d"
    for n in range(1, 6):
        save(base / "images" / f"{n}.JPG", rgb(us_image(24, 28, 980 + n)), fmt="JPEG")
        save(base / "annotations" / f"{n}_binary.PNG", blob_mask(24, 28, 980 + n), fmt="PNG")
    (base / "train.txt").write_text("1\n2\n3\n")
    (base / "val.txt").write_text("4\n5\n")
    out = convert(catalog_entry("mmotu-3d"), tmp_path / "src")
    assert out.splits() == {"train": 3, "val": 2} and out.metadata["splits"]["kind"] == "official"


# --- 3. Roboflow COCO: the root category is not a class -----------------------------------------------------------


def test_roboflow_root_category_is_not_a_class(tmp_path, convert):
    """A Roboflow COCO export: train/ valid/ test/ with _annotations.coco.json; category 0 is the project's root."""
    src = tmp_path / "src"
    (src / "README.roboflow.txt").parent.mkdir(parents=True)
    (src / "README.roboflow.txt").write_text("exported via roboflow.com\n")
    counts = {"train": 3, "valid": 1, "test": 1}
    seed = 1000
    for split, n in counts.items():
        images, anns = [], []
        for i in range(n):
            seed += 1
            name = f"kidney{seed}_png.rf.{seed:08x}.jpg"
            save(src / split / name, rgb(us_image(30, 40, seed)), fmt="JPEG")
            images.append({"id": i, "file_name": name, "height": 30, "width": 40})
            anns.append(
                {
                    "id": i,
                    "image_id": i,
                    "category_id": 1,
                    "bbox": [5, 5, 20, 15],
                    "area": 300,
                    "segmentation": [[5, 5, 25, 5, 25, 20, 5, 20]],
                    "iscrowd": 0,
                }
            )
        doc = {
            "categories": [
                {"id": 0, "name": "kidney-organs", "supercategory": "none"},
                {"id": 1, "name": "kidney", "supercategory": "kidney-organs"},
            ],
            "images": images,
            "annotations": anns,
        }
        (src / split / "_annotations.coco.json").write_text(json.dumps(doc))
    out = convert(catalog_entry("us-normal-kidney-roboflow"), src)
    assert out.splits() == {"train": 3, "val": 1, "test": 1}
    assert out.metadata["targets"]["organs"]["classes"] == {"0": "background", "1": "kidney"}
    assert out.metadata["box_categories"] == ["kidney"]
    assert set(np.unique(out.mask(out.rows[0]["sample_id"], "organs"))) == {0, 1}
    assert out.problems("root_category")


# --- 4. DDTI's processed PNG release ------------------------------------------------------------------------------


def test_ddti_processed_png_release(tmp_path, convert):
    """DDTI/1_or_data/image/<n>.PNG + mask/<n>.PNG, a forged category.csv and a README (TN-SCUI 2020 layout)."""
    base = tmp_path / "src" / "DDTI" / "1_or_data"
    names = ["10006", "10008", "101", "107", "122"]
    for k, n in enumerate(names):
        _pair(base, f"image/{n}.PNG", f"mask/{n}.PNG", 1100 + k, fmt="PNG")
    (base / "category.csv").write_text("ID,CATE\n" + "".join(f"{n}.PNG,0\n" for n in names))
    (base.parent / "README.txt").write_text("This folder contains the secondary processed DDTI public thyroid data.\n")
    out = convert(catalog_entry("ddti"), tmp_path / "src")
    assert sorted(out.by_id) == sorted(names)
    assert out.metadata["targets"]["nodule"]["classes"] == {"0": "background", "1": "nodule"}
    assert all(r["label"] is None for r in out.rows)
    assert out.mask("101", "nodule").max() == 1
    assert out.metadata["source_files"]["dropped"] == 0
    assert out.problems("no_subject_ids")


# --- 6. honest results: exit 1 naming the failed check or the dropped files; --keep-going records partial ----------


def test_fetch_and_convert_exit_1_when_files_are_dropped_and_keep_going_records_partial(
    tmp_path, catalog_root, run_cli, usreg_home
):
    import zipfile

    from tests.conftest import minimal_dataset

    two_hospitals(tmp_path / "tree")
    archive = tmp_path / "multicentre.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted((tmp_path / "tree").rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(tmp_path / "tree").as_posix())
    opts = {"images": "images/{stem}.png", "masks": {"lesion": "masks/{stem}.png"}, "mask": {"threshold": 127}}
    catalog_root.dataset(
        minimal_dataset(
            "multicentre",
            version="1",
            sources=[{"kind": "manual", "url": "https://example.org/multicentre", "instructions": "Ask the authors."}],
            loader={"name": "image-mask-folders", "options": opts},
        )
    )
    root = catalog_root.root
    fetched = run_cli("fetch", "multicentre", "--from-file", str(archive), root=root)
    assert fetched.exit_code == 1, fetched.output
    assert "not complete" in fetched.output and "2 source image file(s) were not used" in fetched.output
    assert "is ready" not in fetched.output
    converted = run_cli("convert", "multicentre", root=root)
    assert converted.exit_code == 1 and "missing_mask 1" in converted.output and "layout 1" in converted.output
    assert "not used: Dataset/thumbnails/cover.png" in converted.output
    accepted = run_cli("convert", "multicentre", "--keep-going", "--format", "json", root=root)
    assert accepted.exit_code == 0, accepted.output
    doc = json.loads(accepted.output)
    assert doc["status"]["state"] == "partial" and doc["status"]["dropped_files"] == 2
    metadata = json.loads((usreg_home / "datasets" / "multicentre" / "1" / "metadata.json").read_text())
    assert metadata["status"]["state"] == "partial"
    fetched = run_cli("fetch", "multicentre", "--from-file", str(archive), "--keep-going", root=root)
    assert fetched.exit_code == 0 and "partial (accepted with --keep-going)" in fetched.output

    opts["ignore"] = ["thumbnails/*.png", "images/preview_only.png"]
    catalog_root.dataset(
        minimal_dataset(
            "multicentre",
            version="1",
            sources=[{"kind": "manual", "url": "https://example.org/multicentre", "instructions": "Ask the authors."}],
            loader={"name": "image-mask-folders", "options": opts},
        )
    )
    ready = run_cli("convert", "multicentre", root=root)
    assert ready.exit_code == 0 and "multicentre is ready" in ready.output


# --- 7. collections: every member converted (or its state said), one merged COCO ---------------------------------


def _collection_catalog(catalog_root, tmp_path: Path) -> Path:
    """A collection of four members and a folder holding three members' downloads, as a user would gather them."""
    from tests.conftest import minimal_dataset

    manual = [{"kind": "manual", "url": "https://example.org/data", "instructions": "Register, then download."}]
    seg = {"images": "images/{stem}.png", "masks": {"lesion": "masks/{stem}.png"}, "mask": {"threshold": 127}}
    catalog_root.dataset(
        minimal_dataset(
            "hosp-seg",
            sources=manual,
            loader={"name": "image-mask-folders", "options": {**seg, "subject_pattern": "(?P<subject>p\\d+)_"}},
        )
    )
    catalog_root.dataset(
        minimal_dataset(
            "kidney-rf",
            sources=manual,
            loader={"name": "coco", "options": {"annotations": "{split}/_annotations.coco.json", "target": "organs"}},
        )
    )
    catalog_root.dataset(
        minimal_dataset("broken-one", sources=manual, loader={"name": "image-mask-folders", "options": seg})
    )
    catalog_root.dataset(
        minimal_dataset("hand-only", sources=manual, loader={"name": "image-mask-folders", "options": seg})
    )
    catalog_root.dataset(
        minimal_dataset(
            "mini-43d",
            kind="collection",
            anatomy=["multi"],
            sources=manual,
            relations={"members": ["hosp-seg", "kidney-rf", "broken-one", "hand-only"]},
        )
    )
    folder = tmp_path / "downloads"
    seed = 1200
    for i in range(4):  # subjects: two images each
        seed += 1
        _pair(folder / "hosp-seg" / "Dataset", f"images/p{i // 2}_{i}.png", f"masks/p{i // 2}_{i}.png", seed)
    rf = folder / "kidney-rf"
    for split in ("train", "valid"):
        seed += 1
        name = f"k{seed}.jpg"
        save(rf / split / name, rgb(us_image(30, 40, seed)), fmt="JPEG")
        doc = {
            "categories": [
                {"id": 0, "name": "organs", "supercategory": "none"},
                {"id": 1, "name": "kidney", "supercategory": "organs"},
            ],
            "images": [{"id": 0, "file_name": name, "height": 30, "width": 40}],
            "annotations": [
                {
                    "id": 0,
                    "image_id": 0,
                    "category_id": 1,
                    "bbox": [5, 5, 20, 15],
                    "area": 300,
                    "iscrowd": 0,
                    "segmentation": [[5, 5, 25, 5, 25, 20, 5, 20]],
                }
            ],
        }
        (rf / split / "_annotations.coco.json").write_text(json.dumps(doc))
    (folder / "broken-one").mkdir(parents=True)
    (folder / "broken-one" / "notes.txt").write_text("the images were never uploaded\n")
    return folder


def test_collection_from_a_folder_converts_every_member_and_merges_coco(tmp_path, catalog_root, run_cli, usreg_home):
    from pycocotools.coco import COCO

    folder = _collection_catalog(catalog_root, tmp_path)
    result = run_cli("fetch", "mini-43d", "--from-file", str(folder), "--format", "json", root=catalog_root.root)
    assert result.exit_code == 1, result.output  # broken-one failed; the others were still converted
    doc, _ = json.JSONDecoder().raw_decode(result.stdout[result.stdout.index("{") :])
    states = {m["member"]: m["state"] for m in doc["members"]}
    assert states == {
        "hosp-seg": "converted",
        "kidney-rf": "converted",
        "broken-one": "failed",
        "hand-only": "not-given",
    }
    assert "hand-only" in next(m["step"] for m in doc["members"] if m["member"] == "hand-only")
    merged = usreg_home / "collections" / "mini-43d"
    per_split = {}
    for path in sorted(merged.glob("coco_*.json")):
        coco = COCO(str(path))  # loads in pycocotools
        per_split[path.name] = coco
        for image in coco.dataset["images"]:
            assert (usreg_home / "datasets" / image["file_name"]).is_file()
    train = per_split["coco_train.json"]
    assert {c["name"] for c in train.dataset["categories"]} == {"hosp-seg/foreground", "kidney-rf/kidney"}
    assert {i["dataset"] for i in train.dataset["images"]} <= {"hosp-seg", "kidney-rf"}
    hosp = [i for c in per_split.values() for i in c.dataset["images"] if i["dataset"] == "hosp-seg"]
    assert {i["subject_id"] for i in hosp} == {"p0", "p1"} and all(i["sample_id"] for i in hosp)
    agnostic = per_split["coco_agnostic_train.json"]
    assert [c["name"] for c in agnostic.dataset["categories"]] == ["object"]
    assert agnostic.getAnnIds() and all(a["category_id"] == 1 for a in agnostic.dataset["annotations"])
    total = sum(len(c.dataset["images"]) for n, c in per_split.items() if not n.startswith("coco_agnostic"))
    assert total == 4 + 2
    summary = json.loads((merged / "summary.json").read_text())
    assert summary["counts"] == {"converted": 2, "not-given": 1, "failed": 1}


@pytest.mark.slow  # starts a local Ray instance (about 10 s)
def test_collection_members_run_as_ray_tasks_and_manual_members_say_the_step(tmp_path, catalog_root, usreg_home):
    from registry.catalog import load_catalog
    from registry.collections import fetch_collection

    folder = _collection_catalog(catalog_root, tmp_path)
    catalog = load_catalog(catalog_root.root)
    result = fetch_collection(
        catalog.datasets["mini-43d"], catalog, usreg_home, folder=folder, executor="ray", workers=2
    )
    assert {m.member: m.state for m in result.members}["kidney-rf"] == "converted"
    assert set(result.merged) >= {"per_dataset:train", "agnostic:train"}
    # without a folder, members whose sources need a person are listed with the step
    without = fetch_collection(catalog.datasets["mini-43d"], catalog, usreg_home, executor="local", workers=1)
    states = {m.member: m for m in without.members}
    assert states["hosp-seg"].state == "converted"  # from the files ingested above, now in the cache
    assert states["hand-only"].state == "manual" and "Register, then download." in states["hand-only"].step


def test_files_a_converter_leaves_out_on_purpose_are_not_dropped(tmp_path):
    from registry.loaders.base import CommonOptions, ConvertContext, Item
    from registry.loaders.common import image_decode
    from registry.loaders.pipeline import SourceUsage

    for name in ("p1_ED.png", "p1_half_sequence.png", "p1_stray.png"):
        save(tmp_path / name, us_image(8, 8, 1))
    ctx = ConvertContext(tmp_path, None, CommonOptions(), "camus-like")
    ctx.ignore_file(tmp_path / "p1_half_sequence.png", "only the ED and ES frames are converted")
    usage = SourceUsage(ctx, [])
    list(usage.track([Item("p1_ED", image_decode(ctx, tmp_path / "p1_ED.png"), "p1_ED.png")]))
    report = usage.report([], {"p1_ED"})
    assert report["used"] == 1 and report["ignored"] == 1
    assert report["dropped"] == 1 and report["dropped_files"][0]["file"] == "p1_stray.png"
