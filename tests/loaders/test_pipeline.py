"""The conversion pipeline: process pool, atomic writes, interruption, empty downloads, converter registry."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import registry.loaders as loaders
from registry.errors import UsregError
from registry.formats.layout import complete_versions, verify_checksums
from tests.fixtures.builders._common import blob_mask, save, us_image
from tests.loaders.conftest import Converted, make_entry

OPTS = {"images": "img/{stem}.png", "masks": {"m": "gt/{stem}.png"}, "mask": {"threshold": 127}}


def folders(root: Path, n: int, size: int = 48) -> Path:
    for i in range(n):
        save(root / "img" / f"s{i:04d}.png", us_image(size, size, 5000 + i))
        save(root / "gt" / f"s{i:04d}.png", blob_mask(size, size, 5000 + i))
    return root


def test_names_cover_generic_and_dataset_converters():
    names = loaders.names()
    for name in (
        "image-mask-folders",
        "class-folders",
        "coco",
        "pascal-voc",
        "csv-paths",
        "carotid-plaque",
        "porcine-spinal-cord",
        "porcine-spinal-cord-detection",
        "bus-bra",
        "mmotu-2d",
        "gist514-db",
        "fm-uia-2026",
        "busi",
        "hc18",
        "camus",
        "open-kidney",
        "aul",
        "ddti",
        "tn3k",
    ):
        assert name in names
        assert loaders.get_converter(name).name == name


def test_unknown_converter_suggests_close_names():
    with pytest.raises(UsregError) as err:
        loaders.get_converter("image-mask-folder")
    assert "image-mask-folders" in err.value.hint


def test_validate_options_reports_unknown_keys():
    assert loaders.validate_options("bus-bra", {"test_fold": 2}) == []
    problems = loaders.validate_options("bus-bra", {"test_folds": 2})
    assert problems and "test_folds" in problems[0]
    assert "no converter" in loaders.validate_options("nope", {})[0]


def test_pool_and_in_process_give_identical_outputs(tmp_path, convert):
    src = folders(tmp_path / "src", 60)
    entry = make_entry("pooled", "image-mask-folders", OPTS)
    pooled = convert(entry, src, version="a", workers=2)
    serial = convert(entry, src, version="b", workers=1)
    assert len(pooled.rows) == 60
    strip = [{k: v for k, v in r.items()} for r in pooled.rows]
    assert strip == serial.rows
    assert verify_checksums(pooled.path) == []
    a = (pooled.path / "CHECKSUMS.sha256").read_text().splitlines()
    b = (serial.path / "CHECKSUMS.sha256").read_text().splitlines()
    same = [x for x in a if "images/" in x or "masks/" in x]
    assert same and set(same) <= set(b)


def test_failure_while_finishing_leaves_nothing_and_keeps_the_old_version(tmp_path, convert, monkeypatch):
    src = folders(tmp_path / "src", 4)
    entry = make_entry("atomic", "image-mask-folders", OPTS)
    first = convert(entry, src)
    before = (first.path / "CHECKSUMS.sha256").read_text()

    import registry.checks as checks

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(checks, "run_checks", boom)
    with pytest.raises(RuntimeError):
        convert(entry, src)
    assert (first.path / "CHECKSUMS.sha256").read_text() == before  # the complete version is untouched
    assert [p.name for p in first.path.parent.iterdir() if p.is_dir()] == ["1"]  # no partial left


def test_killed_conversion_never_looks_complete(tmp_path, usreg_home):
    src = folders(tmp_path / "src", 400, size=96)
    script = (
        "import sys; from registry.loaders import convert_entry; from tests.loaders.conftest import make_entry;"
        f"convert_entry(make_entry('killed', 'image-mask-folders', {OPTS!r}), sys.argv[1], sys.argv[2], '1', "
        "workers=1)"
    )
    env = {**os.environ, "USREG_HOME": str(usreg_home)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(src), str(usreg_home)],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        start_new_session=True,
    )
    base = usreg_home / "datasets" / "killed"
    deadline = time.time() + 60
    while time.time() < deadline:
        partial = list(base.glob(".1.partial-*/images/*.png")) if base.exists() else []
        if len(partial) > 20:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(partial) > 20, "the conversion did not start writing"
    assert not (base / "1").exists()
    assert complete_versions(usreg_home, "killed") == []
    with pytest.raises(UsregError):
        import registry

        registry.load("killed", home=usreg_home)
    path = loaders.convert_entry(make_entry("killed", "image-mask-folders", OPTS), src, usreg_home, "1", workers=1)
    assert len(Converted(path).rows) == 400
    assert sorted(p.name for p in base.iterdir() if p.is_dir()) == ["1"]  # the stale partial was cleaned


def test_empty_download_is_an_error_naming_it(tmp_path, convert):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsregError) as err:
        convert(make_entry("empty", "carotid-plaque"), tmp_path / "empty")
    assert "holds no files" in err.value.message and str(tmp_path / "empty") in err.value.message


def test_empty_archive_folder_reported_and_rest_converted(tmp_path, convert):
    src = folders(tmp_path / "src", 3)
    (src / "second_archive").mkdir()
    out = convert(make_entry("partly-empty", "image-mask-folders", OPTS), src)
    assert len(out.rows) == 3
    assert out.problems("empty_source")[0]["file"] == "second_archive"


def test_no_matching_files_is_an_error(tmp_path, convert):
    src = folders(tmp_path / "src", 2)
    with pytest.raises(UsregError) as err:
        convert(make_entry("nomatch", "bus-bra"), src)
    assert "Images/ and Masks/" in err.value.message


def test_entry_without_loader(tmp_path, convert):
    from registry.schema import Dataset

    entry = Dataset.model_validate({"id": "noloader", "name": "x", "anatomy": ["other"]})
    with pytest.raises(UsregError) as err:
        convert(entry, folders(tmp_path / "src", 1))
    assert "has no loader" in err.value.message


def test_loader_names_are_never_import_paths():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        make_entry("x", "registry.loaders.generic_folders:ImageMaskFolders")


def test_colliding_ids_are_renamed_and_reported(tmp_path, convert):
    for d in ("a", "b"):
        save(tmp_path / "src" / d / "img" / "same.png", us_image(20, 20, 1 if d == "a" else 2))
    out = convert(make_entry("dups", "class-folders", {"images": "{label}/img/{stem}.png"}), tmp_path / "src")
    assert sorted(out.by_id) == ["a_same", "b_same"]


def test_source_lock_checksums_recorded(tmp_path, convert, usreg_home):
    src = folders(tmp_path / "src", 2)
    lock = usreg_home / "downloads" / "locked" / "1" / "usreg.lock.json"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"files": {"a.zip": {"sha256": "ab" * 32}}}))
    out = convert(make_entry("locked", "image-mask-folders", OPTS), src)
    assert out.metadata["source"]["lock"]["files"]["a.zip"]["sha256"] == "ab" * 32
    assert out.metadata["converter"] == {
        "name": "image-mask-folders",
        "version": "1.0",
        "options": {**OPTS, "mask": {"threshold": 127}},
    }


def test_unsafe_version_and_id_labels_are_refused(tmp_path, usreg_home):
    import registry

    src = folders(tmp_path / "src", 1)
    for bad in ("../escape", "a/b", ""):
        with pytest.raises(UsregError) as err:
            loaders.convert_entry(make_entry("safe", "image-mask-folders", OPTS), src, usreg_home, bad)
        assert err.value.exit_code == 2
    with pytest.raises(UsregError):
        registry.load("../../etc")
    with pytest.raises(UsregError):
        registry.load("safe", version="..")


def test_mask_target_names_must_be_folder_safe(tmp_path, convert):
    src = folders(tmp_path / "src", 1)
    opts = {**OPTS, "masks": {"../escape": "gt/{stem}.png"}}
    with pytest.raises(UsregError) as err:
        convert(make_entry("unsafe-target", "image-mask-folders", opts), src)
    assert "not usable as a folder name" in err.value.message
    assert not (tmp_path / "escape").exists()


def test_fast_png_encoder_is_lossless_and_no_larger_than_pillow_by_much():
    """The written PNGs (Up filter, run-length deflate) decode to the same pixels in Pillow, for every mode the
    pipeline writes, and stay within 10 % of Pillow's default size on a B-mode-like image and a label map."""
    import io

    import numpy as np
    from PIL import Image

    from registry.formats.imageio import encode_png

    rng = np.random.default_rng(3)
    grey = us_image(90, 120, 77)
    fan = grey.copy()
    fan[:, :40] = 0  # the black surround of a sector scan
    mask = (blob_mask(90, 120, 77) > 0).astype(np.uint8) * 3
    arrays = [grey, fan, mask, rng.integers(0, 256, (17, 23, 3), dtype=np.uint8)]
    arrays += [rng.integers(0, 256, (9, 5, 4), dtype=np.uint8), np.zeros((1, 1), np.uint8)]
    for a in arrays:
        data = encode_png(a)
        back = np.asarray(Image.open(io.BytesIO(data)))
        assert back.shape == a.shape and back.dtype == np.uint8 and (back == a).all()
    for a in (grey, fan, mask):
        pillow = io.BytesIO()
        Image.fromarray(a).save(pillow, format="PNG")
        assert len(encode_png(a)) <= 1.1 * len(pillow.getvalue()) + 64
    wide = np.arange(24, dtype=np.uint16).reshape(4, 6) * 1000  # 16-bit goes through Pillow
    assert (np.asarray(Image.open(io.BytesIO(encode_png(wide)))) == wide).all()
