"""Round 5 of catalog loaders (part d): datasets whose real layout code that opened the download shows.

Each builder writes a tiny download exactly as the cited evidence shows it (the archive's top folder, the file names and
the mask encoding), converts it with the real catalog entry and checks the sample count, the seeded split's kind, the
subjects and the class map of the mask targets.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.fixtures.builders._common import blob_mask, save, us_image
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    from_file_args,
    pack_download,
    real_catalog,
)

CATALOG = real_catalog()


# --- LUMINOUS: LUMINOUS_Database/{B-mode,Masks}/ as GroundingDINO-US-SAM's preparation scripts read it -------------


def _tif(path: Path, array: np.ndarray, bilevel: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(array > 127) if bilevel else Image.fromarray(array)
    image.save(path, format="TIFF")


def _luminous(stage: Path, orphans: bool = False) -> dict:
    """LUMINOUS_Database/B-mode/<subject>_<n>_Bmode.tif with Masks/<subject>_<n>_Mask.tif (0/255, one of them a
    bilevel TIFF); image 54_27 has two mask files (<id>_Mask1.tif, <id>_Mask2.tif), united into one mask. Subject 1 has
    images 1_1 and 1_10, so a mask glob for 1_1 must not pick up 1_10's mask."""
    top = stage / "LUMINOUS.zip" / "LUMINOUS_Database"
    h, w = 30, 40
    names = ["1_1", "1_10", "2_3", "54_27", "109_4"]
    for n, name in enumerate(names):
        save(top / "B-mode" / f"{name}_Bmode.tif", us_image(h, w, 5800 + n), fmt="TIFF")
        if name == "54_27":
            left = np.zeros((h, w), np.uint8)
            left[10:20, 4:14] = 255
            right = np.zeros((h, w), np.uint8)
            right[10:20, 26:36] = 255
            _tif(top / "Masks" / f"{name}_Mask1.tif", left)
            _tif(top / "Masks" / f"{name}_Mask2.tif", right)
        else:
            _tif(top / "Masks" / f"{name}_Mask.tif", blob_mask(h, w, 5800 + n), bilevel=name == "2_3")
    if orphans:
        save(top / "B-mode" / "77_2_Bmode.tif", us_image(h, w, 5890), fmt="TIFF")  # no mask
        _tif(top / "Masks" / "78_1_Mask.tif", blob_mask(h, w, 5891))  # no image
    return {
        "samples": len(names),
        "split_kind": "seeded-subject",
        "targets": {"multifidus": {0: "background", 1: "lumbar multifidus"}},
        "subjects": 4,
        "subjects_of": {"1_1": "1", "1_10": "1", "2_3": "2", "54_27": "54", "109_4": "109"},
        "masked": len(names),
        "mask_values": {"2_3": {0, 1}, "54_27": {0, 1}, "109_4": {0, 1}},
        "inside": {"54_27": (15, 8), "1_1": (15, 20)},
        "outside": {"54_27": (15, 20)},
    }


def test_luminous_converts_the_database_folders(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["luminous"], _luminous, tmp_path)
    check_converted_layout(out, expected)
    assert out.by_id["54_27"]["source_file"].endswith("LUMINOUS_Database/B-mode/54_27_Bmode.tif")
    assert {m["target"] for m in out.by_id["54_27"]["masks"]} == {"multifidus"}
    mask = out.mask("54_27", "multifidus")  # both mask files, united
    assert mask[15, 8] == 1 and mask[15, 30] == 1 and mask[5, 20] == 0


def test_luminous_reports_an_image_without_a_mask_and_a_mask_without_an_image(tmp_path, convert):
    _luminous(tmp_path / "stage", orphans=True)
    pack_download(tmp_path / "stage", tmp_path / "downloads", tmp_path / "src")
    out = convert(CATALOG.datasets["luminous"], tmp_path / "src")
    assert sorted(out.by_id) == ["109_4", "1_1", "1_10", "2_3", "54_27"]
    kinds = {(p["kind"], p["file"].rsplit("/", 1)[-1]) for p in out.problems()}
    assert {("missing_mask", "77_2_Bmode.tif"), ("missing_image", "78_1_Mask.tif")} <= kinds


def test_usreg_fetch_luminous_from_file_then_load(tmp_path, run_cli, usreg_home):
    """`usreg fetch luminous --from-file LUMINOUS.zip` (a manual download) with the real catalog: 4 of the declared 109
    subjects, named by counts_match and accepted with --keep-going."""
    expected = _luminous(tmp_path / "stage")
    args = from_file_args(tmp_path / "stage", tmp_path)
    assert [Path(a).name for a in args[1::2]] == ["LUMINOUS.zip"]
    output, ds = fetch_from_file_then_load(run_cli, "luminous", *args, "--keep-going")
    assert "counts_match" in output and "declared 109, found 4" in output
    assert len(ds) == expected["samples"]


@pytest.mark.parametrize("entry_id", ["luminous"])
def test_round5_d_entries_cite_their_loader_evidence(entry_id):
    entry = CATALOG.datasets[entry_id]
    assert entry.loader is not None
    cited = [e for e in entry.evidence if "loader" in e.fields]
    assert cited and all(e.quote for e in cited), json.dumps([e.url for e in entry.evidence])
    assert all("/blob/" in e.url and len(e.url.split("/blob/")[1].split("/")[0]) == 40 for e in cited)
