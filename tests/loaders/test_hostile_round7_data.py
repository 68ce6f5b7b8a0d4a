"""Hostile input, round 7: hostile data inside downloads that unpacked fine, as the converters read them.

Every case runs the real CLI (``usreg convert ID --source DIR``) in a child process held to ``MEMORY`` bytes of
address space and ``TIMEOUT`` seconds, on a fixture built at test time in the layout of a real loader. Each docstring
says what the case did before this round.
"""

from __future__ import annotations

import gzip
import json
import resource
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import minimal_dataset
from tests.fixtures.builders import camus

MEMORY = 3 << 30  # address space a case may add: a header that makes a reader allocate gigabytes fails, not the machine
TIMEOUT = 30
CLASSES = {"classes": [{"id": 0, "name": "background"}, {"id": 1, "name": "lesion"}]}

pytestmark = pytest.mark.timeout(TIMEOUT)


@pytest.fixture
def bounded() -> Iterator[None]:
    """The test's process may grow by ``MEMORY`` bytes of address space at most (restored afterwards)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    status = Path("/proc/self/status").read_text().splitlines()
    size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize"))
    resource.setrlimit(
        resource.RLIMIT_AS, (size + MEMORY if hard == resource.RLIM_INFINITY else min(hard, size + MEMORY), hard)
    )
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _convert(catalog_root, run_cli, entry: dict, source: Path, *extra: str):
    """``usreg convert ID --source SOURCE --workers 1 [EXTRA]`` through the CLI, the entry written to the catalog."""
    catalog_root.dataset(entry)
    return run_cli("convert", entry["id"], "--source", source, "--workers", "1", *extra, root=catalog_root.root)


def _metadata(home: Path, entry_id: str) -> dict:
    return json.loads((home / "datasets" / entry_id / "latest" / "metadata.json").read_text())


def _problems(home: Path, entry_id: str) -> list[tuple[str, str, str]]:
    return [(p["kind"], p["file"], p["message"]) for p in _metadata(home, entry_id)["problems"]]


def _png(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return path


def _grey(value: int, h: int = 20, w: int = 30) -> np.ndarray:
    return np.full((h, w), value, np.uint8)


# -- COCO: names of files outside the download, records of the wrong shape, NaN coordinates ---------------------------
def _coco(source: Path, images: list[dict], annotations: list) -> None:
    _png(source / "images" / "a.png", _grey(100))
    doc = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "lesion"}]}
    (source / "ann.json").write_text(json.dumps(doc))  # json writes NaN and Infinity as Python reads them back


def _coco_entry(entry_id: str) -> dict:
    return minimal_dataset(
        entry_id, annotation=CLASSES, loader={"name": "coco", "options": {"annotations": "ann.json"}}
    )


def test_coco_file_name_outside_the_download_is_never_converted(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """A COCO ``file_name`` of ``/home/me/photo.png`` or ``../photo.png`` was converted into the dataset: the
    converter looked the name up wherever it pointed, so any image on the computer could be published with it."""
    private = _png(tmp_path / "private" / "photo.png", _grey(7))
    _png(tmp_path / "outside.png", _grey(9))
    source = tmp_path / "source"
    images = [
        {"id": 1, "file_name": "images/a.png", "width": 30, "height": 20},
        {"id": 2, "file_name": str(private), "width": 30, "height": 20},
        {"id": 3, "file_name": "../outside.png", "width": 30, "height": 20},
    ]
    _coco(source, images, [])
    done = _convert(catalog_root, run_cli, _coco_entry("coco-far"), source, "--keep-going")
    assert done.exit_code == 0, done.output
    rows = sorted((usreg_home / "datasets" / "coco-far" / "latest" / "images").iterdir())
    assert [p.name for p in rows] == ["a.png"]  # neither outside image was converted
    far = [m for kind, file, m in _problems(usreg_home, "coco-far") if kind == "annotation_unreadable"]
    assert len(far) == 2 and all("outside the download; the sample is skipped" in m for m in far)
    assert any(str(private) in m for m in far) and any(str(tmp_path / "outside.png") in m for m in far)
    plain = run_cli("convert", "coco-far", "--source", source, "--workers", "1", root=catalog_root.root)
    assert plain.exit_code == 1, plain.output  # without --keep-going the skipped samples make it partial


def test_coco_records_of_the_wrong_shape_are_reported_and_the_rest_converted(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """Each of these stopped the whole conversion with a Python traceback (ValueError, AttributeError, TypeError);
    a NaN or infinite box became a box over the whole image width ('clipped'), a negative-size box was flipped into
    another box silently, and a NaN polygon drew nothing, silently."""
    source = tmp_path / "source"
    _png(source / "images" / "b.png", _grey(120))
    nan, inf = float("nan"), float("inf")
    ann = [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": ["a", 0, 5, 5]},
        5,
        {"id": 3, "image_id": 1, "category_id": 1, "segmentation": [5]},
        {"id": 4, "image_id": 1, "category_id": [1]},
        {"id": 5, "image_id": 1, "category_id": 1, "bbox": [nan, 0, 5, 5]},
        {"id": 6, "image_id": 1, "category_id": 1, "bbox": [0, 0, inf, 5]},
        {"id": 7, "image_id": 1, "category_id": 1, "bbox": [10, 10, -5, -5]},
        {"id": 8, "image_id": 1, "category_id": 1, "bbox": [2, 2, 4, 4]},
        {"id": 9, "image_id": 2, "category_id": 1, "segmentation": [[nan, 0, 5, 5, 0, 5]]},
    ]
    images = [
        {"id": 1, "file_name": "images/a.png", "width": 30, "height": "x"},
        {"id": 2, "file_name": "images/b.png", "width": 30, "height": 20},
    ]
    _coco(source, images, ann)
    done = _convert(catalog_root, run_cli, _coco_entry("coco-shapes"), source, "--keep-going")
    assert done.exit_code == 0, done.output
    rows = {r["sample_id"]: r for r in _rows(usreg_home, "coco-shapes")}
    assert list(rows) == ["a"]  # b's only annotation is a NaN polygon: reported, the sample skipped
    assert [(b["x_min"], b["y_min"], b["x_max"], b["y_max"]) for b in rows["a"]["boxes"]] == [(2.0, 2.0, 6.0, 6.0)]
    found = _problems(usreg_home, "coco-shapes")
    text = "\n".join(f"{k} {f} {m}" for k, f, m in found)
    assert "annotation 1: bbox ['a', 0, 5, 5] is not [x, y, width, height]" in text
    assert "an annotation that is not a COCO record (5)" in text
    assert "annotation 3: a malformed segmentation" in text
    assert "annotation 4 has category [1], which the file does not define" in text
    assert "(nan, 0, nan, 5) has a coordinate that is not a number; dropped" in text
    assert "(0, 0, inf, 5) has a coordinate that is not a number; dropped" in text
    assert "annotation 7: bbox [10, 10, -5, -5] is not [x, y, width, height]" in text
    assert "a polygon has a coordinate that is not a number (NaN or infinite)" in text


def _rows(home: Path, entry_id: str) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(home / "datasets" / entry_id / "latest" / "manifest.parquet").to_pylist()


def test_coco_polygon_of_too_many_points_is_refused_for_its_sample(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """A polygon of millions of points was drawn point by point (2 million points took 7 s, 10 million minutes);
    one over ``MAX_POLYGON_POINTS`` is now reported against its sample, and the other samples convert."""
    from registry.loaders.decode import MAX_POLYGON_POINTS

    source = tmp_path / "source"
    _png(source / "images" / "b.png", _grey(120))
    huge = np.random.default_rng(0).uniform(0, 20, 2 * (MAX_POLYGON_POINTS + 1)).round(1).tolist()
    images = [
        {"id": 1, "file_name": "images/a.png", "width": 30, "height": 20},
        {"id": 2, "file_name": "images/b.png", "width": 30, "height": 20},
    ]
    ann = [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [huge]}]
    _coco(source, images, ann)
    done = _convert(catalog_root, run_cli, _coco_entry("coco-points"), source, "--keep-going")
    assert done.exit_code == 0, done.output
    assert [r["sample_id"] for r in _rows(usreg_home, "coco-points")] == ["b"]
    assert any(
        f"a polygon of {MAX_POLYGON_POINTS + 1:,} points, over the limit" in m
        for _, _, m in _problems(usreg_home, "coco-points")
    )


# -- Pascal VOC: entities, NaN coordinates ---------------------------------------------------------------------------
def _voc(catalog_root, run_cli, tmp_path: Path, entry_id: str, xml: dict[str, str]):
    source = tmp_path / "source"
    for stem, text in xml.items():
        _png(source / "JPEGImages" / f"{stem}.png", _grey(100))
        (source / "Annotations").mkdir(parents=True, exist_ok=True)
        (source / "Annotations" / f"{stem}.xml").write_text(text)
    entry = minimal_dataset(
        entry_id,
        tasks=["detection"],
        loader={"name": "pascal-voc", "options": {"images": "JPEGImages/{stem}.png", "classes": ["lesion"]}},
    )
    return _convert(catalog_root, run_cli, entry, source, "--keep-going")


def _object(xmin: str) -> str:
    return (
        f"<annotation><object><name>lesion</name><bndbox><xmin>{xmin}</xmin><ymin>1</ymin><xmax>5</xmax>"
        "<ymax>5</ymax></bndbox></object></annotation>"
    )


def test_voc_entities_are_never_expanded_or_fetched(catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path):
    """Passed before this round (Python's expat refuses both): an external entity naming a local file (XXE) is not
    read into the dataset, and nested entities (billion laughs) are refused, each reported against its XML file."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    xxe = f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]>' + _object("1").replace(
        "<name>lesion", "<name>&x;"
    )
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    lol = f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY l0 "lol">{laughs}]><annotation><name>&l9;</name></annotation>'
    done = _voc(catalog_root, run_cli, tmp_path, "voc-entities", {"a": xxe, "b": lol, "c": _object("1")})
    assert done.exit_code == 0, done.output
    found = {f: m for k, f, m in _problems(usreg_home, "voc-entities") if k == "annotation_unreadable"}
    assert "undefined entity" in found["Annotations/a.xml"]
    assert "amplification" in found["Annotations/b.xml"]
    assert "SECRET-CONTENT" not in (usreg_home / "datasets" / "voc-entities" / "latest" / "metadata.json").read_text()


def test_voc_box_with_a_nan_coordinate_is_dropped_not_stretched(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """``<xmin>nan</xmin>`` compared as inside the image and became x_min 0: a box from the left edge, 'clipped'."""
    done = _voc(catalog_root, run_cli, tmp_path, "voc-nan", {"a": _object("nan"), "b": _object("1")})
    assert done.exit_code == 0, done.output
    boxes = {r["sample_id"]: r["boxes"] for r in _rows(usreg_home, "voc-nan")}
    assert boxes["a"] == [] and len(boxes["b"]) == 1
    assert ("box_outside", "Annotations/a.xml") in {(k, f) for k, f, _ in _problems(usreg_home, "voc-nan")}


# -- volumes: headers that name outside files, declare terabytes or a million frames, or lie about their length -----
def _folders_entry(entry_id: str, images: str) -> dict:
    return minimal_dataset(
        entry_id, tasks=["classification"], loader={"name": "image-mask-folders", "options": {"images": images}}
    )


def test_volume_headers_that_lie_are_refused(catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path):
    """An .nrrd whose 'data file: ../secret.raw' came after 64 KiB of comments read that file into the dataset (only
    the first 64 KiB were looked at); an uncompressed .nii shorter than its header declares became an image of
    zeros, silently; a .nii.gz of a few kB declaring 1250^3 float64 values (15.6 GB) passed the values limit (2^31)
    and SimpleITK allocated it."""
    import SimpleITK as sitk

    source = tmp_path / "source"
    (source / "v").mkdir(parents=True)
    (tmp_path / "source" / "secret.raw").write_bytes(bytes(range(256)) * 4)
    comments = ("#" + "c" * 1000 + "\n") * 70
    (source / "v" / "far.nrrd").write_text(
        f"NRRD0004\ntype: uint8\ndimension: 2\nsizes: 32 32\nencoding: raw\n{comments}data file: ../secret.raw\n"
    )
    sitk.WriteImage(sitk.GetImageFromArray(np.full((4, 5, 6), 50, np.uint8)), str(tmp_path / "ok.nii"))
    header = bytearray((tmp_path / "ok.nii").read_bytes())
    short = bytearray(header)
    struct.pack_into("<8h", short, 40, 3, 100, 100, 100, 1, 1, 1, 1)
    (source / "v" / "short.nii").write_bytes(bytes(short[:352]))
    huge = bytearray(header[:352])
    struct.pack_into("<8h", huge, 40, 3, 1250, 1250, 1250, 1, 1, 1, 1)
    struct.pack_into("<2h", huge, 70, 64, 64)  # float64
    (source / "v" / "huge.nii.gz").write_bytes(gzip.compress(bytes(huge) + bytes(1 << 16)))
    sitk.WriteImage(sitk.GetImageFromArray(np.full((20, 30), 60, np.uint8)), str(source / "v" / "plain.nii"))
    done = _convert(catalog_root, run_cli, _folders_entry("vol", "v/{stem}.{ext}"), source, "--keep-going")
    assert done.exit_code == 0, done.output
    assert [r["sample_id"] for r in _rows(usreg_home, "vol")] == ["plain"]
    found = {f: m for k, f, m in _problems(usreg_home, "vol") if k == "unreadable"}
    assert "reads its data from '../secret.raw', outside its folder" in found["v/far.nrrd"]
    assert "the volume is truncated: its header declares 1,000,000 bytes" in found["v/short.nii"]
    assert "over the limit of 2,147,483,648 bytes of pixel data (15,625,000,000 bytes)" in found["v/huge.nii.gz"]


def test_a_sequence_declaring_200000_frames_is_refused_not_enumerated(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """CAMUS makes one sample per frame of a sequence; a 1 x 1 x 200,000 sequence (a few kB) made 200,000 samples
    (the conversion ran past the time limit), and a sequence header SimpleITK could not read stopped the conversion
    with a RuntimeError traceback."""
    source = tmp_path / "source"
    camus.build(source, sequence_frames=2)
    folder = source / "database_nifti" / "patient0001"
    (folder / "patient0001_2CH_half_sequence.nii.gz").unlink()
    (folder / "patient0001_2CH_half_sequence.mha").write_bytes(
        b"ObjectType = Image\nNDims = 3\nDimSize = 1 1 200000\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n"
        + bytes(200_000)
    )
    (folder / "patient0001_4CH_half_sequence.nii.gz").write_bytes(b"not a volume")
    entry = minimal_dataset("camus-seq", anatomy=["heart"], loader={"name": "camus", "options": {"frames": "sequence"}})
    done = _convert(catalog_root, run_cli, entry, source, "--keep-going")
    assert done.exit_code == 0, done.output
    found = {f.rsplit("/", 1)[-1]: m for k, f, m in _problems(usreg_home, "camus-seq") if k == "unreadable"}
    assert "declares 200,000 frames, over the limit of 100,000" in found["patient0001_2CH_half_sequence.mha"]
    assert "cannot read the volume" in found["patient0001_4CH_half_sequence.nii.gz"]
    assert len(_rows(usreg_home, "camus-seq")) == 8  # the other patients' two views, two frames each
