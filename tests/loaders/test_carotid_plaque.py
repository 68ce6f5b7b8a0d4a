"""carotid-plaque: the Mendeley flat layout, its quirks, and the bad-input cases of the issue."""

from __future__ import annotations

import numpy as np

from tests.fixtures.builders import carotid_plaque
from tests.loaders.conftest import make_entry


def entry(**fields):
    return make_entry("carotid-plaque", "carotid-plaque", counts={"images": 3}, **fields)


def test_quirks_of_the_release(tmp_path, convert):
    fx = carotid_plaque.build(tmp_path / "src", size=200)
    out = convert(entry(), fx.root)
    assert sorted(out.by_id) == ["1", "2", "544"]  # "544 .png" paired with 544_labeled.png
    assert out.by_id["544"]["source_file"] == "544 .png"
    rgb_mask = out.mask("544", "plaque")  # the RGB mask collapsed to one channel
    assert rgb_mask.ndim == 2 and set(np.unique(rgb_mask)) == {0, 1}
    assert not out.mask("2", "plaque").any()  # plaque-free image kept with an empty mask
    assert out.checks["empty_mask_fraction"]["details"]["empty"] == 1
    assert out.checks["counts_match"]["status"] == "pass"
    assert out.metadata["splits"]["kind"] == "seeded-random"
    assert out.checks["split_kind"]["details"]["kind"] == "seeded-random"
    assert out.image("1").ndim == 2 and out.by_id["1"]["channels"] == 1
    assert not out.problems()


def test_bad_input_reported_by_file_and_the_rest_converted(tmp_path, convert):
    fx = carotid_plaque.build(tmp_path / "src", bad=True, size=200)
    out = convert(entry(), fx.root)
    assert sorted(out.by_id) == ["1", "2", "544"]
    for file, kind in fx.expected["bad_files"].items():
        assert file in out.problem_files(kind), (file, kind, out.problems())
    size = out.problems("size_mismatch")[0]
    assert "8_labeled.png" in size["message"] and "200x100" in size["message"]
    assert out.checks["sizes_agree"]["status"] == "fail"
    assert out.checks["files_readable"]["status"] == "fail"
    assert "10.png" in out.checks["files_readable"]["details"]["files"]
    assert out.checks["pairs_complete"]["status"] == "warn"
    assert out.metadata["counts"]["skipped"] == 3
