"""Round 5 (b): catalog datasets converted in the layout that code which opened their real download shows.

busc-mendeley: SonanceAI/MEDSAM-2 (commit 086415d) downloads Mendeley's "Download all" archive vckdnhtw26-1.zip, which
unpacks to ``BUSC Dataset/BUSC_Dataset/``, and reads ``BUSC_Dataset/Segmentation/images/*.png`` with
``.../masks/*.png``, both sorted and paired by position, mask > 127 = lesion. The evidence names no files, so the
fixture's names are placeholders; the converter pairs in sorted order as MEDSAM-2 does, whatever the names.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from tests.fixtures.builders._common import blob_mask, rgb, save, us_image
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    real_catalog,
)

CATALOG = real_catalog()
BUSC_ZIP = "vckdnhtw26-1.zip"
BUSC_SEG = Path("BUSC Dataset") / "BUSC_Dataset" / "Segmentation"
LESION = {"lesion": {0: "background", 1: "lesion"}}


def _busc(stage: Path, masks: dict[str, str] | None = None, count: int = 0, size: int = 32) -> dict:
    """The "Download all" zip staged as a folder: <title>/BUSC_Dataset/Segmentation/{images,masks}/*.png.

    ``masks`` maps an image name to its mask's name (default: the same name in masks/); ``count`` images named 1..count
    replace the five default ones (250 gives the record's full count, which `usreg fetch` checks).
    """
    stems = [str(n) for n in range(1, count + 1)] if count else ["1", "2", "3", "10", "11"]
    seg = stage / BUSC_ZIP / BUSC_SEG
    names = masks or {f"{s}.png": f"{s}.png" for s in stems}
    for n, (image, mask) in enumerate(names.items()):
        grey = us_image(size, size, 5200 + n)
        save(seg / "images" / image, rgb(grey) if n % 2 else grey)  # the release's colour mode is not shown
        save(seg / "masks" / mask, blob_mask(size, size, 5200 + n))  # 0/255
    return {
        "samples": len(names),
        "split_kind": "seeded-random",
        "targets": LESION,
        "masked": len(names),
        "mask_values": {Path(i).stem: {0, 1} for i in names},
    }


def test_busc_converts_the_medsam2_layout(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["busc-mendeley"], _busc, tmp_path)
    check_converted_layout(out, expected)
    assert sorted(out.by_id) == ["1", "10", "11", "2", "3"]
    assert all(r["label"] is None for r in out.rows)  # no class label beside the masks
    assert out.extra("10") == {}  # same names: no mask_file recorded


def test_busc_pairs_differently_named_masks_in_sorted_order(tmp_path, convert):
    """MEDSAM-2 sorts both folders and pairs by position; a mask of another name is kept in extra['mask_file']."""
    masks = {"a.png": "a_gt.png", "b.png": "b_gt.png", "c.png": "c_gt.png"}
    out, expected = convert_layout(convert, CATALOG.datasets["busc-mendeley"], lambda s: _busc(s, masks), tmp_path)
    check_converted_layout(out, expected | {"extra_exact": {"b": {"mask_file": "b_gt.png"}}})
    mask = out.mask("b", "lesion")
    source = np.asarray(blob_mask(32, 32, 5201)) > 127
    assert np.array_equal(mask.astype(bool), source)  # the second image got the second mask


def test_busc_reports_folders_of_different_counts_and_keeps_same_name_pairs(tmp_path, convert):
    seg = tmp_path / "src" / BUSC_SEG
    for n, stem in enumerate(("1", "2", "3")):
        save(seg / "images" / f"{stem}.png", us_image(32, 32, 5300 + n))
    for n, stem in enumerate(("1", "3")):
        save(seg / "masks" / f"{stem}.png", blob_mask(32, 32, 5300 + n))
    save(seg / "masks" / "9.png", blob_mask(32, 32, 5309))
    save(seg / "masks" / "8.png", blob_mask(32, 32, 5308))
    out = convert(CATALOG.datasets["busc-mendeley"], tmp_path / "src")
    assert sorted(out.by_id) == ["1", "3"]
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    seg_rel = BUSC_SEG.as_posix()
    assert ("unpaired_files", seg_rel) in kinds
    assert ("missing_mask", f"{seg_rel}/images/2.png") in kinds
    assert ("missing_image", f"{seg_rel}/masks/9.png") in kinds
    assert ("missing_image", f"{seg_rel}/masks/8.png") in kinds


def test_usreg_fetch_busc_from_the_download_all_zip_then_load(tmp_path, run_cli, usreg_home):
    """`usreg fetch busc-mendeley --from-file vckdnhtw26-1.zip` with the record's 250 pairs ends ready."""
    expected = _busc(tmp_path / "stage", count=250, size=16)
    archive = tmp_path / BUSC_ZIP
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted((tmp_path / "stage" / BUSC_ZIP).rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(tmp_path / "stage" / BUSC_ZIP).as_posix())
    output, ds = fetch_from_file_then_load(run_cli, "busc-mendeley", "--from-file", archive)
    assert "ready" in output
    assert len(ds) == expected["samples"]
    assert {t: dict(c) for t, c in ds.classes.items()} == LESION
