"""Hostile input, round 7: hostile data inside downloads that unpacked fine, as the converters read them.

Every case runs the real CLI (``usreg convert ID --source DIR``, one worker, so decoding happens in this process) on
a fixture built at test time in the layout of a real loader, with the process held to ``MEMORY`` more bytes of
address space (``bounded``) and the test to ``TIMEOUT`` seconds (pytest-timeout). Each docstring says what the case
did before this round; the cases that already passed say so.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import resource
import struct
import zlib
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


def test_coco_rle_of_another_size_or_with_bad_runs_is_refused_for_its_sample(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """An RLE declaring 100000 x 100000 pixels on a 30 x 20 image was decoded before its size was compared (10 GB;
    here a MemoryError reported as a converter bug); runs that are negative or longer than the image gave a wrong
    mask, silently. Each is now reported against its sample, and the valid RLE converts."""
    source = tmp_path / "source"
    for stem in "bcd":
        _png(source / "images" / f"{stem}.png", _grey(120))
    images = [{"id": n, "file_name": f"images/{s}.png", "width": 30, "height": 20} for n, s in enumerate("abcd", 1)]
    ann = [
        {"id": 1, "image_id": 1, "category_id": 1, "segmentation": {"size": [100000, 100000], "counts": [5, 5]}},
        {"id": 2, "image_id": 2, "category_id": 1, "segmentation": {"size": [20, 30], "counts": [50, -10, 560]}},
        {"id": 3, "image_id": 3, "category_id": 1, "segmentation": {"size": [20, 30], "counts": [50, 10, 9999]}},
        {"id": 4, "image_id": 4, "category_id": 1, "segmentation": {"size": [20, 30], "counts": [50, 10, 540]}},
    ]
    _coco(source, images, ann)
    done = _convert(catalog_root, run_cli, _coco_entry("coco-rle"), source, "--keep-going")
    assert done.exit_code == 0, done.output
    rows = _rows(usreg_home, "coco-rle")
    assert [r["sample_id"] for r in rows] == ["d"]
    found = {f: (k, m) for k, f, m in _problems(usreg_home, "coco-rle") if k != "rescaled"}
    assert found["images/a.png"][0] == "size_mismatch" and "[100000, 100000]" in found["images/a.png"][1]
    for stem in "bc":
        kind, message = found[f"images/{stem}.png"]
        assert kind == "annotation_unreadable" and "negative, not whole numbers or too long" in message, message


def test_coco_file_nested_too_deep_is_reported_and_the_other_converted(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """A COCO file of 100,000 nested lists (200 kB) stopped the conversion with a RecursionError traceback from
    json.loads; it is now reported as not readable and the other split's file converts."""
    source = tmp_path / "source"
    _coco(source, [{"id": 1, "file_name": "images/a.png", "width": 30, "height": 20}], [])
    (source / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    options = {"annotations": {"train": "ann.json", "test": "deep.json"}}
    entry = minimal_dataset("coco-deep", annotation=CLASSES, loader={"name": "coco", "options": options})
    done = _convert(catalog_root, run_cli, entry, source, "--keep-going")
    assert done.exit_code == 0, done.output
    assert [r["sample_id"] for r in _rows(usreg_home, "coco-deep")] == ["a"]
    found = {f: m for k, f, m in _problems(usreg_home, "coco-deep") if k == "annotation_unreadable"}
    assert found["deep.json"].startswith("not a readable COCO JSON file: maximum recursion depth exceeded")


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


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` pixels, with a few bytes of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(4))) + chunk(b"IEND", b"")


def test_image_header_declaring_gigapixels_read_by_a_converter_is_reported(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """NNUS reads each image's size for its YOLO boxes in the converter: a 200-byte PNG declaring 100000 x 100000
    pixels stopped the conversion with a DecompressionBombError traceback (Pillow's refusal, not an OSError)."""
    root = tmp_path / "source" / "NNUS"
    (root / "images").mkdir(parents=True)
    (root / "images" / "0001.png").write_bytes(_png_declaring(100_000, 100_000))
    _png(root / "images" / "0002.png", _grey(90))
    (root / "labels").mkdir()
    (root / "labels" / "classes.txt").write_text("thyroid\n")
    for stem in ("0001", "0002"):
        (root / "labels" / f"{stem}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    entry = minimal_dataset("nnus-bomb", anatomy=["thyroid"], tasks=["detection"], loader={"name": "nnus-neck"})
    done = _convert(catalog_root, run_cli, entry, tmp_path / "source", "--keep-going")
    assert done.exit_code == 0, done.output
    assert [r["sample_id"] for r in _rows(usreg_home, "nnus-bomb")] == ["0002"]
    found = {f: m for k, f, m in _problems(usreg_home, "nnus-bomb") if k == "unreadable"}
    assert "cannot read the image size: Image size (10000000000 pixels) exceeds limit" in found["NNUS/images/0001.png"]


def test_mask_declaring_gigapixels_in_a_converters_own_decoder_is_unreadable(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """STU-Hospital resizes its masks with a decoder of its own: a mask PNG declaring 100000 x 100000 pixels was
    reported as a 'converter_error' (DecompressionBombError, a converter bug to the report) instead of an unreadable
    mask file."""
    hospital = tmp_path / "source" / "Hospital"
    for n in ("1", "2"):
        _png(hospital / f"Test_Image_{n}.png", _grey(100))
    (hospital / "mask_1.png").write_bytes(_png_declaring(100_000, 100_000))
    _png(hospital / "mask_2.png", _grey(255))
    entry = minimal_dataset("stu-bomb", loader={"name": "stu-hospital"})
    done = _convert(catalog_root, run_cli, entry, tmp_path / "source", "--keep-going")
    assert done.exit_code == 0, done.output
    assert [r["sample_id"] for r in _rows(usreg_home, "stu-bomb")] == ["2"]
    ((kind, message),) = [(k, m) for k, f, m in _problems(usreg_home, "stu-bomb") if f == "Hospital/Test_Image_1.png"]
    assert kind == "unreadable" and message.startswith("mask 'lesion' (Hospital/mask_1.png): refused to decode")


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
    sitk.WriteImage(sitk.GetImageFromArray(np.arange(600, dtype=np.int16).reshape(20, 30)), str(tmp_path / "i16.nii"))
    scaled = bytearray((tmp_path / "i16.nii").read_bytes())
    struct.pack_into("<ff", scaled, 112, 0.5, 1.0)  # scl_slope, scl_inter: read as float32, twice the bytes on disk
    (source / "v" / "scaled.nii").write_bytes(bytes(scaled))
    done = _convert(catalog_root, run_cli, _folders_entry("vol", "v/{stem}.{ext}"), source, "--keep-going")
    assert done.exit_code == 0, done.output
    assert [r["sample_id"] for r in _rows(usreg_home, "vol")] == ["plain", "scaled"]
    found = {f: m for k, f, m in _problems(usreg_home, "vol") if k == "unreadable"}
    assert "reads its data from '../secret.raw', outside its folder" in found["v/far.nrrd"]
    assert "the volume is truncated: its header declares 1,000,000 bytes" in found["v/short.nii"]
    assert "over the limit of 2,147,483,648 bytes of pixel data (15,625,000,000 bytes)" in found["v/huge.nii.gz"]


def test_minc_volume_keeping_its_data_outside_itself_is_refused(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """A MINC 2 file is HDF5: its image dataset stored in an external raw file (any file on this computer) or linked
    to another file's dataset was read by SimpleITK into the converted dataset (BITE's slices held the bytes of
    the named file). Every volume that is an HDF5 file is now checked as the HDF5 converters' files are."""
    import h5py
    import SimpleITK as sitk

    secret = tmp_path / "secret.raw"
    secret.write_bytes(bytes([66]) * 120)
    sitk.WriteImage(sitk.GetImageFromArray(np.full((4, 5, 6), 77, np.uint8)), str(tmp_path / "other.mnc"))
    subject = tmp_path / "source" / "group1" / "01"
    for stem in ("far", "linked", "ok"):
        (subject / "2D").mkdir(parents=True, exist_ok=True)
        sitk.WriteImage(sitk.GetImageFromArray(np.full((4, 5, 6), 9, np.uint8)), str(subject / "2D" / f"{stem}.mnc"))
    with h5py.File(subject / "2D" / "far.mnc", "r+") as f:
        group = f["minc-2.0/image/0"]
        attrs, dtype = dict(group["image"].attrs), group["image"].dtype
        del group["image"]
        stored = group.create_dataset("image", shape=(4, 5, 6), dtype=dtype, external=[(str(secret), 0, 120)])
        stored.attrs.update(attrs)
    with h5py.File(subject / "2D" / "linked.mnc", "r+") as f:
        del f["minc-2.0/image/0/image"]
        f["minc-2.0/image/0/image"] = h5py.ExternalLink(str(tmp_path / "other.mnc"), "/minc-2.0/image/0/image")
    entry = minimal_dataset("bite-far", anatomy=["brain"], tasks=["classification"], loader={"name": "bite"})
    done = _convert(catalog_root, run_cli, entry, tmp_path / "source", "--keep-going")
    assert done.exit_code == 0, done.output
    assert [r["source_file"] for r in _rows(usreg_home, "bite-far")] == ["group1/01/2D/ok.mnc"]
    found = {f: m for k, f, m in _problems(usreg_home, "bite-far") if k == "unreadable"}
    assert f"keeps its data in {str(secret)!r}, outside this file; refused" in found["group1/01/2D/far.mnc"]
    assert f"is a link to {tmp_path / 'other.mnc'}, outside this file" in found["group1/01/2D/linked.mnc"]


def test_float_images_with_nan_or_infinite_pixels_keep_their_other_pixels(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """One infinite pixel in a float volume made the min-max rescaling turn the whole image black (reported only as
    'rescaled', an info); an image of NaN only became black too. The other pixels now keep their values, the NaN or
    infinite ones are reported, and an image with no finite pixel is unreadable."""
    import SimpleITK as sitk

    source = tmp_path / "source" / "v"
    source.mkdir(parents=True)
    ramp = np.tile(np.linspace(0.0, 1.0, 30, dtype=np.float32), (20, 1))
    ramp[0, 0] = np.inf
    sitk.WriteImage(sitk.GetImageFromArray(ramp), str(source / "ramp.mha"))
    sitk.WriteImage(sitk.GetImageFromArray(np.full((20, 30), np.nan, np.float32)), str(source / "nan.mha"))
    done = _convert(
        catalog_root, run_cli, _folders_entry("floats", "v/{stem}.mha"), tmp_path / "source", "--keep-going"
    )
    assert done.exit_code == 0, done.output
    (row,) = _rows(usreg_home, "floats")
    image = np.asarray(Image.open(usreg_home / "datasets" / "floats" / "latest" / row["image"]))
    assert image[5, 0] == 0 and image[5, -1] == 255 and image[0, 0] == 0  # the ramp, not a black image
    found = {(k, f): m for k, f, m in _problems(usreg_home, "floats")}
    assert (
        found[("non_finite_pixels", "v/ramp.mha")] == "1 pixel(s) are NaN or infinite; set to the image's lowest value"
    )
    assert found[("unreadable", "v/nan.mha")] == "every pixel is NaN or infinite"


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


# -- DICOM: headers that lie about their frames and size, a deflated bomb ----------------------------------------------
def _dicom(
    path: Path, rows: int, columns: int, frames: object, pixels: bytes, syntax: str = "", **more: object
) -> None:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.TransferSyntaxUID = syntax or ExplicitVRLittleEndian
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"  # Ultrasound Multi-frame Image Storage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    ds = Dataset()
    ds.file_meta = meta
    ds.Modality, ds.PatientID, ds.SeriesInstanceUID = "US", path.stem, generate_uid()
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = rows, columns, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.NumberOfFrames = 1000 if frames != 1 else 1  # 1000: four characters, replaced below as the file holds them
    for key, value in more.items():
        setattr(ds, key, value)
    if syntax and syntax != "1.2.840.10008.1.2.1.99":  # encapsulated: one fragment per frame
        ds.PixelData = encapsulate([pixels] * 3)
        ds["PixelData"].VR, ds["PixelData"].is_undefined_length = "OB", True
    else:
        ds.PixelData = pixels
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    if frames not in (1, 1000):  # a value pydicom would not write (words, a negative number)
        element = b"\x28\x00\x08\x00IS\x04\x00"
        path.write_bytes(path.read_bytes().replace(element + b"1000", element + str(frames).encode().ljust(4)))


@pytest.mark.filterwarnings("ignore:Invalid value for VR IS")
def test_dicom_headers_that_lie_are_refused_before_decoding(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path, monkeypatch
):
    """ReMIND reads each .dcm header, then its frames. A NumberOfFrames of 'abc' stopped the conversion with a
    ValueError traceback, and one of -3 left the file out without a word; a JPEG file declaring 3 frames of
    60000 x 60000 made pydicom allocate 10.8 GB before decoding (here: 'Unable to allocate'); a deflated file
    (the whole data set zlib-compressed) was inflated whole in memory, whatever its size."""
    import pydicom.uid

    monkeypatch.setattr("registry.loaders.decode.MAX_VOLUME_BYTES", 16 << 20, raising=False)  # 64 MiB shows it
    source = tmp_path / "source"
    _dicom(source / "ok.dcm", 8, 8, 2, bytes(range(128)))
    _dicom(source / "words.dcm", 8, 8, "abc", bytes(64))
    _dicom(source / "negative.dcm", 8, 8, -3, bytes(64))
    jpeg = io.BytesIO()
    Image.fromarray(_grey(9, 8, 8)).save(jpeg, "JPEG")
    _dicom(source / "huge.dcm", 60000, 60000, 3, jpeg.getvalue(), syntax=pydicom.uid.JPEGBaseline8Bit)
    _dicom(source / "bomb.dcm", 8, 8, 1, bytes(64), syntax=pydicom.uid.DeflatedExplicitVRLittleEndian)
    bomb = pydicom.dcmread(source / "bomb.dcm")
    bomb.add_new(0x00091010, "OB", bytes(64 << 20))  # a private element of zeros: 64 MiB inflated, 64 kB deflated
    bomb.save_as(source / "bomb.dcm")
    assert (source / "bomb.dcm").stat().st_size < 1 << 20
    entry = minimal_dataset("remind-lies", anatomy=["brain"], loader={"name": "remind", "options": {"slices": 2}})
    done = _convert(catalog_root, run_cli, entry, source, "--keep-going")
    assert done.exit_code == 0, done.output
    assert sorted(r["source_file"] for r in _rows(usreg_home, "remind-lies")) == ["ok.dcm", "ok.dcm"]
    found = {f: m for k, f, m in _problems(usreg_home, "remind-lies") if k == "unreadable"}
    assert found["words.dcm"] == found["negative.dcm"] == "not a readable DICOM file; skipped"
    assert "declares 3 frame(s) of 60000x60000 pixels (10,800,000,000 bytes), over the limit" in found["huge.dcm"]
    assert f"the deflated DICOM file inflates past {16 << 20:,} bytes; refused" in found["bomb.dcm"]


# -- video: a canvas of 256 megapixels, 100,000 frames ----------------------------------------------------------------
def _gif(width: int, height: int, frames: int) -> bytes:
    """A GIF of ``frames`` frames of one 1 x 1 pixel each on a ``width`` x ``height`` canvas (13 bytes a frame)."""
    head = b"GIF89a" + struct.pack("<HH", width, height) + bytes([0xF0, 0, 0, 0, 0, 0, 255, 255, 255])
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = (
        b"\x21\xf9\x04\x00\x0a\x00\x00\x00" + b"\x2c" + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00\x02\x02\x44\x01\x00"
    )
    return head + loop + frame * frames + b"\x3b"


def test_gif_of_a_huge_canvas_is_refused_and_one_of_100000_frames_is_sampled(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """A 40 kB GIF on a 16000 x 16000 canvas decoded every picked frame to 768 MB of RGB (FFmpeg accepts canvases up
    to 268 megapixels); it is refused from the stream's size. A GIF of 100,000 frames (1.3 MB) passed before: the
    frame count is bounded (MAX_PACKETS) and only the picked frames are decoded."""
    videos = tmp_path / "source" / "data" / "pocus_videos" / "convex"
    videos.mkdir(parents=True)
    (videos / "Cov_wide.gif").write_bytes(_gif(16000, 16000, 3))
    (videos / "Reg_many.gif").write_bytes(_gif(8, 8, 100_000))
    entry = minimal_dataset("pocus-lies", anatomy=["lung"], tasks=["classification"], loader={"name": "pocus-covid19"})
    done = _convert(catalog_root, run_cli, entry, tmp_path / "source", "--keep-going")
    assert done.exit_code == 0, done.output
    rows = _rows(usreg_home, "pocus-lies")
    assert len(rows) == 30 and {r["subject_id"] for r in rows} == {"Reg_many"}  # max_frames, at 3 per second
    found = {f: m for k, f, m in _problems(usreg_home, "pocus-lies") if k == "unreadable"}
    assert "the video's frames are 16000x16000 pixels, over the limit" in found["data/pocus_videos/convex/Cov_wide.gif"]


def test_whole_video_and_mat_mask_reads_are_bounded(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path, monkeypatch
):
    """Two converters read whole files past the shared bounds: EchoNet-Dynamic decoded every frame of a video into
    memory (a 40 kB GIF-in-AVI on a 16000 x 16000 canvas: 768 MB a frame, then np.stack copied them all), and HMC-QU
    loaded each mask .mat with scipy whole (a 10 MB file of compressed zeros unpacks to 10 GB; the bound the other
    MATLAB readers have was skipped). Both now refuse, naming the file, and the other videos convert."""
    from tests.loaders.test_loaders_round2_more import _hmc_qu
    from tests.loaders.test_loaders_ultrasam import _echonet_dynamic

    _echonet_dynamic(tmp_path / "echo")
    echo = tmp_path / "echo" / "EchoNet-Dynamic.zip"
    (echo / "EchoNet-Dynamic" / "Videos" / "0X1A.avi").write_bytes(_gif(16000, 16000, 3))
    entry = minimal_dataset("echo-wide", anatomy=["heart"], loader={"name": "echonet-dynamic"})
    done = _convert(catalog_root, run_cli, entry, echo, "--keep-going")
    assert done.exit_code == 0, done.output
    assert {r["subject_id"] for r in _rows(usreg_home, "echo-wide")} == {"0X2B", "0X3C"}
    found = {f: m for k, f, m in _problems(usreg_home, "echo-wide") if k == "unreadable"}
    assert "frames are 16000x16000 pixels, over the limit" in found["EchoNet-Dynamic/Videos/0X1A.avi"]

    import scipy.io

    monkeypatch.setattr("registry.loaders.datasets._matlab.MAX_UNPACKED_BYTES", 1 << 20)  # 4 MiB of zeros shows it
    _hmc_qu(tmp_path / "hmc")
    masks = tmp_path / "hmc" / "hmcqu-dataset.zip" / "LV Ground-truth Segmentation Masks"
    bomb = masks / "Mask_ES0002 _4CH_1.mat"
    scipy.io.savemat(str(bomb), {"predicted": np.zeros((64, 256, 256), np.uint8)}, do_compression=True)
    entry = minimal_dataset("hmc-bomb", anatomy=["heart"], loader={"name": "hmc-qu"})
    done = _convert(catalog_root, run_cli, entry, tmp_path / "hmc" / "hmcqu-dataset.zip", "--keep-going")
    assert done.exit_code == 0, done.output
    assert {r["subject_id"] for r in _rows(usreg_home, "hmc-bomb")} == {"ES0001"}
    found = {f: m for k, f, m in _problems(usreg_home, "hmc-bomb") if k == "unreadable"}
    assert found[f"{bomb.parent.name}/{bomb.name}"] == "the .mat file unpacks to more than 1,048,576 bytes; not read"


def test_hdf5_declaring_two_million_rows_is_refused_before_planning(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """The Stanford thyroid cine-clip converter made one sample per row of dataset.hdf5: a file of a few kB whose
    datasets declare 2,000,000 rows (chunks never written read back as zeros) planned 2,000,000 samples (the
    conversion ran past the time limit). The shapes are now checked before any row is read."""
    import h5py

    source = tmp_path / "source"
    source.mkdir()
    rows = 2_000_000
    with h5py.File(source / "dataset.hdf5", "w") as h5:
        h5.create_dataset("annot_id", shape=(rows,), dtype="S8", chunks=(4096,))
        h5.create_dataset("frame_num", shape=(rows,), dtype="i4", chunks=(4096,))
        h5.create_dataset("image", shape=(rows, 8, 8), dtype="u1", chunks=(64, 8, 8))
        h5.create_dataset("mask", shape=(rows, 8, 8), dtype="u1", chunks=(64, 8, 8))
    assert (source / "dataset.hdf5").stat().st_size < 100_000
    entry = minimal_dataset("thyroid-rows", anatomy=["thyroid"], loader={"name": "stanford-thyroid-cineclip"})
    done = _convert(catalog_root, run_cli, entry, source)
    assert done.exit_code == 1, done.output
    assert "dataset.hdf5's 'annot_id' has shape (2000000,), not at most 1,000,000 rows; not read" in done.output


# -- NumPy: pickles and shapes ----------------------------------------------------------------------------------------
def test_npy_masks_that_pickle_code_or_declare_a_huge_shape_are_refused(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """FASS masks are pickled dicts. A pickle that calls os.system was refused before this round (the unpickler takes
    NumPy arrays only); an .npy of 100 bytes whose header declares (100000, 100000, 100000) made np.load allocate
    909 TiB: a MemoryError reported as a converter bug. Its shape is now checked against the file's bytes."""
    source = tmp_path / "source"
    ran = tmp_path / "ran"

    class Code:
        def __reduce__(self):
            return (os.system, (f"touch {ran}",))

    evil = np.empty(1, dtype=object)
    evil[0] = {"structures": Code()}
    (source / "ARRAY_FORMAT").mkdir(parents=True)
    np.save(source / "ARRAY_FORMAT" / "evil.npy", evil, allow_pickle=True)
    header = np.lib.format.header_data_from_array_1_0(np.zeros((2, 2, 2), np.uint8))
    header["shape"] = (100000, 100000, 100000)
    with open(source / "ARRAY_FORMAT" / "huge.npy", "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        f.write(bytes(100))
    good = np.empty(1, dtype=object)
    good[0] = {"structures": {"liver": np.ones((20, 30), np.uint8)}}
    np.save(source / "ARRAY_FORMAT" / "good.npy", good, allow_pickle=True)
    for stem in ("evil", "huge", "good"):
        _png(source / "IMAGES" / f"{stem}.png", _grey(80))
    done = _convert(
        catalog_root, run_cli, minimal_dataset("fass-lies", loader={"name": "fass"}), source, "--keep-going"
    )
    assert done.exit_code == 0, done.output
    assert not ran.exists()
    assert [r["sample_id"] for r in _rows(usreg_home, "fass-lies")] == ["good"]
    found = {f: m for k, f, m in _problems(usreg_home, "fass-lies") if k == "unreadable"}
    assert "posix.system is not allowed in a mask file" in found["IMAGES/evil.png"]
    assert (
        "declares shape (100000, 100000, 100000) (1,000,000,000,000,000 bytes); the file holds 100"
        in found["IMAGES/huge.png"]
    )


# -- file names: not UTF-8, too long for a sample file, equal but for letter case -------------------------------------
def test_file_names_that_cannot_be_written_as_they_are(
    catalog_root, run_cli, bounded, usreg_home: Path, tmp_path: Path
):
    """A file name that is not UTF-8 (a tar made on a Latin-1 system) stopped the conversion with a
    UnicodeEncodeError traceback when the manifest was written; a sample id joined from long folder names (3 x 250
    characters) failed every sample with 'File name too long'; 'Ab.png' and 'aB.png' became two files that one
    macOS or Windows disk holds as one."""
    source = tmp_path / "source"
    long = "x" * 250
    _png(Path(os.fsdecode(bytes(source) + b"/benign/caf\xe9.png")), _grey(10))
    _png(source / "benign" / "Ab.png", _grey(20))
    _png(source / "benign" / "aB.png", _grey(30))
    _png(source / "malignant" / long / long / f"{long}.png", _grey(40))
    _png(source / "malignant" / long / f"{long[:-1]}y" / f"{long}.png", _grey(50))
    entry = minimal_dataset(
        "names",
        tasks=["classification"],
        loader={"name": "class-folders", "options": {"images": "{label}/**/{stem}.png"}},
    )
    done = _convert(catalog_root, run_cli, entry, source, "--keep-going")
    assert done.exit_code == 0, done.output
    rows = {r["source_file"]: r["sample_id"] for r in _rows(usreg_home, "names")}
    assert rows["benign/caf\\xe9.png"] == "benign_caf_xe9"  # ids from the relative paths: the long stems are equal
    assert {rows["benign/Ab.png"], rows["benign/aB.png"]} == {"benign_Ab", "benign_aB__2"}
    far = [sid for file, sid in rows.items() if file.startswith("malignant/")]
    assert len(far) == 2 and len(set(far)) == 2 and all(len(sid) <= 200 for sid in far)
    warned = [m for k, _, m in _problems(usreg_home, "names") if k == "duplicate_id"]
    assert warned == [
        "sample id 'benign_aB' is used twice (letter case aside); this sample is stored as 'benign_aB__2'"
    ]
