"""Path patterns of the generic converters: placeholders, wrapper folders, anchoring, glob-safe names."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.errors import UsregError
from registry.loaders.patterns import fill, match_files, siblings


def touch(root: Path, *names: str) -> list[Path]:
    out = []
    for n in names:
        p = root / n
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
        out.append(p)
    return sorted(out)


def test_placeholders_and_wrapper_prefix(tmp_path):
    files = touch(tmp_path, "wrap/train/images/a b.PNG", "wrap/test/images/c.jpg", "wrap/test/images/notes.txt")
    found = match_files("{split}/images/{stem}.{ext}", files, tmp_path)
    assert [(m.prefix, m.groups["split"], m.groups["stem"]) for m in found] == [
        ("wrap/", "test", "c"),
        ("wrap/", "train", "a b"),
    ]
    assert fill("{split}/masks/{stem}_mask.png", found[1]) == "wrap/train/masks/a b_mask.png"


def test_anchored_pattern_does_not_descend(tmp_path):
    files = touch(tmp_path, "x/img/a.png", "img/b.png")
    assert [m.groups["stem"] for m in match_files("/img/{stem}.png", files, tmp_path)] == ["b"]
    assert [m.groups["stem"] for m in match_files("/img/{stem}.png", files, tmp_path)] == ["b"]


def test_every_wrapper_depth_and_length_is_kept(tmp_path):
    """Sibling wrapper folders of different name lengths (two hospitals) and depths: no match is dropped."""
    files = touch(
        tmp_path,
        "Dataset/HospA/images/a1.png",
        "Dataset/HospitalB/images/b1.png",
        "Dataset/HospitalB/images/b2.png",
        "Dataset/extra/HospC/images/c1.png",
        "img_only/x.png",
    )
    found = match_files("images/{stem}.png", files, tmp_path)
    assert sorted(m.groups["stem"] for m in found) == ["a1", "b1", "b2", "c1"]
    assert {m.prefix for m in found} == {"Dataset/HospA/", "Dataset/HospitalB/", "Dataset/extra/HospC/"}


def test_extensions_match_without_regard_to_case(tmp_path):
    files = touch(tmp_path, "image/1.PNG", "image/2.png", "mask/1.PNG", "mask/2.png", "image/3.Png", "mask/3_m.PNG")
    found = match_files("image/{stem}.png", files, tmp_path)
    assert [m.groups["stem"] for m in found] == ["1", "2", "3"]
    assert [siblings(tmp_path, "mask/{stem}.png", m) for m in found][:2] == [
        [tmp_path / "mask/1.PNG"],
        [tmp_path / "mask/2.png"],
    ]
    assert siblings(tmp_path, "mask/{stem}_m*.png", found[2]) == [tmp_path / "mask/3_m.PNG"]
    assert match_files("image/{stem}.jpg", files, tmp_path) == []


def test_repeated_placeholder_must_agree(tmp_path):
    files = touch(tmp_path, "a/a_1.png", "a/b_1.png")
    assert [m.path.name for m in match_files("{label}/{label}_{n}.png", files, tmp_path)] == ["a_1.png"]


def test_glob_siblings_escape_special_names(tmp_path):
    files = touch(
        tmp_path,
        "benign/benign [1] (2).png",
        "benign/benign [1] (2)_mask.png",
        "benign/benign [1] (2)_mask_1.png",
        "benign/benign 1_mask.png",
    )
    images = [m for m in match_files("{label}/{stem}.png", files, tmp_path) if "_mask" not in m.path.name]
    assert [m.groups["stem"] for m in images] == ["benign [1] (2)"]
    masks = siblings(tmp_path, "{label}/{stem}_mask*.png", images[0])
    assert [p.name for p in masks] == ["benign [1] (2)_mask.png", "benign [1] (2)_mask_1.png"]


def test_unknown_placeholder_in_sibling_pattern(tmp_path):
    files = touch(tmp_path, "img/a.png")
    match = match_files("img/{stem}.png", files, tmp_path)[0]
    with pytest.raises(UsregError):
        fill("{split}/{stem}.png", match)
